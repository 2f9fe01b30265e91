"""Media jobs per second (issue 13): a backlog of tiny sources (the 8-byte PNG header bench/sync_bench.py puts:
decoding fails at once, so only the per-job overhead counts) drained by media-svc's batch worker, next to the
one-job-at-a-time path it replaced (a JobWorker of 8 concurrent single jobs, each its own claim, decoding task and
transaction), measured in the same run on the real MongoDB and MinIO with one decoding process. Prints jobs/s and
the CPU milliseconds per job of the worker's process (its threads included; its decoding process not). Target:
a 100,000-object sync drained within 3x its registration time (~2,000 jobs/s on the project's 2-core machine).

Needs MongoDB and MinIO (`make up`). Usage: python bench/media_jobs_bench.py [--jobs 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from labelstream_shared.jobs import Claim, JobWorker
from labelstream_shared.mongo import Document, connect
from labelstream_shared.settings import ServiceSettings
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.media_real import PNG_HEADER, put_source, queue_backlog, real_media_jobs
from media_svc.adapters.mongo import RECORDS
from media_svc.app.batch_worker import MediaBatchWorker
from media_svc.app.processing import MediaJobs, execute_media_job
from pymongo.asynchronous.database import AsyncDatabase

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support import eventually

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def batch_worker(jobs: MediaJobs) -> Worker:
    return MediaBatchWorker(jobs=jobs).run


def one_at_a_time(jobs: MediaJobs) -> Worker:
    async def execute(claim: Claim, owner: str) -> None:
        await execute_media_job(claim, owner, jobs=jobs)

    return JobWorker(name="media-jobs", jobs=jobs.records, execute=execute, max_concurrent=8).run


async def drained(db: AsyncDatabase[Document], count: int) -> bool:
    return await db[RECORDS].count_documents({"status": {"$in": ["ready", "failed"]}}) >= count


async def drain(count: int, make: Callable[[MediaJobs], Worker]) -> tuple[float, float]:
    """Seconds to drain `count` tiny jobs and the worker process's CPU milliseconds per job."""
    settings = ServiceSettings()
    client, storage = connect(settings.mongo_url), ObjectStorage(settings)
    db, bucket = client[f"bench_media_jobs_{uuid.uuid4().hex[:8]}"], f"bench-media-jobs-{uuid.uuid4().hex[:8]}"
    await storage.ensure_bucket(bucket)
    with tempfile.TemporaryDirectory() as work:
        jobs, decoder = await real_media_jobs(client, db, storage.client, derived_bucket=bucket, work_dir=Path(work))
        try:
            tiny = await asyncio.to_thread(put_source, storage.client, bucket, "tiny.png", PNG_HEADER)
            await queue_backlog(db, dataset_id="big", source=tiny, count=count)
            stop = asyncio.Event()
            started, cpu = time.monotonic(), time.process_time()
            running = asyncio.create_task(make(jobs)(stop))
            await eventually(lambda: drained(db, count), timeout=3600, what="the backlog")
            seconds, cpu = time.monotonic() - started, time.process_time() - cpu
            stop.set()
            await running
        finally:
            await decoder.close()
            await client.drop_database(db.name)
            await asyncio.to_thread(storage.client.remove_object, bucket, "tiny.png")
            await asyncio.to_thread(storage.client.remove_bucket, bucket)
            await client.close()
    return seconds, cpu * 1000 / count


async def bench_jobs(count: int) -> None:
    print(f"media jobs: {count:,} tiny sources, one decoding process")
    for name, make in (("one at a time (before)", one_at_a_time), ("fair batches", batch_worker)):
        seconds, cpu_ms = await drain(count, make)
        print(f"  {name:<24} {count / seconds:>8,.0f} jobs/s  ({seconds:.1f} s, {cpu_ms:.2f} ms CPU/job)")
    print("  target: >= 2,000 jobs/s (100,000 objects drained within 3x the ~16 s registration)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    asyncio.run(bench_jobs(parser.parse_args().jobs))


if __name__ == "__main__":
    main()
