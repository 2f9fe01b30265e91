"""Wires dataset-svc once, in the FastAPI lifespan: nothing is connected at import time."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from dataset_svc.adapters.mongo import MongoDatasetRepository, MongoDatasetTransaction, ensure_indexes
from dataset_svc.entrypoints import api
from dataset_svc.settings import DatasetSettings


async def wire(runtime: ServiceRuntime) -> Wiring:
    await ensure_indexes(runtime.db)
    deps = api.DatasetDeps(
        run=mongo_runner(runtime, MongoDatasetTransaction),
        datasets=MongoDatasetRepository(runtime.db),
    )
    return Wiring(deps=deps)


def create_app(settings: DatasetSettings, *, fake_deps: api.DatasetDeps | None = None) -> FastAPI:
    return service_app(settings, routers=[api.router], wire=wire, fake_deps=fake_deps)
