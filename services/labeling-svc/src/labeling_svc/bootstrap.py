"""Wires labeling-svc once, in the FastAPI lifespan."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.events.topics import LABELS_LATEST
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from labeling_svc.adapters.mongo import (
    MongoAnnotationRepository,
    MongoHistoryRepository,
    MongoJobRepository,
    MongoLabelingDatasetRepository,
    MongoLabelingTransaction,
    MongoSampleRepository,
    ensure_indexes,
)
from labeling_svc.app.handlers import SUBSCRIPTIONS
from labeling_svc.app.purge import purger
from labeling_svc.entrypoints import annotations as annotation_api
from labeling_svc.entrypoints import api, jobs
from labeling_svc.settings import LabelingSettings

CONSUMER_GROUP = "labeling-svc"


async def wire(runtime: ServiceRuntime) -> Wiring:
    await ensure_indexes(runtime.db)
    run = mongo_runner(runtime, MongoLabelingTransaction)
    db = runtime.db
    return Wiring(
        deps=api.LabelingDeps(
            datasets=MongoLabelingDatasetRepository(db),
            annotations=MongoAnnotationRepository(db),
            samples=MongoSampleRepository(db),
            history=MongoHistoryRepository(db),
            jobs=MongoJobRepository(db),
            run=run,
        ),
        consumers=[runtime.consumer(group=CONSUMER_GROUP, subscriptions=SUBSCRIPTIONS, run=run)],
        compacted_topics=[LABELS_LATEST],
        workers=[purger(run)],
    )


def create_app(settings: LabelingSettings, *, fake_deps: api.LabelingDeps | None = None) -> FastAPI:
    return service_app(
        settings, routers=[api.router, jobs.router, annotation_api.router], wire=wire, fake_deps=fake_deps
    )
