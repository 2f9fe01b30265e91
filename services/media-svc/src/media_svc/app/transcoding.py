"""Background transcodes: a video Chromium cannot play gets an H.264/MP4 copy in the derived area; the sample's
playback then says so (MediaProcessed again, same source version)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from labelstream_shared.events.contracts import MediaPlayback
from labelstream_shared.jobs import Claim

from media_svc.app.ports import MediaTransaction, SourceMissingError, Transcodes
from media_svc.app.processing import MediaJobs, heartbeating
from media_svc.domain import keys
from media_svc.domain.limits import DecoderFailedError, MediaRejectedError
from media_svc.domain.records import MediaRecord

log = logging.getLogger(__name__)


async def execute_transcode(claim: Claim, owner: str, *, jobs: MediaJobs, transcodes: Transcodes) -> None:
    etag = await transcodes.etag_of(claim.job_id)
    record = await jobs.records.get(claim.job_id)
    if etag is None or record is None or record.etag != etag or record.transcode_status != "queued":
        await transcodes.done(claim.job_id)
        return
    async with heartbeating(lambda: transcodes.heartbeat(claim.job_id, owner=owner)):
        playback = await _transcode(jobs, record, attempts=claim.attempts)
    if playback is None:
        return  # retried later

    async def work(tx: MediaTransaction) -> None:
        await tx.transcodes.done(record.id)
        current = await tx.records.get(record.id)
        if current is None or current.etag != record.etag or current.status != "ready":
            return
        updated = current.transcoded(playback)
        await tx.records.save(updated)
        tx.emit(updated.event())

    await jobs.run(work)


async def _transcode(jobs: MediaJobs, record: MediaRecord, *, attempts: int) -> MediaPlayback | None:
    key = keys.transcode_key(record.derived_prefix)
    rotation = record.metadata.rotation or 0 if record.metadata else 0
    with tempfile.TemporaryDirectory(prefix="media-transcode-", dir=jobs.work_dir) as work:
        source, target = str(Path(work) / "source"), str(Path(work) / "playable.mp4")
        try:
            await jobs.store.download(record.bucket, record.key, source, max_bytes=jobs.max_source_bytes)
            await jobs.decoder.transcode(source, target, rotation=rotation)
            await jobs.store.put_file(jobs.derived_bucket, key, target, content_type="video/mp4")
        except (MediaRejectedError, SourceMissingError) as exc:
            return _failed(str(exc))
        except DecoderFailedError as exc:
            if attempts < jobs.max_attempts:
                log.warning("transcode of %s: %s (attempt %d)", record.id, exc, attempts)
                return None
            return _failed(str(exc))
    return MediaPlayback(mode="transcode", status="ready", bucket=jobs.derived_bucket, key=key, codec="h264")


def _failed(reason: str) -> MediaPlayback:
    return MediaPlayback(mode="transcode", status="failed", codec="h264", failure_reason=reason)
