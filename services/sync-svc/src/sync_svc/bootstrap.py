"""Wires sync-svc once, in the FastAPI lifespan. It owns the topic MinIO publishes bucket notifications to."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.events.topics import BUCKET_NOTIFICATIONS
from labelstream_shared.runtime import ServiceRuntime, Wiring, service_app

from sync_svc.settings import SyncSettings


async def wire(runtime: ServiceRuntime) -> Wiring:
    return Wiring(deps=None, extra_topics=[BUCKET_NOTIFICATIONS])


def create_app(settings: SyncSettings) -> FastAPI:
    return service_app(settings, routers=[], wire=wire)
