"""Wires dataset-svc once, in the FastAPI lifespan: nothing is connected at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from labelstream_shared.mongo import MongoTransactionRunner
from labelstream_shared.runtime import ServiceRuntime
from labelstream_shared.web import create_app as create_service_app

from dataset_svc.adapters.mongo import MongoDatasetRepository, MongoDatasetTransaction, ensure_indexes
from dataset_svc.entrypoints import api
from dataset_svc.settings import DatasetSettings


def create_app(settings: DatasetSettings, *, deps: api.DatasetDeps | None = None) -> FastAPI:
    """The app; `deps` (fakes) replaces the real wiring in unit tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if deps is not None:
            app.state.deps = deps
            yield
            return
        runtime = ServiceRuntime(settings)
        await ensure_indexes(runtime.db)
        app.state.deps = api.DatasetDeps(
            run=MongoTransactionRunner(
                client=runtime.mongo,
                db=runtime.db,
                make=lambda db, session: MongoDatasetTransaction(source=runtime.source, db=db, session=session),
            ),
            datasets=MongoDatasetRepository(runtime.db),
        )
        app.state.readiness_checks.update(runtime.readiness_checks())
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    routers = [api.router] if "api" in settings.role_set else []
    return create_service_app(service=settings.service_name, lifespan=lifespan, routers=routers)
