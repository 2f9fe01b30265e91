"""Processing media jobs in batches: download the sources (bounded), decode them in worker processes (small sources
several to a task), store the derived files under the source version's keys, then record every result and emit
their MediaProcessed in one transaction per batch, dropping each result whose sample's source changed meanwhile (a
stale result never overwrites a newer one). A source that crashes the decoder is retried alone, so the rest of its
batch still counts; it is failed after `max_attempts`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import MediaPlayback
from labelstream_shared.jobs import Claim
from labelstream_shared.uow import TransactionRunner

from media_svc.app.ports import Decoder, MediaRecords, MediaStore, MediaTransaction, SourceMissingError
from media_svc.domain import keys
from media_svc.domain.frames import FrameIndex
from media_svc.domain.limits import DecoderFailedError, MediaRejectedError
from media_svc.domain.processed import Processed, ProcessedVideo
from media_svc.domain.records import DerivedFiles, MediaRecord

log = logging.getLogger(__name__)
HEARTBEAT_S = 20.0
Decoded = Processed | MediaRejectedError | DecoderFailedError


@dataclass(frozen=True)
class MediaJobs:
    """What media jobs need."""

    run: TransactionRunner[MediaTransaction]
    records: MediaRecords
    store: MediaStore
    decoder: Decoder
    derived_bucket: str
    max_source_bytes: int
    max_attempts: int = 3
    work_dir: str | None = None
    transfers: int = 16  # downloads and uploads of a batch under way at once
    small_source_bytes: int = 1024 * 1024  # sources up to this size are decoded several to a task
    sources_per_task: int = 32


@dataclass(frozen=True)
class Outcome:
    """What a job came to: a result (ready or failed) or a retry (queued again), with a video's frame index."""

    record: MediaRecord
    index: FrameIndex | None = None


@contextlib.asynccontextmanager
async def heartbeating(beat: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """Tell the queue the job(s) are alive (`beat`) while the work inside runs."""

    async def beating() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            with contextlib.suppress(Exception):
                await beat()

    task = asyncio.create_task(beating())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def execute_media_job(claim: Claim, owner: str, *, jobs: MediaJobs) -> None:
    """One job: a batch of one."""
    await execute_media_batch([claim], owner, jobs=jobs)


async def execute_media_batch(claims: Sequence[Claim], owner: str, *, jobs: MediaJobs) -> int:
    """Process the claimed jobs together; returns how many results were recorded (stale ones are dropped)."""
    found = await jobs.records.get_many(c.job_id for c in claims)
    attempts = {c.job_id: c.attempts for c in claims}
    running = [r for c in claims if (r := found.get(c.job_id)) is not None and r.status == "running"]
    now = utc_now()
    given_up = [
        Outcome(r.failed(f"decoding crashed or timed out {attempts[r.id] - 1} times", at=now))
        for r in running
        if attempts[r.id] > jobs.max_attempts
    ]
    todo = [r for r in running if attempts[r.id] <= jobs.max_attempts]
    ids = [r.id for r in todo]
    async with heartbeating(lambda: jobs.records.heartbeat_many(ids, owner=owner)):
        outcomes = await _process_all(jobs, todo, attempts=attempts)
    return await _record(jobs, [*given_up, *outcomes])


async def _process_all(jobs: MediaJobs, records: list[MediaRecord], *, attempts: dict[str, int]) -> list[Outcome]:
    if not records:
        return []
    transfers = asyncio.Semaphore(jobs.transfers)
    with tempfile.TemporaryDirectory(prefix="media-batch-", dir=jobs.work_dir) as work:
        paths = {r.id: str(Path(work) / str(n)) for n, r in enumerate(records)}
        fetched = await asyncio.gather(*(_fetch(jobs, r, paths[r.id], transfers) for r in records))
        outcomes = [o for o in fetched if isinstance(o, Outcome)]
        downloaded = [r for r, o in zip(records, fetched, strict=True) if o is True]
        decoded = await _decode(jobs, [(r, paths[r.id]) for r in downloaded])
    finished = await asyncio.gather(
        *(_finish(jobs, r, decoded[r.id], attempts=attempts[r.id], transfers=transfers) for r in downloaded)
    )
    return outcomes + [o for o in finished if o is not None]


async def _fetch(jobs: MediaJobs, record: MediaRecord, path: str, transfers: asyncio.Semaphore) -> Outcome | bool:
    """True when the source is in `path`; its failed outcome when it cannot be; False when the job is left for a
    later claim (an unexpected error: storage away)."""
    async with transfers:
        try:
            await jobs.store.download(record.bucket, record.key, path, max_bytes=jobs.max_source_bytes)
        except MediaRejectedError as exc:
            return Outcome(record.failed(exc.reason, at=utc_now()))
        except SourceMissingError:
            return Outcome(record.failed("the source object is not in the bucket", at=utc_now()))
        except Exception:
            log.exception("media job %s: the source could not be read; it is taken again later", record.id)
            return False
    return True


async def _decode(jobs: MediaJobs, sources: list[tuple[MediaRecord, str]]) -> dict[str, Decoded]:
    """Small sources several to a task, large ones alone; then each source of a task that crashed or timed out is
    decoded again on its own, one after the other, so only the guilty one fails."""
    groups: list[list[tuple[MediaRecord, str]]] = []
    small = [s for s in sources if s[0].size <= jobs.small_source_bytes]
    groups += [small[i : i + jobs.sources_per_task] for i in range(0, len(small), jobs.sources_per_task)]
    groups += [[s] for s in sources if s[0].size > jobs.small_source_bytes]
    decoded: dict[str, Decoded] = {}
    suspects: list[tuple[MediaRecord, str]] = []

    async def decode_group(group: list[tuple[MediaRecord, str]]) -> None:
        try:
            results = await jobs.decoder.process_many([(path, r.kind) for r, path in group])
        except Exception as exc:  # noqa: BLE001 - a crash, a time-out or a decoder's bug: on which source?
            failure = _as_failure(exc)
            if len(group) > 1:
                suspects.extend(group)
            decoded.update(dict.fromkeys((r.id for r, _ in group), failure))
            return
        decoded.update({r.id: result for (r, _), result in zip(group, results, strict=True)})

    await asyncio.gather(*(decode_group(g) for g in groups))
    for record, path in suspects:
        try:
            decoded[record.id] = await jobs.decoder.process(path, kind=record.kind)
        except Exception as exc:  # noqa: BLE001 - its own failure, whatever it is
            decoded[record.id] = _as_failure(exc)
    return decoded


def _as_failure(exc: Exception) -> MediaRejectedError | DecoderFailedError:
    if isinstance(exc, MediaRejectedError | DecoderFailedError):
        return exc
    return DecoderFailedError(f"decoding failed: {exc!r}")


async def _finish(
    jobs: MediaJobs, record: MediaRecord, decoded: Decoded, *, attempts: int, transfers: asyncio.Semaphore
) -> Outcome | None:
    if isinstance(decoded, MediaRejectedError):
        return Outcome(record.failed(decoded.reason, at=utc_now()))
    if isinstance(decoded, DecoderFailedError):
        log.warning("media job %s: %s (attempt %d)", record.id, decoded, attempts)
        if attempts >= jobs.max_attempts:
            return Outcome(record.failed(str(decoded), at=utc_now()))
        return Outcome(record.model_copy(update={"status": "queued"}))
    async with transfers:
        try:
            derived = await _store_derived(jobs, record, decoded)
        except Exception:
            log.exception("media job %s: the derived files could not be stored; it is taken again later", record.id)
            return None
    metadata = decoded.metadata.model_copy(update={"size": record.size})
    if isinstance(decoded, ProcessedVideo):
        playback = _playback(record, decoded, derived_bucket=jobs.derived_bucket)
        done = record.succeeded(metadata=metadata, derived=derived, playback=playback, at=utc_now())
        return Outcome(done, decoded.frame_index)
    return Outcome(record.succeeded(metadata=metadata, derived=derived, playback=None, at=utc_now()))


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


async def _record(jobs: MediaJobs, outcomes: Iterable[Outcome]) -> int:
    """One transaction for the batch: every result still current is stored and announced, a retry queued again."""
    outcomes = list(outcomes)
    if not outcomes:
        return 0

    async def work(tx: MediaTransaction) -> int:
        current = await tx.records.get_many(o.record.id for o in outcomes)
        fresh = [o for o in outcomes if _is_current(current.get(o.record.id), o.record)]
        await tx.records.save_many([o.record for o in fresh])
        for outcome in fresh:
            done = outcome.record
            if outcome.index is not None:
                await tx.frame_indexes.save(done.id, etag=done.etag, index=outcome.index)
            if done.transcode_status == "queued":
                await tx.transcodes.queue(done.id, etag=done.etag)
            if done.status != "queued":
                tx.emit(done.event())
        return sum(o.record.status != "queued" for o in fresh)

    return await jobs.run(work)


def _is_current(current: MediaRecord | None, result: MediaRecord) -> bool:
    if current is None or current.etag != result.etag or current.status != "running":
        log.info("media job %s: result of etag %s is stale, dropped", result.id, result.etag)
        return False
    return True
