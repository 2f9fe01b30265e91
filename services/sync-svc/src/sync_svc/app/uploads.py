"""Files uploaded through the API ("Add data" from the browser): stored under the dataset's input path and
registered at once, as an import task of one item, so they show in the import history; and annotated archives (a
COCO, YOLO, ... zip), stored in the input bucket under `.labelstream-imports/` and imported as any archive."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import BinaryIO

from labelstream_shared.errors import InvalidInputError, NotFoundError
from labelstream_shared.events import DataAdded, SourceChanged
from labelstream_shared.uow import TransactionRunner

from sync_svc.app.archive_imports import checked_format
from sync_svc.app.imports import start_import
from sync_svc.app.ports import ObjectStore, SyncTransaction
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.imports import (
    ArchiveSource,
    ImportCounts,
    ImportTask,
    UploadSource,
    check_upload_name,
    upload_key,
)
from sync_svc.domain.media_kinds import SNIFF_BYTES, Skipped, kind_from_content, kind_from_name
from sync_svc.domain.objects import KnownObject


async def _known_dataset(run: TransactionRunner[SyncTransaction], dataset_id: str) -> SyncDataset:
    dataset = await run(lambda tx: tx.datasets.get(dataset_id))
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to sync-svc (yet)")
    return dataset


async def upload_file(
    run: TransactionRunner[SyncTransaction],
    *,
    store: ObjectStore,
    dataset_id: str,
    name: str,
    content: BinaryIO,
    size: int,
) -> ImportTask:
    try:
        check_upload_name(name)
    except ValueError as exc:
        raise InvalidInputError(f"name: {exc}") from exc
    dataset = await _known_dataset(run, dataset_id)
    try:
        key = upload_key(dataset.input_path.prefix, name)
    except ValueError as exc:
        raise InvalidInputError(f"name: {exc}") from exc
    kind = kind_from_name(name)
    if kind is None:
        kind = kind_from_content(content.read(SNIFF_BYTES))
        content.seek(0)
    if isinstance(kind, Skipped):
        raise InvalidInputError(f"file: {name!r} is not a supported image or video ({kind.reason})")
    bucket = dataset.input_path.bucket
    stored = await store.put_object(bucket, key, content, size=size)
    known = KnownObject.register(dataset_id=dataset.id, bucket=bucket, listed=stored, media_kind=kind)

    async def register(tx: SyncTransaction) -> ImportTask:
        before = (await tx.objects.get_many([known.id])).get(known.id)
        if before is None:
            await tx.objects.add_many([known])
            tx.emit(DataAdded(dataset_id=dataset.id, origin="import", samples=(known.as_added(),)))
        elif before.missing or before.etag != known.etag:  # replaced, or back after it vanished
            await tx.objects.replace_many([known])
            tx.emit(SourceChanged(dataset_id=dataset.id, samples=(known.as_added(),)))
        task = ImportTask.queue(dataset_id=dataset.id, source=UploadSource(file_name=name), mode="copy", labeled=False)
        done = task.model_copy(
            update={
                "status": "succeeded",
                "counts": ImportCounts(total=1, imported=1),
                "started_at": task.created_at,
                "finished_at": task.created_at,
            }
        )
        await tx.imports.add(done)
        return done

    return await run(register)


ARCHIVE_STAGING = (
    ".labelstream-imports/"  # where uploaded archives wait in the input bucket (kept: the import's source)
)


async def upload_archive(
    run: TransactionRunner[SyncTransaction],
    *,
    store: ObjectStore,
    dataset_id: str,
    name: str,
    content: BinaryIO,
    size: int,
    format: str | None,
    labeled: bool,
) -> ImportTask:
    """Store an annotated archive sent from the browser and start its import (202: follow the task)."""
    if not name.lower().endswith(".zip"):
        raise InvalidInputError(f"name: {name!r} is not a .zip archive")
    checked_format(format, field="format")
    dataset = await _known_dataset(run, dataset_id)
    key = f"{ARCHIVE_STAGING}{dataset_id}/{uuid.uuid4().hex}/{PurePosixPath(name).name}"
    await store.put_object(dataset.input_path.bucket, key, content, size=size)
    source = ArchiveSource(bucket=dataset.input_path.bucket, key=key, format=format)
    return await start_import(run, dataset_id=dataset_id, source=source, mode="copy", labeled=labeled)
