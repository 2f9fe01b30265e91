"""Forwards /api/... to the owning service, streaming bodies both ways, with the correlation id, after checking
the caller's token and role (policy.py). The service learns who calls from `X-User`; tokens and cookies stay here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from labelstream_shared.errors import NotFoundError
from labelstream_shared.logging import CORRELATION_HEADER, current_correlation_id
from labelstream_shared.web import app_deps
from starlette.background import BackgroundTask

from labelstream_gateway.auth import Auth, ForbiddenError
from labelstream_gateway.live import EventHub
from labelstream_gateway.policy import allowed_roles
from labelstream_gateway.routing import service_for

# Hop-by-hop headers (RFC 9110 7.6.1) and ones the client/server recompute.
_DROPPED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
            "transfer-encoding", "upgrade", "host", "content-length"}  # fmt: skip
# Credentials end at the gateway; the caller's identity is passed as X-User (a client's own X-User is dropped).
_NOT_FORWARDED = _DROPPED | {"authorization", "cookie", "x-user"}

# The gateway sets its own correlation id header on the response (shared middleware).
_DROPPED_FROM_RESPONSE = _DROPPED | {CORRELATION_HEADER.lower()}

router = APIRouter(tags=["gateway"])


@dataclass(frozen=True)
class GatewayDeps:
    client: httpx.AsyncClient
    upstreams: dict[str, str]
    auth: Auth
    hub: EventHub | None = None
    presign: Callable[[str, str], str] | None = None  # (bucket, key) -> a short-lived URL, used by files.py


@router.api_route(
    "/api/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(path: str, request: Request, deps: Annotated[GatewayDeps, Depends(app_deps)]) -> Response:
    who = await deps.auth.principal(request)
    roles = allowed_roles(request.method, path.strip("/"))
    if who.role not in roles:
        raise ForbiddenError(f"{request.method} /api/{path}: a {who.role} may not; {' or '.join(sorted(roles))} may")
    service = service_for(path)
    if service is None:
        raise NotFoundError(f"no API at /api/{path}")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
    headers["x-user"] = who.username
    headers[CORRELATION_HEADER.lower()] = current_correlation_id()
    # the path as the client encoded it: decoding it here would turn a name's %3F into a query, %23 into a fragment
    # and %00 into an invalid URL
    raw_path = request.scope.get("raw_path") or f"/api/{path}".encode()
    upstream = deps.client.build_request(
        request.method,
        httpx.URL(deps.upstreams[service]).copy_with(raw_path=raw_path),
        params=list(request.query_params.multi_items()),  # repeated parameters (label=a&label=b) stay
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
