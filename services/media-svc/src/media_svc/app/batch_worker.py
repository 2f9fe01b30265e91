"""The media job worker: claims a fair batch of jobs (see MediaRecords.claim_batch), processes it and records it in
one transaction; several batches are under way at once (downloads, decoding and commits overlap). The batch size
follows the measured rate, aiming at batches of about `target_batch_s`: many tiny sources per batch (no per-job
overhead), few large ones (a new object of another dataset is claimed within about that time, whatever the
backlog)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from labelstream_shared.jobs import STALE_AFTER_S, Claim, run_claimed, worker_owner

from media_svc.app.processing import MediaJobs, execute_media_batch

log = logging.getLogger(__name__)


class MediaBatchWorker:
    def __init__(
        self,
        *,
        jobs: MediaJobs,
        max_batch: int = 200,
        min_batch: int = 4,
        batches_in_flight: int = 4,
        target_batch_s: float = 1.0,
        poll_interval_s: float = 0.1,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.jobs = jobs
        self.max_batch, self.min_batch = max_batch, min(min_batch, max_batch)
        self.batches_in_flight = batches_in_flight
        self.target_batch_s = target_batch_s
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.owner = worker_owner("media-jobs")
        self._rate: float | None = None  # jobs per second of the last batch

    def batch_size(self) -> int:
        if self._rate is None:
            return self.min_batch
        return max(self.min_batch, min(self.max_batch, int(self._rate * self.target_batch_s)))

    async def run(self, stop: asyncio.Event) -> None:
        async def next_batch() -> Coroutine[Any, Any, None] | None:
            claims = await self._claim()
            return self.execute(claims) if claims else None

        await run_claimed(stop, claim=next_batch, slots=self.batches_in_flight, poll_interval_s=self.poll_interval_s)

    async def _claim(self) -> list[Claim]:
        try:
            return await self.jobs.records.claim_batch(
                owner=self.owner, stale_after_s=self.stale_after_s, limit=self.batch_size()
            )
        except Exception:
            log.exception("media jobs could not be claimed")
            return []

    async def execute(self, claims: list[Claim]) -> None:
        started = time.monotonic()
        try:
            await execute_media_batch(claims, self.owner, jobs=self.jobs)
        except Exception:
            log.exception("a batch of %d media jobs failed; its jobs are taken again when stale", len(claims))
            return
        self._rate = len(claims) / max(time.monotonic() - started, 1e-3)
