"""Run a service's FastAPI app with uvicorn; SIGTERM triggers the app's graceful shutdown (its lifespan)."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from labelstream_shared.logging import configure_logging
from labelstream_shared.settings import ServiceSettings


def serve(create_app: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    configure_logging(service=settings.service_name, level=settings.log_level)
    uvicorn.run(
        create_app(),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
    )
