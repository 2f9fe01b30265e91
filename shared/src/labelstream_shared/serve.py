"""Run a service's FastAPI app with uvicorn (uvloop's event loop and the httptools parser: the pure-Python h11 parser
and asyncio's own loop cost a save a few tenths of a millisecond of CPU in every process it passes); SIGTERM
triggers the app's graceful shutdown: `app.state.draining` is set first, so that endless responses (the gateway's
server-sent events) end at once instead of holding the shutdown for `timeout_graceful_shutdown`; then the requests in
flight finish, then the lifespan's shutdown runs."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from labelstream_shared.logging import configure_logging
from labelstream_shared.settings import ServiceSettings


class DrainingServer(uvicorn.Server):
    """uvicorn's server, which tells the app it drains (`app.state.draining`) before waiting for its connections."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        if isinstance(app, FastAPI):
            app.state.draining.set()
        await super().shutdown(sockets)


def serve(create_app: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    configure_logging(service=settings.service_name, level=settings.log_level)
    config = uvicorn.Config(
        create_app(),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
        loop="uvloop",
        http="httptools",
        # longer than the gateway's pooled connections stay idle (upstream.py: 30 s), so that the gateway never
        # sends a request on a connection the service is closing
        timeout_keep_alive=75,
    )
    DrainingServer(config).run()
