"""The job worker: claims queued jobs (sync runs, import tasks) and executes them, a few at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from sync_svc.app.ports import JobQueue

log = logging.getLogger(__name__)
STALE_AFTER_S = 120.0


class JobWorker:
    def __init__(
        self,
        *,
        jobs: JobQueue,
        execute: Callable[[str], Awaitable[None]],
        max_concurrent: int = 2,
        poll_interval_s: float = 0.5,
    ) -> None:
        self.jobs = jobs
        self.execute = execute
        self.max_concurrent = max_concurrent
        self.poll_interval_s = poll_interval_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    async def run(self, stop: asyncio.Event) -> None:
        requeued = await self.jobs.requeue_stale(older_than_s=STALE_AFTER_S)
        if requeued:
            log.warning("requeued %d jobs of a stopped worker", requeued)
        active: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            if len(active) < self.max_concurrent and (claimed := await self.jobs.claim_next(owner=self.owner)):
                task = asyncio.create_task(self._execute(claimed.id), name=f"job-{claimed.id}")
                active.add(task)
                task.add_done_callback(active.discard)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval_s)
        if active:
            await asyncio.wait(active)

    async def _execute(self, run_id: str) -> None:
        try:
            await self.execute(run_id)
        except Exception:
            log.exception("job %s failed", run_id)
