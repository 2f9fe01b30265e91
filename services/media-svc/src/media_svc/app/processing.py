"""Processing one media job: download the source, decode it in a worker process, store the derived files under
the source version's keys, then record the result and emit MediaProcessed in one transaction, unless the sample's
source changed meanwhile (a stale result never overwrites a newer one)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import MediaPlayback
from labelstream_shared.jobs import Claim, JobQueue
from labelstream_shared.uow import TransactionRunner

from media_svc.app.ports import Decoder, MediaRecords, MediaStore, MediaTransaction, SourceMissingError
from media_svc.domain import keys
from media_svc.domain.frames import FrameIndex
from media_svc.domain.limits import DecoderFailedError, MediaRejectedError
from media_svc.domain.processed import Processed, ProcessedVideo
from media_svc.domain.records import DerivedFiles, MediaRecord

log = logging.getLogger(__name__)
HEARTBEAT_S = 20.0


@dataclass(frozen=True)
class MediaJobs:
    """What a media job needs."""

    run: TransactionRunner[MediaTransaction]
    records: MediaRecords
    store: MediaStore
    decoder: Decoder
    derived_bucket: str
    max_source_bytes: int
    max_attempts: int = 3
    work_dir: str | None = None


@contextlib.asynccontextmanager
async def heartbeating(queue: JobQueue, job_id: str, owner: str) -> AsyncIterator[None]:
    """Tell the queue the job is alive while the work inside runs."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            with contextlib.suppress(Exception):
                await queue.heartbeat(job_id, owner=owner)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def execute_media_job(claim: Claim, owner: str, *, jobs: MediaJobs) -> None:
    record = await jobs.records.get(claim.job_id)
    if record is None or record.status != "running":
        return
    if claim.attempts > jobs.max_attempts:
        reason = f"decoding crashed or timed out {claim.attempts - 1} times"
        await _finish(jobs, record.failed(reason, at=utc_now()), index=None)
        return
    async with heartbeating(jobs.records, claim.job_id, owner):
        try:
            done, index = await _process(jobs, record)
        except DecoderFailedError as exc:
            log.warning("media job %s: %s (attempt %d)", record.id, exc, claim.attempts)
            if claim.attempts >= jobs.max_attempts:
                await _finish(jobs, record.failed(str(exc), at=utc_now()), index=None)
            else:
                await _requeue(jobs, record)
            return
    await _finish(jobs, done, index=index)


async def _process(jobs: MediaJobs, record: MediaRecord) -> tuple[MediaRecord, FrameIndex | None]:
    with tempfile.TemporaryDirectory(prefix="media-job-", dir=jobs.work_dir) as work:
        source = str(Path(work) / "source")
        try:
            await jobs.store.download(record.bucket, record.key, source, max_bytes=jobs.max_source_bytes)
            processed = await jobs.decoder.process(source, kind=record.kind)
        except MediaRejectedError as exc:
            return record.failed(exc.reason, at=utc_now()), None
        except SourceMissingError:
            return record.failed("the source object is not in the bucket", at=utc_now()), None
    derived = await _store_derived(jobs, record, processed)
    metadata = processed.metadata.model_copy(update={"size": record.size})
    if isinstance(processed, ProcessedVideo):
        playback = _playback(record, processed, derived_bucket=jobs.derived_bucket)
        done = record.succeeded(metadata=metadata, derived=derived, playback=playback, at=utc_now())
        return done, processed.frame_index
    return record.succeeded(metadata=metadata, derived=derived, playback=None, at=utc_now()), None


async def _store_derived(jobs: MediaJobs, record: MediaRecord, processed: Processed) -> DerivedFiles:
    prefix, bucket = record.derived_prefix, jobs.derived_bucket
    files = {keys.thumbnail_key(prefix): processed.thumbnail}
    if isinstance(processed, ProcessedVideo):
        files |= {keys.poster_key(prefix): processed.poster, keys.timeline_key(prefix): processed.timeline}
    for key, data in files.items():
        await jobs.store.put(bucket, key, data, content_type="image/jpeg")
    video = isinstance(processed, ProcessedVideo)
    return DerivedFiles(
        bucket=bucket,
        thumbnail_key=keys.thumbnail_key(prefix),
        poster_key=keys.poster_key(prefix) if video else None,
        timeline_key=keys.timeline_key(prefix) if video else None,
    )


def _playback(record: MediaRecord, processed: ProcessedVideo, *, derived_bucket: str) -> MediaPlayback:
    if processed.playable:
        return MediaPlayback(
            mode="source", status="ready", bucket=record.bucket, key=record.key, codec=processed.metadata.codec
        )
    return MediaPlayback(mode="transcode", status="pending", bucket=derived_bucket, codec="h264")


async def _finish(jobs: MediaJobs, done: MediaRecord, *, index: FrameIndex | None) -> None:
    async def work(tx: MediaTransaction) -> None:
        current = await tx.records.get(done.id)
        if current is None or current.etag != done.etag or current.status != "running":
            log.info("media job %s: result of etag %s is stale, dropped", done.id, done.etag)
            return
        await tx.records.save(done)
        if index is not None:
            await tx.frame_indexes.save(done.id, etag=done.etag, index=index)
        if done.transcode_status == "queued":
            await tx.transcodes.queue(done.id, etag=done.etag)
        tx.emit(done.event())

    await jobs.run(work)


async def _requeue(jobs: MediaJobs, record: MediaRecord) -> None:
    async def work(tx: MediaTransaction) -> None:
        current = await tx.records.get(record.id)
        if current is not None and current.etag == record.etag and current.status == "running":
            await tx.records.save(current.model_copy(update={"status": "queued"}))

    await jobs.run(work)
