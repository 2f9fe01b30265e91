"""Wires media-svc once, in the FastAPI lifespan. The media pipeline (consuming DataAdded) comes next."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, service_app

from media_svc.settings import MediaSettings


async def wire(runtime: ServiceRuntime) -> Wiring:
    return Wiring(deps=None)


def create_app(settings: MediaSettings) -> FastAPI:
    return service_app(settings, routers=[], wire=wire)
