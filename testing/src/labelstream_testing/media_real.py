"""media-svc's job processing wired to the real MongoDB and MinIO (and a real process pool), for integration tests
and the media benchmark: a backlog of tiny sources queued straight into the records, as DataAdded would. Test-only."""

from __future__ import annotations

import io
from pathlib import Path

from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import AddedSample
from labelstream_shared.mongo import Document, MongoTransactionRunner
from media_svc.adapters.decoder import PooledDecoder
from media_svc.adapters.mongo import MongoMediaRecords, MongoMediaTransaction, ensure_indexes
from media_svc.adapters.pool import ProcessPool
from media_svc.adapters.storage import S3MediaStore
from media_svc.app.processing import MediaJobs
from media_svc.domain.limits import MediaLimits
from media_svc.domain.records import MediaRecord
from minio import Minio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

PNG_HEADER = b"\x89PNG\r\n\x1a\n"  # what bench/sync_bench.py puts: a picture's first bytes, nothing to decode


def media_runner(
    client: AsyncMongoClient[Document], db: AsyncDatabase[Document]
) -> MongoTransactionRunner[MongoMediaTransaction]:
    return MongoTransactionRunner(
        client=client,
        db=db,
        make=lambda db, session: MongoMediaTransaction(source="/labelstream/media-svc", db=db, session=session),
    )


async def real_media_jobs(
    client: AsyncMongoClient[Document],
    db: AsyncDatabase[Document],
    storage: Minio,
    *,
    derived_bucket: str,
    work_dir: Path,
) -> tuple[MediaJobs, PooledDecoder]:
    """The media jobs of one media-svc replica with one decoding process (started now), working in `work_dir` (an
    existing folder), and its decoder (to close after)."""
    await ensure_indexes(db)
    processing = ProcessPool(name="processing", workers=1, memory_limit_bytes=2 * 1024**3)
    await processing.warm_up()
    decoder = PooledDecoder(
        processing=processing,
        frames=ProcessPool(name="frames", workers=1, memory_limit_bytes=2 * 1024**3),
        limits=MediaLimits(),
        task_timeout_s=120,
        transcode_timeout_s=600,
    )
    jobs = MediaJobs(
        run=media_runner(client, db),
        records=MongoMediaRecords(db),
        store=S3MediaStore(storage),
        decoder=decoder,
        derived_bucket=derived_bucket,
        max_source_bytes=10**9,
        work_dir=str(work_dir),
    )
    return jobs, decoder


def put_source(storage: Minio, bucket: str, key: str, data: bytes) -> AddedSample:
    storage.put_object(bucket, key, io.BytesIO(data), len(data))
    return AddedSample(sample_id=key, bucket=bucket, key=key, size=len(data), etag="e1", media_kind="image")


async def queue_backlog(
    db: AsyncDatabase[Document], *, dataset_id: str, source: AddedSample, count: int, chunk: int = 5000
) -> None:
    """`count` media jobs of the dataset, all reading `source` (each its own sample), queued as DataAdded does."""
    records = MongoMediaRecords(db)
    for start in range(0, count, chunk):
        now = utc_now()
        await records.queue(
            [
                MediaRecord.queued(
                    source.model_copy(update={"sample_id": f"{dataset_id}-{n:07d}"}), dataset_id=dataset_id, at=now
                )
                for n in range(start, min(count, start + chunk))
            ]
        )
