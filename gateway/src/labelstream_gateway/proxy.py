"""Forwards /api/... to the owning service, streaming bodies both ways, with the correlation id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from labelstream_shared.errors import NotFoundError
from labelstream_shared.logging import CORRELATION_HEADER, current_correlation_id
from labelstream_shared.web import app_deps
from starlette.background import BackgroundTask

from labelstream_gateway.routing import service_for

# Hop-by-hop headers (RFC 9110 7.6.1) and ones the client/server recompute.
_DROPPED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
            "transfer-encoding", "upgrade", "host", "content-length"}  # fmt: skip

# The gateway sets its own correlation id header on the response (shared middleware).
_DROPPED_FROM_RESPONSE = _DROPPED | {CORRELATION_HEADER.lower()}

router = APIRouter(tags=["gateway"])


@dataclass(frozen=True)
class GatewayDeps:
    client: httpx.AsyncClient
    upstreams: dict[str, str]


@router.api_route(
    "/api/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(path: str, request: Request, deps: Annotated[GatewayDeps, Depends(app_deps)]) -> Response:
    service = service_for(path)
    if service is None:
        raise NotFoundError(f"no API at /api/{path}")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
    headers[CORRELATION_HEADER.lower()] = current_correlation_id()
    upstream = deps.client.build_request(
        request.method,
        f"{deps.upstreams[service]}/api/{path}",
        params=request.query_params,
        headers=headers,
        content=request.stream(),
    )
    try:
        response = await deps.client.send(upstream, stream=True)
    except httpx.TransportError as exc:
        return JSONResponse(
            {"error": "upstream_unavailable", "message": f"{service} is not reachable: {type(exc).__name__}"},
            status_code=502,
        )
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers={k: v for k, v in response.headers.items() if k.lower() not in _DROPPED_FROM_RESPONSE},
        background=BackgroundTask(response.aclose),
    )
