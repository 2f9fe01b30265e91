"""Media jobs on the real MongoDB and MinIO, with a real decoding process:
- a backlog of 5,000 tiny sources drains in fair batches, and a picture put into another dataset meanwhile is processed
  within 5 s (the figures are printed: the drain's jobs per second and that latency);
- a deleted dataset of 30,000 records is purged in chunks by a worker process that is killed half-way (SIGKILL);
  another worker takes the silent purge over and finishes it; the other dataset keeps its media."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from labelstream_shared.clock import utc_now
from labelstream_shared.events import DatasetDeleted, envelope_for
from labelstream_shared.mongo import Document, MongoTransactionRunner
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.media_real import PNG_HEADER, media_runner, put_source, queue_backlog, real_media_jobs
from labelstream_testing.media_samples import make_image
from media_svc.adapters.mongo import RECORDS, MongoMediaPurges, MongoMediaRecords, MongoMediaTransaction
from media_svc.adapters.storage import S3MediaStore
from media_svc.app.batch_worker import MediaBatchWorker
from media_svc.app.handlers import dataset_deleted
from media_svc.app.purge import execute_purge
from media_svc.domain import keys
from media_svc.domain.records import MediaRecord
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import NetworkTimeout, PyMongoError

from tests.support import eventually

pytestmark = pytest.mark.integration
BACKLOG = 5_000  # bench/media_bench.py --jobs drains bigger ones
PURGED = 30_000
DERIVED = 1_000  # derived files of the purged dataset (MinIO writes a few hundred per second on this machine)
WORKER = Path(__file__).with_name("purge_worker.py")


async def finished(db: AsyncDatabase[Document], dataset_id: str) -> int:
    return await db[RECORDS].count_documents({"dataset_id": dataset_id, "status": {"$in": ["ready", "failed"]}})


async def test_a_backlog_drains_in_batches_and_another_dataset_waits_at_most_5_s(
    mongo_client: AsyncMongoClient[Document],
    mongo_db: AsyncDatabase[Document],
    scratch_bucket: tuple[ObjectStorage, str],
    tmp_path: Path,
) -> None:
    storage, bucket = scratch_bucket
    jobs, decoder = await real_media_jobs(
        mongo_client, mongo_db, storage.client, derived_bucket=bucket, work_dir=tmp_path
    )
    tiny = await asyncio.to_thread(put_source, storage.client, bucket, "big/tiny.png", PNG_HEADER)
    await queue_backlog(mongo_db, dataset_id="big", source=tiny, count=BACKLOG)
    worker, stop = MediaBatchWorker(jobs=jobs), asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        started = time.monotonic()

        async def drained(share: int) -> bool:
            return await finished(mongo_db, "big") >= share

        await eventually(lambda: drained(BACKLOG // 10), timeout=120, what="a tenth of the backlog")
        picture = await asyncio.to_thread(put_source, storage.client, bucket, "small/cat.jpg", make_image())
        await MongoMediaRecords(mongo_db).queue([MediaRecord.queued(picture, dataset_id="small", at=utc_now())])

        async def ready() -> bool:
            record = await jobs.records.get(picture.sample_id)
            return record is not None and record.status == "ready"

        latency = await eventually(ready, timeout=30, what="the new picture's thumbnail")
        await eventually(lambda: drained(BACKLOG), timeout=600, what="the whole backlog")
        drain = time.monotonic() - started
    finally:
        stop.set()
        await running
        await decoder.close()
    print(
        f"\nmedia jobs: {BACKLOG:,} tiny sources in {drain:.1f} s = {BACKLOG / drain:,.0f} jobs/s (batches up to 200);"
    )
    print(f"a picture put into another dataset during the drain was ready {latency:.2f} s after (limit 5 s)")
    record = await jobs.records.get(picture.sample_id)
    assert record is not None and record.derived is not None and record.derived.thumbnail_key
    assert latency <= 5.0


def put_derived(storage: ObjectStorage, bucket: str, dataset_id: str, count: int) -> None:
    def put(n: int) -> None:
        key = keys.thumbnail_key(
            keys.derived_prefix(dataset_id=dataset_id, sample_id=f"{dataset_id}-{n:07d}", etag="e1")
        )
        storage.client.put_object(bucket, key, io.BytesIO(b"jpeg"), 4)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def derived_count(storage: ObjectStorage, bucket: str, dataset_id: str) -> int:
    return sum(1 for _ in storage.client.list_objects(bucket, prefix=keys.dataset_prefix(dataset_id), recursive=True))


async def take_over(
    run: MongoTransactionRunner[MongoMediaTransaction], store: S3MediaStore, *, bucket: str, purges: MongoMediaPurges
) -> tuple[int, int]:
    """What a JobWorker does with the silent purge: claim it and run it; again when it fails. The killed worker may
    have died inside a chunk's transaction: MongoDB keeps that transaction (and its write conflicts) until its
    lifetime runs out (transactionLifetimeLimitSeconds), so the first chunk may wait that long, or fail."""
    removed = 0
    for _ in range(3):
        claim = await purges.claim_next(owner="heir", stale_after_s=0)
        assert claim is not None and claim.job_id == "doomed"
        try:
            removed += await execute_purge(claim, "heir", run=run, store=store, derived_bucket=bucket, purges=purges)
        except PyMongoError as exc:  # the conflict, or the driver giving up on it after its own retries
            if not (isinstance(exc, NetworkTimeout) or exc.has_error_label("TransientTransactionError")):
                raise
            continue
        return removed, claim.attempts
    raise AssertionError("the purge was not finished after three takeovers")


async def test_a_big_deleted_dataset_is_purged_in_chunks_and_resumes_after_its_worker_is_killed(
    mongo_client: AsyncMongoClient[Document],
    mongo_db: AsyncDatabase[Document],
    scratch_bucket: tuple[ObjectStorage, str],
) -> None:
    storage, bucket = scratch_bucket
    run = media_runner(mongo_client, mongo_db)
    source = await asyncio.to_thread(put_source, storage.client, bucket, "src.png", PNG_HEADER)
    await queue_backlog(mongo_db, dataset_id="doomed", source=source, count=PURGED)
    await queue_backlog(mongo_db, dataset_id="kept", source=source, count=3)
    await asyncio.to_thread(put_derived, storage, bucket, "doomed", DERIVED)
    await asyncio.to_thread(put_derived, storage, bucket, "kept", 3)
    event = DatasetDeleted(dataset_id="doomed", deleted_at=utc_now())

    async def deliver(tx: MongoMediaTransaction) -> None:
        await dataset_deleted(tx, event, envelope_for(event, source="/test", correlation_id="c"))

    started = time.monotonic()
    await run(deliver)
    handled = time.monotonic() - started
    assert await mongo_db[RECORDS].count_documents({"dataset_id": "doomed"}) == PURGED  # the handler only queued it
    claims = await MongoMediaRecords(mongo_db).claim_batch(owner="w", stale_after_s=60, limit=50)
    assert {c.job_id.split("-")[0] for c in claims} == {"kept"}  # the doomed dataset's jobs are not claimed

    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), mongo_db.name, bucket, env=os.environ.copy(), stdout=asyncio.subprocess.PIPE
    )
    assert worker.stdout is not None
    try:  # killed right after a chunk's commit (the worker waits a second there), once a chunk is gone
        while await mongo_db[RECORDS].count_documents({"dataset_id": "doomed"}) == PURGED:
            assert await worker.stdout.readline(), "the worker ended before it could be killed"
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGKILL)
        await worker.wait()
    left = await mongo_db[RECORDS].count_documents({"dataset_id": "doomed"})
    assert 0 < left < PURGED and left % 1000 == 0  # whole chunks went, the rest is still there

    purges = MongoMediaPurges(mongo_db)
    assert await purges.claim_next(owner="heir", stale_after_s=60) is None  # not yet silent long enough
    resumed = time.monotonic()
    removed, attempts = await take_over(run, S3MediaStore(storage.client), bucket=bucket, purges=purges)
    took = time.monotonic() - resumed
    print(f"\npurge: handler {handled * 1000:.0f} ms; after the kill {removed:,} records and {DERIVED:,} derived files")
    print(f"removed in {took:.1f} s by the worker that took it over (claim {attempts}; {left:,} records were left)")
    assert removed <= left  # what the killed worker's open transaction removed, if it committed, is not counted
    assert await mongo_db[RECORDS].count_documents({"dataset_id": "doomed"}) == 0
    assert await asyncio.to_thread(derived_count, storage, bucket, "doomed") == 0
    assert await mongo_db[RECORDS].count_documents({"dataset_id": "kept"}) == 3
    assert await asyncio.to_thread(derived_count, storage, bucket, "kept") == 3
    assert await purges.claim_next(owner="heir", stale_after_s=0) is None
