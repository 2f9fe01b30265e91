"""Imports of annotated archives ("Add data" from a COCO, YOLO, Pascal VOC, CVAT, Datumaro or manifest zip).

The archive is downloaded to a temporary file (a zip is read by seeking) and read by the format's module of
`labelstream_formats` in a worker thread, a batch of items at a time. An item whose picture the archive holds gets
it copied into the dataset's input path under the item's name (a new sample, or the same object again); an item
without its picture is matched to the dataset's sample of that path (under the input prefix, or the key itself), else
to the one sample of its file name (an item naming several is an error, not a guess). With
`labeled`, the items' shapes go to labeling-svc (AnnotationsImported) in the transaction that registers the samples:
labeling-svc checks them with the rules of every annotation write and answers, per item, with
ImportedAnnotationsApplied. What cannot be read or matched is an item error naming the item; the rest imports."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from labelstream_formats.archive import ZipReader
from labelstream_formats.model import ImportedItem, ImportFormat, Report
from labelstream_formats.registry import IMPORTS, detect_format, import_format
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events import AnnotationsImported, DataAdded
from labelstream_shared.events.contracts import ImportedAnnotation
from labelstream_shared.uow import TransactionRunner

from sync_svc.app.ports import KnownObjects, ObjectStore, SyncTransaction
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.imports import MAX_ITEM_ERRORS, ArchiveSource, ImportCounts, ImportTask, ItemError
from sync_svc.domain.media_kinds import Skipped, kind_from_content, kind_from_name
from sync_svc.domain.objects import KnownObject, sample_id_for

BATCH_SIZE = 200


class ArchiveError(ValueError):
    """The archive cannot be imported as a whole (not a zip, no format recognised)."""


async def execute_archive_import(
    task: ImportTask,
    dataset: SyncDataset,
    *,
    run: TransactionRunner[SyncTransaction],
    store: ObjectStore,
    objects: KnownObjects,
) -> None:
    source = task.source
    assert isinstance(source, ArchiveSource)
    with tempfile.TemporaryDirectory(prefix="labelstream-import-") as folder:
        path = Path(folder) / "archive.zip"
        await store.download(source.bucket, source.key, path)
        reader, fmt = _open(path, source.format)
        items = fmt.read(reader, Report())
        kept = 0
        by_name = _ByFileName(objects, dataset)
        while batch := await asyncio.to_thread(_next_batch, items):
            kept = await _import_batch(
                batch, task=task, dataset=dataset, reader=reader, run=run, store=store, by_name=by_name, kept=kept
            )


def checked_format(format: str | None, *, field: str) -> str | None:
    """A format asked for by name: 422 naming `field` unless it is one Labelstream reads (None: recognised later)."""
    if format is not None and import_format(format) is None:
        raise InvalidInputError(f"{field}: {format!r} is not one of {', '.join(sorted(IMPORTS))}")
    return format


def _open(path: Path, wanted: str | None) -> tuple[ZipReader, ImportFormat]:
    try:
        reader = ZipReader(path)
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"not a zip archive: {exc}") from exc
    if wanted is not None:
        fmt = import_format(wanted)
        if fmt is None:
            raise ArchiveError(f"format {wanted!r} is not one of {', '.join(sorted(IMPORTS))}")
        return reader, fmt
    detected = detect_format(reader)
    if detected is not None:
        return reader, detected
    raise ArchiveError(f"no format recognised in the archive (readable: {', '.join(sorted(IMPORTS))})")


def _next_batch(items: Iterator[ImportedItem]) -> list[ImportedItem]:
    batch: list[ImportedItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH_SIZE:
            break
    return batch


async def _import_batch(
    items: list[ImportedItem],
    *,
    task: ImportTask,
    dataset: SyncDataset,
    reader: ZipReader,
    run: TransactionRunner[SyncTransaction],
    store: ObjectStore,
    by_name: _ByFileName,
    kept: int,
) -> int:
    errors: list[ItemError] = []
    placed: list[tuple[KnownObject, ImportedItem, bool]] = []  # (sample, item, whether its picture came along)
    prefix = dataset.input_path.prefix
    wanted = [k for item in items if item.picture is None for k in (prefix + item.name, item.name)]
    known = await run(lambda tx: tx.objects.get_by_keys(dataset.id, wanted))
    # what the dataset had before this batch: a picture written into a watched input path may be registered by its
    # notification before the batch commits, and is still this import's doing
    targets = [sample_id_for(dataset.id, prefix + item.name) for item in items if item.picture is not None]
    known_before = await run(lambda tx: tx.objects.existing_ids(targets))
    seen: set[str] = set()
    for item in items:
        errors += [ItemError(item=item.name, error=problem) for problem in item.problems]
        found = await _sample_of(
            item, dataset=dataset, known=known, by_name=by_name, reader=reader, store=store, errors=errors
        )
        if found is None:
            continue
        if found[0].id in seen:
            errors.append(ItemError(item=item.name, error="duplicate: the archive names this picture twice"))
            continue
        seen.add(found[0].id)
        placed.append((found[0], item, found[1]))
    kept_errors = errors[: max(MAX_ITEM_ERRORS - kept, 0)]

    async def work(tx: SyncTransaction) -> None:
        existing = await tx.objects.existing_ids([o.id for o, _, _ in placed])
        fresh = [o for o, _, _ in placed if o.id not in existing]
        await tx.objects.add_many(fresh)
        if fresh:
            tx.emit(DataAdded(dataset_id=dataset.id, origin="import", samples=tuple(o.as_added() for o in fresh)))
        annotations = tuple(
            ImportedAnnotation(sample_id=o.id, shapes=item.shapes, item=item.name)
            for o, item, _ in placed
            if task.labeled and item.shapes
        )
        if annotations:
            tx.emit(AnnotationsImported(dataset_id=dataset.id, import_id=task.id, annotations=annotations))
        imported = sum(1 for o, _, brought in placed if brought and o.id not in known_before)
        counts = ImportCounts(
            total=len(items),
            imported=imported,
            already_present=len(placed) - imported,
            failed=len(items) - len(placed),
            annotated=len(annotations),
        )
        await tx.imports.record_progress(task.id, counts=counts, errors=kept_errors)

    await run(work)
    return kept + len(kept_errors)


async def _sample_of(
    item: ImportedItem,
    *,
    dataset: SyncDataset,
    known: dict[str, KnownObject],
    by_name: _ByFileName,
    reader: ZipReader,
    store: ObjectStore,
    errors: list[ItemError],
) -> tuple[KnownObject, bool] | None:
    """The sample the item labels: its picture from the archive copied into the input path, or the dataset's sample
    of its path, else the one sample of its file name; None (with an item error) when there is none."""
    prefix = dataset.input_path.prefix
    if item.picture is None:
        match = known.get(prefix + item.name) or known.get(item.name)
        if match is not None:
            return match, False
        file_name = PurePosixPath(item.name).name
        named = await by_name.find(file_name)
        if len(named) == 1:
            return named[0], False
        error = (
            f"{len(named)} samples are named {file_name!r} (in {', '.join(o.key for o in named[:3])}): not matched"
            if named
            else f"no sample {prefix + item.name!r} (nor any named {file_name!r}) in the dataset, and the archive "
            "holds no picture of it"
        )
        errors.append(ItemError(item=item.name, error=error))
        return None
    key = prefix + item.name
    data = await asyncio.to_thread(reader.read, item.picture)
    kind = kind_from_name(key) or kind_from_content(data[:64])
    if isinstance(kind, Skipped):
        errors.append(ItemError(item=item.name, error=kind.reason))
        return None
    listed = await store.put_object(dataset.input_path.bucket, key, io.BytesIO(data), size=len(data))
    registered = KnownObject.register(
        dataset_id=dataset.id, bucket=dataset.input_path.bucket, listed=listed, media_kind=kind
    )
    return registered, True


class _ByFileName:
    """The dataset's samples by file name (the last part of the key), read once, streamed, the first time an item's
    path matches no sample: an archive from another tool often names its pictures without the dataset's folders.
    Holds the keys only (about 170 bytes per sample)."""

    def __init__(self, objects: KnownObjects, dataset: SyncDataset) -> None:
        self._objects = objects
        self._dataset = dataset
        self._keys: dict[str, list[str]] | None = None

    async def find(self, file_name: str) -> list[KnownObject]:
        if self._keys is None:
            self._keys = defaultdict(list)
            bucket = self._dataset.input_path.bucket
            async for known in self._objects.in_key_order(self._dataset.id, bucket=bucket, prefix=""):
                if not known.missing:
                    self._keys[PurePosixPath(known.key).name].append(known.key)
        keys = self._keys.get(file_name, [])
        found = await self._objects.get_by_keys(self._dataset.id, keys) if keys else {}
        return [found[k] for k in keys if k in found]
