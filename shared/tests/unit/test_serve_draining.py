"""A real uvicorn (DrainingServer) with an endless streaming response open: on shutdown the app learns it drains
before uvicorn waits for its connections, so the stream ends by itself and the server stops well inside its graceful
timeout (without it, the stream held the shutdown for all of `timeout_graceful_shutdown`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import uvicorn
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from labelstream_shared.serve import DrainingServer
from labelstream_shared.web import create_app
from starlette.types import ASGIApp

GRACEFUL_S = 60


def endless_app() -> ASGIApp:
    router = APIRouter()

    @router.get("/stream")
    async def stream(request: Request) -> StreamingResponse:
        draining: asyncio.Event = request.app.state.draining

        async def chunks() -> AsyncIterator[bytes]:
            yield b"open\n"
            await draining.wait()
            yield b"bye\n"

        return StreamingResponse(chunks())

    return create_app(service="test", lifespan=_no_lifespan, routers=[router])


async def test_an_open_stream_ends_when_the_server_drains_and_does_not_hold_its_shutdown() -> None:
    config = uvicorn.Config(
        endless_app(), host="127.0.0.1", port=0, log_config=None, timeout_graceful_shutdown=GRACEFUL_S
    )
    server = DrainingServer(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn tells it by a flag only
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=GRACEFUL_S) as client:
        async with client.stream("GET", "/stream") as response:
            lines = response.aiter_lines()
            assert await anext(lines) == "open"
            server.should_exit = True
            assert [line async for line in lines] == ["bye"]  # ended by the app, not cut
    await asyncio.wait_for(serving, timeout=GRACEFUL_S / 2)


class _no_lifespan:  # noqa: N801 - used as the lifespan factory
    def __init__(self, _app: object) -> None: ...

    async def __aenter__(self) -> None: ...

    async def __aexit__(self, *_exc: object) -> None: ...
