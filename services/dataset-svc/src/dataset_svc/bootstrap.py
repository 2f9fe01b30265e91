"""Wires dataset-svc once, in the FastAPI lifespan: nothing is connected at import time."""

from __future__ import annotations

import logging
from functools import partial

from fastapi import FastAPI
from labelstream_shared.jobs import Claim, JobWorker
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from dataset_svc.adapters.media import MediaSvcFrames
from dataset_svc.adapters.mongo import MongoDatasetRepository, MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_exports import MongoExportRepository
from dataset_svc.adapters.mongo_jobs import MongoDatasetPurgeRepository, MongoSampleDeletionRepository
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.adapters.mongo_versions import MongoVersionHeadRepository, MongoVersionRepository
from dataset_svc.adapters.storage import StorageBucketDirectory, StorageExportFiles, StorageVersionFiles
from dataset_svc.app.deletion import execute_deletion
from dataset_svc.app.exports import execute_export
from dataset_svc.app.handlers import SUBSCRIPTIONS
from dataset_svc.app.publishing import execute_version_job
from dataset_svc.app.use_cases import execute_purge
from dataset_svc.entrypoints import api, deletion, exports, samples, versions
from dataset_svc.settings import DatasetSettings

log = logging.getLogger(__name__)


async def wire(runtime: ServiceRuntime, *, settings: DatasetSettings) -> Wiring:
    await ensure_indexes(runtime.db)
    run = mongo_runner(runtime, MongoDatasetTransaction)
    deps = api.DatasetDeps(
        run=run,
        datasets=MongoDatasetRepository(runtime.db),
        samples=MongoSampleRepository(runtime.db),
        sample_counts=MongoSampleCountRepository(runtime.db),
        buckets=StorageBucketDirectory(runtime.storage),
        deletions=MongoSampleDeletionRepository(runtime.db),
        purges=MongoDatasetPurgeRepository(runtime.db),
        versions=MongoVersionRepository(runtime.db),
        version_heads=MongoVersionHeadRepository(runtime.db),
        exports=MongoExportRepository(runtime.db),
        export_storage=StorageExportFiles(runtime.storage),
    )
    files = StorageVersionFiles(runtime.storage)

    async def run_version_job(claim: Claim, owner: str) -> None:
        await execute_version_job(claim, run=run, files=files, owner=owner)

    async def run_deletion(claim: Claim, owner: str) -> None:
        await execute_deletion(claim, run=run, owner=owner)

    version_worker = JobWorker(
        name="versions", jobs=deps.versions, execute=run_version_job, max_concurrent=settings.max_concurrent_versions
    )

    async def run_purge(claim: Claim, owner: str) -> None:
        removed = await execute_purge(claim, run=run, purges=deps.purges)
        log.info(
            "purged the samples of a deleted dataset", extra={"fields": {"dataset": claim.job_id, "count": removed}}
        )

    frames = MediaSvcFrames(settings.media_svc_url)

    async def run_export(claim: Claim, owner: str) -> None:
        await execute_export(claim, run=run, storage=deps.export_storage, owner=owner, frames=frames)

    export_worker = JobWorker(
        name="exports", jobs=deps.exports, execute=run_export, max_concurrent=settings.max_concurrent_exports
    )
    deletion_worker = JobWorker(name="sample-deletions", jobs=deps.deletions, execute=run_deletion)
    purge_worker = JobWorker(name="dataset-purges", jobs=deps.purges, execute=run_purge)
    consumer = runtime.consumer(group=settings.consumer_group, subscriptions=SUBSCRIPTIONS, run=run)
    return Wiring(
        deps=deps,
        consumers=[consumer],
        workers=[version_worker.run, export_worker.run, deletion_worker.run, purge_worker.run],
    )


def create_app(settings: DatasetSettings, *, fake_deps: api.DatasetDeps | None = None) -> FastAPI:
    routers = [api.router, deletion.router, samples.router, versions.router, exports.router]
    routers.append(exports.formats_router)
    return service_app(settings, routers=routers, wire=partial(wire, settings=settings), fake_deps=fake_deps)
