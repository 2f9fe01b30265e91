"""The shared JobWorker: concurrency cap, and the next job claimed as soon as a slot frees (not after a poll)."""

from __future__ import annotations

import asyncio
import time

from labelstream_shared.jobs import Claim, JobWorker


class QueuedJobs:
    def __init__(self, count: int) -> None:
        self.waiting = [f"j{i}" for i in range(count)]

    async def claim_next(self, *, owner: str, stale_after_s: float) -> Claim | None:
        return Claim(job_id=self.waiting.pop(0), attempts=1) if self.waiting else None

    async def heartbeat(self, job_id: str, *, owner: str) -> bool:
        return True


async def test_a_freed_slot_is_filled_at_once_and_the_cap_holds() -> None:
    jobs = QueuedJobs(20)
    running: set[str] = set()
    most = 0
    done: list[str] = []
    all_done = asyncio.Event()

    async def execute(claim: Claim, owner: str) -> None:
        nonlocal most
        running.add(claim.job_id)
        most = max(most, len(running))
        await asyncio.sleep(0.01)
        running.discard(claim.job_id)
        done.append(claim.job_id)
        if len(done) == 20:
            all_done.set()

    stop = asyncio.Event()
    worker = JobWorker(name="t", jobs=jobs, execute=execute, max_concurrent=2, poll_interval_s=5)
    started = time.monotonic()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(all_done.wait(), timeout=10)
    elapsed = time.monotonic() - started
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert most == 2
    assert sorted(done) == sorted(f"j{i}" for i in range(20))
    assert elapsed < 2.5  # 10 rounds of 10 ms; waiting for the 5 s poll between rounds would take far longer
