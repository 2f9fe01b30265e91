"""Wires media-svc once, in the FastAPI lifespan: the consumer queues media jobs, job workers process them in a
bounded pool of decoding processes, the API serves frames from a second pool."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import FastAPI
from labelstream_shared.jobs import Claim, JobWorker
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from media_svc.adapters.caches import FrameLru, LocalSources
from media_svc.adapters.decoder import PooledDecoder
from media_svc.adapters.mongo import (
    MongoFrameIndexes,
    MongoMediaPurges,
    MongoMediaRecords,
    MongoMediaTransaction,
    MongoTranscodes,
    ensure_indexes,
)
from media_svc.adapters.pool import ProcessPool
from media_svc.adapters.storage import S3MediaStore
from media_svc.app.batch_worker import MediaBatchWorker
from media_svc.app.frames import Frames
from media_svc.app.handlers import DATASET_SUBSCRIPTIONS, SUBSCRIPTIONS
from media_svc.app.processing import MediaJobs
from media_svc.app.purge import execute_purge
from media_svc.app.transcoding import execute_transcode
from media_svc.domain.limits import MediaLimits
from media_svc.entrypoints import api
from media_svc.settings import MediaSettings

CONSUMER_GROUP = "media-svc"
DATASETS_GROUP = "media-svc-datasets"


def limits_of(settings: MediaSettings) -> MediaLimits:
    return MediaLimits(
        max_source_bytes=settings.max_source_bytes,
        max_image_pixels=settings.max_image_pixels,
        max_video_pixels=settings.max_video_pixels,
        max_duration_s=settings.max_duration_s,
        max_frames=settings.max_frames,
        thumbnail_edge=settings.thumbnail_edge,
        timeline_frames=settings.timeline_frames,
    )


def create_app(settings: MediaSettings, *, fake_deps: api.MediaDeps | None = None) -> FastAPI:
    async def wire(runtime: ServiceRuntime) -> Wiring:
        await ensure_indexes(runtime.db)
        run = mongo_runner(runtime, MongoMediaTransaction)
        store = S3MediaStore(runtime.storage.client)
        await store.ensure_bucket(settings.derived_bucket)
        work_dir = Path(
            settings.source_cache_dir or Path(tempfile.gettempdir()) / f"labelstream-media-{settings.http_port}"
        )
        shutil.rmtree(work_dir, ignore_errors=True)  # copies of an earlier run are not tracked: start empty
        (work_dir / "jobs").mkdir(parents=True, exist_ok=True)
        memory = settings.worker_memory_limit_bytes
        decoder = PooledDecoder(
            processing=ProcessPool(name="processing", workers=settings.processing_workers, memory_limit_bytes=memory),
            frames=ProcessPool(name="frames", workers=settings.frame_workers, memory_limit_bytes=memory),
            limits=limits_of(settings),
            task_timeout_s=settings.task_timeout_s,
            transcode_timeout_s=settings.transcode_timeout_s,
        )
        records, transcodes = MongoMediaRecords(runtime.db), MongoTranscodes(runtime.db)
        purges = MongoMediaPurges(runtime.db)
        jobs = MediaJobs(
            run=run,
            records=records,
            store=store,
            decoder=decoder,
            derived_bucket=settings.derived_bucket,
            max_source_bytes=settings.max_source_bytes,
            max_attempts=settings.max_job_attempts,
            work_dir=str(work_dir / "jobs"),
            transfers=settings.batch_transfers,
        )
        sources = LocalSources(
            store=store,
            directory=str(work_dir / "sources"),
            max_bytes=settings.source_cache_bytes,
            max_source_bytes=settings.max_source_bytes,
        )
        frames = Frames(
            records=records,
            indexes=MongoFrameIndexes(runtime.db),
            store=store,
            decoder=decoder,
            sources=sources,
            cache=FrameLru(max_bytes=settings.frame_cache_bytes),
            index_cache={},
        )

        async def purge(claim: Claim, owner: str) -> None:
            await execute_purge(
                claim, owner, run=run, store=store, derived_bucket=settings.derived_bucket, purges=purges
            )

        async def transcode(claim: Claim, owner: str) -> None:
            await execute_transcode(claim, owner, jobs=jobs, transcodes=transcodes)

        media_worker = MediaBatchWorker(
            jobs=jobs,
            max_batch=settings.max_batch_jobs,
            batches_in_flight=settings.batches_in_flight,
            target_batch_s=settings.batch_target_s,
            poll_interval_s=settings.job_poll_interval_s,
        )
        transcode_worker = JobWorker(name="transcodes", jobs=transcodes, execute=transcode, poll_interval_s=2.0)
        purge_worker = JobWorker(name="media-purges", jobs=purges, execute=purge, poll_interval_s=2.0)
        return Wiring(
            deps=api.MediaDeps(frames=frames, store=store, work_dir=str(work_dir / "jobs")),
            consumers=[
                runtime.consumer(group=CONSUMER_GROUP, subscriptions=SUBSCRIPTIONS, run=run),
                runtime.consumer(group=DATASETS_GROUP, subscriptions=DATASET_SUBSCRIPTIONS, run=run),
            ],
            workers=[media_worker.run, transcode_worker.run, purge_worker.run],
            closers=[decoder.close],
        )

    return service_app(settings, routers=[api.router], wire=wire, fake_deps=fake_deps)
