"""Test support for media-svc: the use cases wired to the in-memory fakes and an in-process decoder (no worker
processes, no IO but local temporary files). Test-only code (labelstream_testing)."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from labelstream_shared.clock import utc_now
from labelstream_shared.events import DataAdded, EventPayload, MediaProcessed, envelope_for
from labelstream_shared.events.contracts import AddedSample, MediaKind
from labelstream_shared.jobs import Claim
from media_svc.adapters.caches import FrameLru, LocalSources
from media_svc.adapters.decoding import tasks
from media_svc.app.frames import Frames
from media_svc.app.handlers import DATASET_SUBSCRIPTIONS, SUBSCRIPTIONS
from media_svc.app.processing import MediaJobs, execute_media_batch
from media_svc.app.purge import execute_purge
from media_svc.app.transcoding import execute_transcode
from media_svc.domain.frames import FrameTarget
from media_svc.domain.limits import MediaLimits, MediaRejectedError
from media_svc.domain.processed import Processed
from media_svc.entrypoints.api import MediaDeps

from labelstream_testing.events import dataset_created
from labelstream_testing.media_fakes import (
    FakeMediaStore,
    InMemoryFrameIndexes,
    InMemoryMediaPurges,
    InMemoryMediaRecords,
    InMemoryMediaTransaction,
    InMemoryTranscodes,
    in_memory_runner,
)
from labelstream_testing.uow import InMemoryState

SOURCE_BUCKET = "raw-data"
DERIVED_BUCKET = "derived"


class InlineDecoder:
    """The Decoder port in this process (in a thread): the same decoding functions the worker processes run."""

    def __init__(self, limits: MediaLimits | None = None) -> None:
        self.limits = limits or MediaLimits()

    async def process(self, path: str, *, kind: str) -> Processed:
        return await asyncio.to_thread(tasks.process_source, path, kind=kind, limits=self.limits)

    async def process_many(self, sources: Sequence[tuple[str, str]]) -> list[Processed | MediaRejectedError]:
        return await asyncio.to_thread(tasks.process_sources, list(sources), limits=self.limits)

    async def frame(self, path: str, target: FrameTarget, *, rotation: int) -> bytes:
        return await asyncio.to_thread(tasks.frame_jpeg, path, target, rotation=rotation)

    async def extract(self, path: str, targets: list[FrameTarget], *, rotation: int, out_path: str) -> int:
        return await asyncio.to_thread(tasks.extract_frames, path, targets, rotation=rotation, out_path=out_path)

    async def transcode(self, path: str, out_path: str, *, rotation: int) -> None:
        await asyncio.to_thread(tasks.transcode_to_h264, path, out_path, rotation=rotation)


class Harness:
    def __init__(self, work_dir: Path) -> None:
        self.run = in_memory_runner()
        state: InMemoryState = self.run.state
        self.records = InMemoryMediaRecords(state)
        self.transcodes = InMemoryTranscodes(state)
        self.purges = InMemoryMediaPurges(state)
        self.store = FakeMediaStore()
        self.decoder = InlineDecoder()
        self.jobs = MediaJobs(
            run=self.run,
            records=self.records,
            store=self.store,
            decoder=self.decoder,
            derived_bucket=DERIVED_BUCKET,
            max_source_bytes=10**9,
        )
        sources = LocalSources(
            store=self.store, directory=str(work_dir / "sources"), max_bytes=10**9, max_source_bytes=10**9
        )
        self.frames = Frames(
            records=self.records,
            indexes=InMemoryFrameIndexes(state),
            store=self.store,
            decoder=self.decoder,
            sources=sources,
            cache=FrameLru(max_bytes=10**7),
            index_cache={},
        )
        self.deps = MediaDeps(frames=self.frames, store=self.store, work_dir=tempfile.gettempdir())
        self._versions: dict[str, int] = {}

    def put(self, key: str, content: bytes) -> AddedSample:
        """Store the object and describe it as sync-svc would (a new etag per put)."""
        self.store.objects[(SOURCE_BUCKET, key)] = content
        version = self._versions[key] = self._versions.get(key, 0) + 1
        kind: MediaKind = "image" if key.lower().endswith((".jpg", ".jpeg", ".png", ".webp", ".gif")) else "video"
        return AddedSample(
            sample_id=f"s-{key}",
            bucket=SOURCE_BUCKET,
            key=key,
            size=len(content),
            etag=f"{key}-v{version}",
            media_kind=kind,
            last_modified=utc_now(),
        )

    async def deliver(self, payload: EventPayload) -> None:
        envelope = envelope_for(payload, source="/labelstream/test", correlation_id="c")
        handler = next(s for s in [*SUBSCRIPTIONS, *DATASET_SUBSCRIPTIONS] if s.payload_type is type(payload))

        async def work(tx: InMemoryMediaTransaction) -> None:
            await handler.handle(tx, payload, envelope)

        await self.run(work)

    async def create(self, dataset_id: str) -> None:
        await self.deliver(dataset_created(dataset_id, labeling_type="video_labeling"))

    async def add(self, dataset_id: str, samples: list[AddedSample], *, create: bool = True) -> None:
        """DataAdded of the samples, after the dataset's DatasetCreated unless `create` is False."""
        if create:
            await self.create(dataset_id)
        await self.deliver(DataAdded(dataset_id=dataset_id, origin="sync", samples=tuple(samples)))

    async def work_off(self, *, limit: int = 1000, batch: int = 64) -> int:
        """Run every queued media job in batches (then the transcodes, one at a time); returns how many jobs."""
        done = 0
        while done < limit and (claims := await self.records.claim_batch(owner="test", stale_after_s=120, limit=batch)):
            await execute_media_batch(claims, "test", jobs=self.jobs)
            done += len(claims)
        while done < limit and (claim := await self.transcodes.claim_next(owner="test", stale_after_s=120)):
            await execute_transcode(claim, "test", jobs=self.jobs, transcodes=self.transcodes)
            done += 1
        return done

    async def purge(self, claim: Claim, owner: str, *, chunk: int = 1000) -> int:
        return await execute_purge(
            claim, owner, run=self.run, store=self.store, derived_bucket=DERIVED_BUCKET, purges=self.purges, chunk=chunk
        )

    async def purge_all(self, *, chunk: int = 1000) -> int:
        """Run every queued purge; returns how many records went."""
        removed = 0
        while claim := await self.purges.claim_next(owner="test", stale_after_s=120):
            removed += await self.purge(claim, "test", chunk=chunk)
        return removed

    def processed(self) -> list[MediaProcessed]:
        payloads = [e.envelope.payload() for e in self.run.state.outbox]
        return [p for p in payloads if isinstance(p, MediaProcessed)]

    def latest(self, sample_id: str) -> MediaProcessed:
        return [p for p in self.processed() if p.sample_id == sample_id][-1]


def crash_process() -> None:
    """Dies the way a decoder does on a segfault (for tests of the process pool)."""
    os.kill(os.getpid(), signal.SIGSEGV)


def sleep_in_process(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"
