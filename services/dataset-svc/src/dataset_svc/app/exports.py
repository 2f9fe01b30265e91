"""Exports of published versions: request one (a job), list and read them, and the worker's side — the archive built
from the version's manifest by the format's module and streamed into object storage, then the export marked
completed with ExportCompleted in one transaction.

The archive is built by synchronous generators (the formats package) in a worker thread: the manifest is read line by
line, the zip is written as it is produced and uploaded in parts, so memory stays flat whatever the size. Progress
and the job's heartbeat go back to the event loop at most once a second. A worker that dies leaves an incomplete
multipart upload, which object storage never shows as an object; the job goes stale and another worker starts it
again from the beginning. Nothing is reported done before the whole archive is stored."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from labelstream_formats.archive import zip_stream
from labelstream_formats.model import ExportDataset, ExportOptions, Item, Report
from labelstream_formats.registry import EXPORTS, export_format
from labelstream_shared.errors import ConflictError, InvalidInputError, NotFoundError
from labelstream_shared.events import ExportCompleted
from labelstream_shared.events.contracts import BucketPath
from labelstream_shared.jobs import Claim, JobLostError
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.uow import TransactionRunner

from dataset_svc.app.ports import DatasetTransaction, ExportRepository, ExportStorage, FrameSource
from dataset_svc.app.use_cases import get_dataset
from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.exports import MAX_ATTEMPTS, Export, ExportArchive, ExportOutcome, item_of, parse_line
from dataset_svc.domain.requests import created_id, same_request
from dataset_svc.domain.samples import SampleQuery
from dataset_svc.domain.versions import ManifestLine, Version

log = logging.getLogger(__name__)
Run = TransactionRunner[DatasetTransaction]
PROGRESS_EVERY_S = 1.0
PAGE = 1000  # samples per transaction when the current data is exported


async def request_export(
    dataset_id: str,
    version_id: str,
    *,
    format: str,
    options: ExportOptions,
    requested_by: str | None,
    run: Run,
    key: str | None = None,
) -> Export:
    """Queue an export of a published version; 422 for a format not offered, 409 unless the version is published.
    With an Idempotency-Key (`key`), the same request again answers the export the first one queued."""
    _check_format(format)
    export_id = created_id(dataset_id, "exportVersion", key)

    async def work(tx: DatasetTransaction) -> Export:
        await get_dataset(tx.datasets, dataset_id)
        if key is not None and (earlier := await tx.exports.get(export_id)) is not None:
            same_request((earlier.version_id, earlier.format, earlier.options) == (version_id, format, options), key)
            return earlier
        version = await tx.versions.get(version_id)
        if version is None or version.dataset_id != dataset_id or not version.is_visible:
            raise NotFoundError(f"version {version_id!r} not found in dataset {dataset_id!r}")
        if version.status != "published":
            raise ConflictError(f"version {version.name} is {version.status}: only a published version is exported")
        export = Export.create(version=version, format=format, options=options, requested_by=requested_by, id=export_id)
        await tx.exports.add(export)
        return export

    return await run(work)


async def request_current_export(
    dataset_id: str,
    *,
    selection: SampleQuery,
    format: str,
    options: ExportOptions,
    requested_by: str | None,
    run: Run,
    key: str | None = None,
) -> Export:
    """Queue an export of the dataset's samples matching `selection` as they are (a labeling job's view, a filter);
    422 for a format not offered. With an Idempotency-Key (`key`), the same request again answers the export the
    first one queued."""
    _check_format(format)
    export_id = created_id(dataset_id, "exportCurrentData", key)

    async def work(tx: DatasetTransaction) -> Export:
        await get_dataset(tx.datasets, dataset_id)
        if key is not None and (earlier := await tx.exports.get(export_id)) is not None:
            same_request((earlier.selection, earlier.format, earlier.options) == (selection, format, options), key)
            return earlier
        counts = await tx.samples.count(dataset_id, query=selection)
        total = counts.all if selection.tab == "all" else getattr(counts, selection.tab)
        export = Export.of_current(
            dataset_id=dataset_id, selection=selection, total=total, format=format, options=options,
            requested_by=requested_by, id=export_id,
        )  # fmt: skip
        await tx.exports.add(export)
        return export

    return await run(work)


def _check_format(format: str) -> None:
    if export_format(format) is None:
        raise InvalidInputError(f"format: {format!r} is not one of {', '.join(sorted(EXPORTS))}")


async def get_export(dataset_id: str, export_id: str, *, exports: ExportRepository) -> Export:
    export = await exports.get(export_id)
    if export is None or export.dataset_id != dataset_id:
        raise NotFoundError(f"export {export_id!r} not found in dataset {dataset_id!r}")
    return export


async def completed_export(dataset_id: str, export_id: str, *, exports: ExportRepository) -> ExportArchive:
    """The archive of a completed export; 409 while it is not."""
    export = await get_export(dataset_id, export_id, exports=exports)
    if export.status != "completed" or export.archive is None:
        raise ConflictError(f"export {export_id} is {export.status}: its archive can be downloaded once completed")
    return export.archive


async def list_exports(
    dataset_id: str,
    *,
    exports: ExportRepository,
    version_id: str | None,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[Export]:
    return await exports.list(dataset_id, version_id=version_id, limit=limit, before=before)


# --- the worker's side ------------------------------------------------------------------------------------------


async def execute_export(
    claim: Claim, *, run: Run, storage: ExportStorage, owner: str, frames: FrameSource | None = None
) -> None:
    export = await run(lambda tx: tx.exports.get(claim.job_id))
    if export is None or export.is_finished:
        return
    try:
        if claim.attempts > MAX_ATTEMPTS:
            raise RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts (the worker stopped while exporting)")
        loop = asyncio.get_running_loop()
        dataset, version = await run(partial(_sources, export))
        source = _version_source(version, dataset, storage) if version else _current_source(export, dataset, run, loop)
        beat = _Heartbeat(loop, run, export.id, owner)
        archive, outcome = await asyncio.to_thread(write_archive, export, source, dataset, storage, beat, frames)
        await run(partial(_mark_completed, export.id, archive, outcome, owner))
    except JobLostError:
        log.warning("export %s was taken over by another worker", claim.job_id)
    except Exception as exc:
        log.exception("export %s failed", claim.job_id)
        await run(partial(_mark_failed, claim.job_id, f"{type(exc).__name__}: {exc}"))


async def _sources(export: Export, tx: DatasetTransaction) -> tuple[Dataset, Version | None]:
    dataset = await tx.datasets.get(export.dataset_id)
    if dataset is None:
        raise RuntimeError("the dataset is gone (deleted while the export waited)")
    if export.version_id is None:
        return dataset, None
    version = await tx.versions.get(export.version_id)
    if version is None or version.status != "published":
        raise RuntimeError("the version is gone (deleted while the export waited)")
    return dataset, version


def _version_source(version: Version, dataset: Dataset, storage: ExportStorage) -> ExportDataset:
    """A published version: its manifest, read line by line from object storage at each pass."""
    prefix = dataset.input_path.prefix

    def items() -> Iterator[Item]:
        return (item_of(parse_line(raw), input_prefix=prefix) for raw in storage.lines(version.manifest))

    labels = version.label_set or tuple(s.label for s in version.statistics.labels)
    name = f"{version.name} of dataset {dataset.id}"
    return ExportDataset(name=name, labels=labels, items=items, count=version.sample_count)


def _current_source(export: Export, dataset: Dataset, run: Run, loop: asyncio.AbstractEventLoop) -> ExportDataset:
    """The dataset's samples matching the export's selection as they are: a page of samples with their labels per
    transaction, asked from the export's thread, at each pass (a sample changed between two passes shows its newer
    labels in the second)."""
    query = export.selection or SampleQuery()
    prefix = dataset.input_path.prefix

    def items() -> Iterator[Item]:
        after: SamplePosition | None = None
        while True:
            page: Future[tuple[list[dict[str, Any]], SamplePosition | None]] = asyncio.run_coroutine_threadsafe(
                run(partial(_current_page, dataset.id, query, after)), loop
            )
            lines, after = page.result()
            yield from (item_of(line, input_prefix=prefix) for line in lines)
            if after is None:
                return

    labels = tuple(label.name for label in dataset.labels)
    return ExportDataset(name=f"dataset {dataset.id}", labels=labels, items=items, count=export.progress.items_total)


async def _current_page(
    dataset_id: str, query: SampleQuery, after: SamplePosition | None, tx: DatasetTransaction
) -> tuple[list[dict[str, Any]], SamplePosition | None]:
    found = await tx.samples.find(dataset_id, query=query, limit=PAGE, after=after)
    kept = [s for s in found if not s.source_missing]
    labels = await tx.sample_labels.get_many(s.id for s in kept)
    lines = [ManifestLine.of(s, labels.get(s.id)).model_dump(mode="json", exclude_none=True) for s in kept]
    return lines, SamplePosition.of(found[-1]) if len(found) == PAGE else None


def write_archive(
    export: Export,
    source: ExportDataset,
    dataset: Dataset,
    storage: ExportStorage,
    beat: _Heartbeat | None = None,
    frames: FrameSource | None = None,
) -> tuple[ExportArchive, ExportOutcome]:
    """Build the archive and store it (blocking; runs in a worker thread). Deterministic: the same version, format
    and options give the same bytes."""
    fmt = export_format(export.format)
    if fmt is None:
        raise RuntimeError(f"format {export.format!r} is no longer offered")
    report = Report(progress=beat.progress if beat else None)
    media = _StoredMedia(storage, frames, dataset.id, report)
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        for chunk in zip_stream(fmt.export(source, export.options, media, report)):
            digest.update(chunk)
            if beat is not None:
                beat.tick()
            yield chunk

    target = export.target(dataset.output_path)
    size = storage.write(target, chunks(), content_type="application/zip")
    outcome = ExportOutcome(
        items=report.items, shapes=report.shapes, skipped=dict(report.skipped), converted=dict(report.converted)
    )
    return ExportArchive(location=target, size=size, sha256=digest.hexdigest()), outcome


@dataclass
class _StoredMedia:
    """The pictures of an export: image samples read from their source objects, a video's frames extracted by
    media-svc in one pass per video (without a frame source, counted as skipped)."""

    storage: ExportStorage
    frame_source: FrameSource | None
    dataset_id: str
    report: Report

    def image(self, item: Item) -> Iterator[bytes]:
        bucket, key = (item.source or "").removeprefix("s3://").split("/", 1)
        return self.storage.read(bucket, key)

    def frames(self, item: Item, frames: list[int]) -> Iterator[tuple[int, bytes]]:
        if self.frame_source is None:
            self.report.skipped["video frames: no frame source"] += len(frames)
            return iter(())
        return self.frame_source.frames(self.dataset_id, item.sample_id, frames)


class _Heartbeat:
    """Tells the job's owner is alive and how far it got, from the export's thread, at most once a second."""

    def __init__(self, loop: asyncio.AbstractEventLoop, run: Run, export_id: str, owner: str) -> None:
        self._loop, self._run, self._export_id, self._owner = loop, run, export_id, owner
        self._done = 0
        self._last = 0.0

    def progress(self, items_done: int) -> None:
        self._done = items_done
        self.tick()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        update = partial(_progress, self._export_id, self._owner, self._done)
        done: Future[None] = asyncio.run_coroutine_threadsafe(self._run(update), self._loop)
        done.result()  # JobLostError stops the export


async def _progress(export_id: str, owner: str, items_done: int, tx: DatasetTransaction) -> None:
    if not await tx.exports.heartbeat(export_id, owner=owner):
        raise JobLostError(export_id)
    export = await tx.exports.get(export_id)
    if export is not None and not export.is_finished:
        await tx.exports.save(export.running(items_done))


async def _mark_completed(
    export_id: str, archive: ExportArchive, outcome: ExportOutcome, owner: str, tx: DatasetTransaction
) -> None:
    if not await tx.exports.heartbeat(export_id, owner=owner):
        raise JobLostError(export_id)
    export = await tx.exports.get(export_id)
    if export is None or export.is_finished:
        return
    done = export.completed(archive, outcome)
    await tx.exports.save(done)
    tx.emit(
        ExportCompleted(
            dataset_id=done.dataset_id,
            version_id=done.version_id,
            export_id=done.id,
            format=done.format,
            archive=BucketPath(bucket=archive.location.bucket, prefix=archive.location.key),
            size=archive.size,
            sha256=archive.sha256,
            items=outcome.items,
            shapes=outcome.shapes,
            skipped=outcome.skipped,
            completed_at=done.finished_at or export.created_at,
        )
    )


async def _mark_failed(export_id: str, error: str, tx: DatasetTransaction) -> None:
    export = await tx.exports.get(export_id)
    if export is not None and not export.is_finished:
        await tx.exports.save(export.failed(error))
