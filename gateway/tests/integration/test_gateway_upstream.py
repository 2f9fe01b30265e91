"""The gateway's HTTP client to the services (upstream.py) against a real HTTP server on loopback: the path and query
as the client encoded them, bodies as bytes both ways (whole or streamed), repeated headers kept, and an unreachable
service named as such."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from labelstream_gateway.upstream import AiohttpUpstream, UpstreamUnavailableError, fetch

pytestmark = pytest.mark.integration


async def echo(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    if request.path.endswith("/stream"):  # an answer of unknown length, sent in pieces
        response = web.StreamResponse(headers={"X-Kind": "streamed"})
        await response.prepare(request)
        for _ in range(3):
            await response.write(b"x" * 100_000)
        await response.write_eof()
        return response
    text = f"{request.method} {request.raw_path} {body.decode()} {request.headers.get('X-User')}"
    answer = web.Response(body=text.encode(), headers={"Content-Type": "text/plain"})
    answer.headers.add("Set-Cookie", "a=1")
    answer.headers.add("Set-Cookie", "b=2")
    return answer


@pytest.fixture
async def service() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_path_query_and_body_pass_as_they_came(service: str) -> None:
    upstream = AiohttpUpstream(timeout_s=5)
    try:
        url = f"{service}/api/d/q%3Fmark%20x.jpg?label=a&label=b"
        answer = await upstream.open("PUT", url, headers={"X-User": "ann"}, body=b'{"a": 1}')
        assert answer.status == 200 and answer.length is not None
        assert await answer.read() == b'PUT /api/d/q%3Fmark%20x.jpg?label=a&label=b {"a": 1} ann'
        assert [v for k, v in answer.headers if k == b"set-cookie"] == [b"a=1", b"b=2"]
        await answer.close()

        async def pieces() -> AsyncIterator[bytes]:
            yield b"up"
            yield b"load"

        status, body = await fetch(upstream, "GET", f"{service}/x")
        assert (status, body) == (200, b"GET /x  None")
        streamed = await upstream.open("POST", f"{service}/stream", body=pieces())
        assert streamed.length is None and streamed.header(b"x-kind") == "streamed"
        assert sum([len(c) async for c in streamed.chunks()]) == 300_000
        await streamed.close()
    finally:
        await upstream.close()


async def test_an_unreachable_service_is_named() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    upstream = AiohttpUpstream(timeout_s=5)
    try:
        with pytest.raises(UpstreamUnavailableError, match="Connect"):
            await upstream.open("GET", f"http://127.0.0.1:{port}/api/x")
    finally:
        await upstream.close()
