"""Import tasks ("Add data"): bring objects from another bucket path or a manifest into a dataset.

Copy mode copies each object into the dataset's input path (server-side); reference mode registers it where it
is. With a labeled import the manifest's shapes go to labeling-svc (AnnotationsImported) in the same
transaction as the samples. Every item that cannot be imported is reported with its reason (and its manifest
line); the rest imports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from labelstream_shared.errors import NotFoundError
from labelstream_shared.events import AnnotationsImported, DataAdded, ImportedAnnotationsApplied
from labelstream_shared.events.contracts import ImportedAnnotation, RejectedAnnotation
from labelstream_shared.uow import TransactionRunner

from sync_svc.app.archive_imports import execute_archive_import
from sync_svc.app.ports import ObjectStore, SyncTransaction
from sync_svc.app.sync_run import SyncReads
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.imports import (
    MAX_ITEM_ERRORS,
    ArchiveSource,
    BucketSource,
    ImportCounts,
    ImportMode,
    ImportTask,
    ItemError,
    ManifestLine,
    ManifestSource,
    ShapeRuleBroken,
    UploadSource,
    parse_manifest_line,
)
from sync_svc.domain.media_kinds import SNIFF_BYTES, Skipped, kind_from_content, kind_from_name
from sync_svc.domain.objects import KnownObject, ListedObject, sample_id_for

BATCH_SIZE = 200


@dataclass(frozen=True)
class ImportItem:
    bucket: str
    key: str
    line: int | None = None
    manifest: ManifestLine | None = None


@dataclass
class ImportBatch:
    objects: list[tuple[KnownObject, ManifestLine | None, int | None]] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    skipped: int = 0


async def start_import(
    run: TransactionRunner[SyncTransaction],
    *,
    dataset_id: str,
    source: BucketSource | ManifestSource | ArchiveSource,
    mode: ImportMode,
    labeled: bool,
) -> ImportTask:
    async def work(tx: SyncTransaction) -> ImportTask:
        if await tx.datasets.get(dataset_id) is None:
            raise NotFoundError(f"dataset {dataset_id!r} is not known to sync-svc (yet)")
        task = ImportTask.queue(dataset_id=dataset_id, source=source, mode=mode, labeled=labeled)
        await tx.imports.add(task)
        return task

    return await run(work)


async def execute_import(
    task_id: str, *, run: TransactionRunner[SyncTransaction], reads: SyncReads, store: ObjectStore
) -> None:
    task = await reads.imports.get(task_id)
    dataset = await reads.datasets.get(task.dataset_id) if task else None
    if task is None or dataset is None:
        await reads.imports.finish(task_id, error="the dataset no longer exists")
        return
    try:
        if isinstance(task.source, ArchiveSource):
            await execute_archive_import(task, dataset, run=run, store=store, objects=reads.objects)
            await reads.imports.finish(task_id, error=None)
            return
        errors_kept = 0
        batch: list[ImportItem] = []
        failures: list[ItemError] = []  # manifest lines that are not valid, since the last batch
        async for item in _items(task, store=store, errors=failures):
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                errors_kept = await _import_batch(run, task, dataset, batch, failures, store=store, kept=errors_kept)
                batch, failures[:] = [], []
        await _import_batch(run, task, dataset, batch, failures, store=store, kept=errors_kept)
    except Exception as exc:
        await reads.imports.finish(task_id, error=f"{type(exc).__name__}: {exc}")
        raise
    await reads.imports.finish(task_id, error=None)


async def record_annotation_results(tx: SyncTransaction, event: ImportedAnnotationsApplied) -> None:
    """What labeling-svc made of the import's annotations: counts, and an item error per rejected annotation naming
    its line, every shape and rule (it may come after the task finished: an annotation waits for its media)."""
    errors = [_rejection_error(r) for r in event.rejected]
    counts = ImportCounts(
        annotations_applied=event.applied,
        annotations_rejected=len(event.rejected),
        annotations_waiting=event.held - event.released,
    )
    await tx.imports.record_progress(event.import_id, counts=counts, errors=errors)


def _rejection_error(rejected: RejectedAnnotation) -> ItemError:
    problems = tuple(ShapeRuleBroken.model_validate(p.model_dump()) for p in rejected.problems)
    said = "; ".join(
        ("" if p.shape_index is None else f"shape {p.shape_index} ({p.shape_id!r}): ") + f"{p.rule}: {p.message}"
        for p in problems
    )
    return ItemError(
        item=rejected.item or rejected.sample_id,
        line=rejected.line,
        error=f"annotation not imported: {said}",
        sample_id=rejected.sample_id,
        problems=problems,
    )


async def _items(task: ImportTask, *, store: ObjectStore, errors: list[ItemError]) -> AsyncIterator[ImportItem]:
    """The items of the source; lines that are not valid go to `errors` (with their line number)."""
    source = task.source
    if isinstance(source, BucketSource):
        async for listed in store.list_objects(source.bucket, source.prefix):
            yield ImportItem(bucket=source.bucket, key=listed.key)
        return
    if isinstance(source, UploadSource | ArchiveSource):  # uploads are registered when they arrive; archives apart
        return
    number = 0
    async for text in store.read_lines(source.bucket, source.key):
        number += 1
        if not text.strip():
            continue
        try:
            line = parse_manifest_line(text)
        except ValueError as exc:
            errors.append(ItemError(item=f"{source.key}:{number}", line=number, error=str(exc)))
            continue
        bucket, key = line.location
        yield ImportItem(bucket=bucket, key=key, line=number, manifest=line)


async def _import_batch(
    run: TransactionRunner[SyncTransaction],
    task: ImportTask,
    dataset: SyncDataset,
    items: list[ImportItem],
    line_errors: list[ItemError],
    *,
    store: ObjectStore,
    kept: int,
) -> int:
    batch = ImportBatch(errors=list(line_errors))
    # what the dataset had before this batch: a copy into a watched input path may be registered by its
    # notification before the batch commits, and is still this import's doing
    targets = [sample_id_for(dataset.id, _placement(item, task=task, dataset=dataset)[1]) for item in items]
    known_before = await run(lambda tx: tx.objects.existing_ids(targets))
    first_of: dict[str, ImportItem] = {}  # a manifest naming one object twice: one item, an error for the others
    for item, target in zip(items, targets, strict=True):
        if target in first_of:
            batch.errors.append(_named_again(item, first=first_of[target]))
            continue
        first_of[target] = item
        await _bring_in(item, task=task, dataset=dataset, store=store, batch=batch)
    errors = batch.errors[: max(MAX_ITEM_ERRORS - kept, 0)]

    async def work(tx: SyncTransaction) -> None:
        existing = await tx.objects.existing_ids([o.id for o, _, _ in batch.objects])
        fresh = [o for o, _, _ in batch.objects if o.id not in existing]
        await tx.objects.add_many(fresh)
        if fresh:
            tx.emit(DataAdded(dataset_id=dataset.id, origin="import", samples=tuple(o.as_added() for o in fresh)))
        annotations = tuple(
            _annotation(o, m, line=line) for o, m, line in batch.objects if task.labeled and m is not None and m.shapes
        )
        if annotations:
            tx.emit(AnnotationsImported(dataset_id=dataset.id, import_id=task.id, annotations=annotations))
        counts = ImportCounts(
            total=len(items) + len(line_errors),
            imported=sum(1 for o, _, _ in batch.objects if o.id not in known_before),
            already_present=sum(1 for o, _, _ in batch.objects if o.id in known_before),
            skipped=batch.skipped,
            failed=len(batch.errors),
            annotated=len(annotations),
        )
        await tx.imports.record_progress(task.id, counts=counts, errors=errors)

    await run(work)
    return kept + len(errors)


async def _bring_in(
    item: ImportItem, *, task: ImportTask, dataset: SyncDataset, store: ObjectStore, batch: ImportBatch
) -> None:
    where = f"s3://{item.bucket}/{item.key}"
    try:
        listed = await store.stat(item.bucket, item.key)
        if listed is None:
            batch.errors.append(ItemError(item=where, line=item.line, error="object not found"))
            return
        kind = kind_from_name(item.key)
        if kind is None:
            kind = kind_from_content(await store.read_head(item.bucket, item.key, SNIFF_BYTES))
        if isinstance(kind, Skipped):
            batch.skipped += 1
            if item.manifest is not None:  # a manifest names it on purpose: say why it was not taken
                batch.errors.append(ItemError(item=where, line=item.line, error=kind.reason))
            return
        bucket, placed = item.bucket, listed
        if task.mode == "copy":
            bucket, placed = await _copy_into_input_path(item, task=task, dataset=dataset, store=store)
        known = KnownObject.register(dataset_id=dataset.id, bucket=bucket, listed=placed, media_kind=kind)
        batch.objects.append((known, item.manifest, item.line))
    except Exception as exc:  # noqa: BLE001 - one item's failure is reported, the others import
        batch.errors.append(ItemError(item=where, line=item.line, error=f"{type(exc).__name__}: {exc}"))


def _named_again(item: ImportItem, *, first: ImportItem) -> ItemError:
    where = f"s3://{item.bucket}/{item.key}"
    earlier = f"line {first.line}" if first.line is not None else f"s3://{first.bucket}/{first.key}"
    return ItemError(
        item=where, line=item.line, error=f"duplicate: names the same sample as {earlier}; not imported again"
    )


def _annotation(known: KnownObject, manifest: ManifestLine, *, line: int | None) -> ImportedAnnotation:
    shapes = tuple(s.as_shape() for s in manifest.shapes)
    return ImportedAnnotation(
        sample_id=known.id, shapes=shapes, labeled_by=manifest.labeled_by, line=line, item=manifest.source
    )


def _placement(item: ImportItem, *, task: ImportTask, dataset: SyncDataset) -> tuple[str, str]:
    """Where the item's sample object will be: copied under the input path, or where it is (reference)."""
    source = task.source
    if task.mode == "reference":
        return item.bucket, item.key
    relative = item.key.removeprefix(source.prefix) if isinstance(source, BucketSource) else item.key
    return dataset.input_path.bucket, str(PurePosixPath(dataset.input_path.prefix or ".") / relative).removeprefix("./")


async def _copy_into_input_path(
    item: ImportItem, *, task: ImportTask, dataset: SyncDataset, store: ObjectStore
) -> tuple[str, ListedObject]:
    bucket, target = _placement(item, task=task, dataset=dataset)
    if (item.bucket, item.key) == (bucket, target):
        listed = await store.stat(bucket, target)
        assert listed is not None
        return bucket, listed
    return bucket, await store.copy(source_bucket=item.bucket, source_key=item.key, bucket=bucket, key=target)
