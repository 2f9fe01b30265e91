"""Wires dataset-svc once, in the FastAPI lifespan: nothing is connected at import time."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from dataset_svc.adapters.mongo import MongoDatasetRepository, MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.adapters.storage import StorageBucketDirectory
from dataset_svc.app.handlers import SUBSCRIPTIONS
from dataset_svc.entrypoints import api, samples
from dataset_svc.settings import DatasetSettings


async def wire(runtime: ServiceRuntime, *, settings: DatasetSettings) -> Wiring:
    await ensure_indexes(runtime.db)
    run = mongo_runner(runtime, MongoDatasetTransaction)
    deps = api.DatasetDeps(
        run=run,
        datasets=MongoDatasetRepository(runtime.db),
        samples=MongoSampleRepository(runtime.db),
        sample_counts=MongoSampleCountRepository(runtime.db),
        buckets=StorageBucketDirectory(runtime.storage),
    )
    consumer = runtime.consumer(group=settings.consumer_group, subscriptions=SUBSCRIPTIONS, run=run)
    return Wiring(deps=deps, consumers=[consumer])


def create_app(settings: DatasetSettings, *, fake_deps: api.DatasetDeps | None = None) -> FastAPI:
    return service_app(
        settings, routers=[api.router, samples.router], wire=partial(wire, settings=settings), fake_deps=fake_deps
    )
