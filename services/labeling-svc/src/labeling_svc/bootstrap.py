"""Wires labeling-svc once, in the FastAPI lifespan."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from labeling_svc.adapters.mongo import (
    MongoAnnotationRepository,
    MongoLabelingDatasetRepository,
    MongoLabelingTransaction,
)
from labeling_svc.app.handlers import SUBSCRIPTIONS
from labeling_svc.entrypoints import api
from labeling_svc.settings import LabelingSettings

CONSUMER_GROUP = "labeling-svc"


async def wire(runtime: ServiceRuntime) -> Wiring:
    run = mongo_runner(runtime, MongoLabelingTransaction)
    return Wiring(
        deps=api.LabelingDeps(
            datasets=MongoLabelingDatasetRepository(runtime.db), annotations=MongoAnnotationRepository(runtime.db)
        ),
        consumers=[runtime.consumer(group=CONSUMER_GROUP, subscriptions=SUBSCRIPTIONS, run=run)],
    )


def create_app(settings: LabelingSettings, *, fake_deps: api.LabelingDeps | None = None) -> FastAPI:
    return service_app(settings, routers=[api.router], wire=wire, fake_deps=fake_deps)
