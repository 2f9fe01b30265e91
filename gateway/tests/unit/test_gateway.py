from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from labelstream_gateway.proxy import GatewayDeps
from labelstream_gateway.proxy import router as proxy_router
from labelstream_gateway.routing import service_for
from labelstream_gateway.ui import router as ui_router
from labelstream_shared.web import create_app


def test_first_segment_picks_the_service() -> None:
    assert service_for("datasets") == "dataset-svc"
    assert service_for("datasets/abc/samples") == "dataset-svc"
    assert service_for("labeling/datasets") == "labeling-svc"
    assert service_for("nothing/here") is None


async def fake_services(request: httpx.Request) -> httpx.Response:
    """Stands in for the services: echoes what reached it."""
    if request.url.host == "down":
        raise httpx.ConnectError("refused")
    echo = json.dumps(
        {
            "host": request.url.host,
            "path": request.url.path,
            "query": str(request.url.query, "ascii"),
            "body": (await request.aread()).decode(),
            "correlation": request.headers.get("x-correlation-id"),
        }
    ).encode()
    # a streamed body, as a real service's response is
    return httpx.Response(201, headers={"content-type": "application/json"}, stream=httpx.ByteStream(echo))


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(fake_services))
    deps = GatewayDeps(
        client=upstream,
        upstreams={"dataset-svc": "http://datasets", "labeling-svc": "http://down", "media-svc": "", "sync-svc": ""},
    )

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.deps = deps
        yield

    app = create_app(service="gateway", lifespan=lifespan, routers=[ui_router, proxy_router])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield client
    await upstream.aclose()


async def test_forwards_method_path_query_body_and_correlation_id(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/api/datasets?x=1", content=b'{"a":1}', headers={"X-Correlation-ID": "abc"})
    assert response.status_code == 201
    assert response.json() == {
        "host": "datasets",
        "path": "/api/datasets",
        "query": "x=1",
        "body": '{"a":1}',
        "correlation": "abc",
    }


async def test_unknown_api_is_404_and_a_down_service_is_502(gateway: httpx.AsyncClient) -> None:
    missing = await gateway.get("/api/unknown")
    assert missing.status_code == 404 and "no API at /api/unknown" in missing.json()["message"]
    down = await gateway.get("/api/labeling/datasets")
    assert down.status_code == 502 and down.json()["error"] == "upstream_unavailable"


async def test_serves_the_ui(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/")
    assert page.status_code == 200 and "<title>Labelstream</title>" in page.text
