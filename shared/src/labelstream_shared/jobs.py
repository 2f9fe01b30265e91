"""Background jobs recorded in the database (sync runs, imports, version publications, sample deletions) and the
worker that runs them. A job is claimed by one owner, who proves it still runs it with heartbeats; when a worker
stops, its jobs go stale and another worker (or this one after a restart) takes them over.

The port (`JobQueue`) and the worker only: the MongoDB side is `mongo_jobs`, the in-memory twin `memory_jobs`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Claim:
    job_id: str
    attempts: int  # how often the job was claimed, this time included: a job that kills its worker stops


class JobLostError(Exception):
    """The job's claim went to another worker (this one was silent too long): stop without touching it."""


class JobQueue(Protocol):
    """Work recorded in the database and done by a JobWorker: a job is claimed by one
    owner, who proves it still runs it with heartbeats; a job whose owner went silent may be claimed again."""

    async def claim_next(self, *, owner: str, stale_after_s: float) -> Claim | None:
        """Claim a job waiting for an owner (or whose owner went silent, for `stale_after_s`)."""

    async def heartbeat(self, job_id: str, *, owner: str) -> bool:
        """Tell that `owner` still runs the job; False when it no longer owns it (another took it over)."""


log = logging.getLogger(__name__)
STALE_AFTER_S = 120.0  # a job runs a transaction every second or so: silence this long means its worker stopped


def worker_owner(name: str) -> str:
    """Who claims jobs: this process (host and pid) and a worker of it, new at each start (a restarted process
    does not pass for the old one: its jobs go stale and are taken over)."""
    return f"{socket.gethostname()}:{os.getpid()}:{name}:{uuid.uuid4().hex[:8]}"


class JobWorker:
    def __init__(
        self,
        *,
        name: str,
        jobs: JobQueue,
        execute: Callable[[Claim, str], Awaitable[None]],
        max_concurrent: int = 1,
        poll_interval_s: float = 0.5,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.name = name
        self.jobs = jobs
        self.execute = execute
        self.max_concurrent = max_concurrent
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.owner = worker_owner(name)

    async def run(self, stop: asyncio.Event) -> None:
        async def next_job() -> Coroutine[Any, Any, None] | None:
            claim = await self._claim()
            return self._execute(claim) if claim else None

        await run_claimed(stop, claim=next_job, slots=self.max_concurrent, poll_interval_s=self.poll_interval_s)

    async def _claim(self) -> Claim | None:
        try:
            return await self.jobs.claim_next(owner=self.owner, stale_after_s=self.stale_after_s)
        except Exception:
            log.exception("%s could not claim a job", self.name)
            return None

    async def _execute(self, claim: Claim) -> None:
        try:
            await self.execute(claim, self.owner)
        except Exception:
            log.exception("%s job %s failed", self.name, claim.job_id)


async def run_claimed(
    stop: asyncio.Event,
    *,
    claim: Callable[[], Awaitable[Coroutine[Any, Any, None] | None]],
    slots: int,
    poll_interval_s: float,
) -> None:
    """The loop of a worker: while a slot is free, `claim` work (a coroutine to run, or None when there is none) and
    run it as a task; with no free slot or nothing to claim, wait for a slot to free or `poll_interval_s`. On stop,
    wait for what runs."""
    active: set[asyncio.Task[None]] = set()
    slot_freed = asyncio.Event()  # a finished piece of work frees a slot: claim the next at once, not after a poll

    def finished(task: asyncio.Task[None]) -> None:
        active.discard(task)
        slot_freed.set()

    while not stop.is_set():
        slot_freed.clear()
        if len(active) < slots and (work := await claim()):
            task = asyncio.create_task(work)
            active.add(task)
            task.add_done_callback(finished)
            continue
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(slot_freed.wait())]
        try:
            await asyncio.wait(waits, timeout=poll_interval_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
    if active:
        await asyncio.wait(active)


def repeatedly(
    work: Callable[[], Awaitable[int]], *, interval_s: float, what: str
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """Background work that runs with the consumers (e.g. purging what deleted datasets left): `work`, then a pause
    of `interval_s`, until stopped. `work` returns how much it did (logged as `what` when not 0); a failure (MongoDB
    away) is logged and tried again after the pause."""

    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if done := await work():
                    log.info(what, extra={"fields": {"count": done}})
            except Exception as exc:  # noqa: BLE001 - MongoDB away: try again later
                log.warning("%s: failed, will retry", what, extra={"fields": {"error": repr(exc)}})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)

    return loop
