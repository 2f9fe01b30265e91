"""Forwards /api/... to the owning service, streaming bodies both ways, with the correlation id, after checking
the caller's token and role (policy.py). The service learns who calls from `X-User`; tokens and cookies stay here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from labelstream_shared.errors import NotFoundError
from labelstream_shared.logging import CORRELATION_HEADER, current_correlation_id
from labelstream_shared.web import app_deps
from starlette.background import BackgroundTask

from labelstream_gateway.auth import Auth, ForbiddenError
from labelstream_gateway.limits import body_limit
from labelstream_gateway.live import EventHub
from labelstream_gateway.policy import allowed_roles
from labelstream_gateway.routing import service_for
from labelstream_gateway.upstream import Body, Upstream, UpstreamResponse, UpstreamUnavailableError

# Hop-by-hop headers (RFC 9110 7.6.1) and ones the client/server recompute.
_DROPPED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
            "transfer-encoding", "upgrade", "host", "content-length"}  # fmt: skip
# Credentials end at the gateway; the caller's identity is passed as X-User (a client's own X-User is dropped).
_NOT_FORWARDED = _DROPPED | {"authorization", "cookie", "x-user"}

# The gateway sets its own correlation id header on the response (shared middleware).
_DROPPED_FROM_RESPONSE = {h.encode() for h in _DROPPED | {CORRELATION_HEADER.lower()}}
# An answer up to this size is read whole and passed on in one piece (JSON, a frame, a thumbnail); larger ones
# (archives, videos) and those of unknown length stream through.
WHOLE_BODY_BYTES = 2 * 1024 * 1024

router = APIRouter(tags=["gateway"])


@dataclass(frozen=True)
class GatewayDeps:
    client: Upstream
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
    # the path and query as the client encoded them: decoding the path here would turn a name's %3F into a query,
    # %23 into a fragment and %00 into an invalid URL; a repeated parameter (label=a&label=b) stays
    raw_path = (request.scope.get("raw_path") or f"/api/{path}".encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    url = f"{deps.upstreams[service]}{raw_path}{'?' + query if query else ''}"
    try:
        answer = await deps.client.open(request.method, url, headers=headers, body=await _body_of(request))
        return await relayed(answer, dropped=_DROPPED_FROM_RESPONSE)
    except UpstreamUnavailableError as exc:
        return JSONResponse(
            {"error": "upstream_unavailable", "message": f"{service} is not reachable: {exc}"}, status_code=502
        )


async def _body_of(request: Request) -> Body:
    """The request body as it came: read whole on the routes whose bodies limits.py bounds (JSON, annotations: at
    most a few MiB), streamed on the others (uploads)."""
    if request.method == "GET" and request.headers.get("content-length", "0") == "0":
        return None
    if body_limit(request.method, request.url.path) is not None:
        return await request.body()
    return request.stream()


async def relayed(answer: UpstreamResponse, *, dropped: set[bytes]) -> Response:
    """The upstream answer as the gateway's: status and headers (less `dropped`), the body read whole when it is
    small and declared, else streamed."""
    headers = [(k, v) for k, v in answer.headers if k not in dropped]
    if answer.length is not None and answer.length <= WHOLE_BODY_BYTES:
        try:
            body = await answer.read()
        finally:
            await answer.close()
        response = Response(body, status_code=answer.status)
        response.raw_headers = [*headers, (b"content-length", str(len(body)).encode())]
        return response
    streamed = StreamingResponse(answer.chunks(), status_code=answer.status, background=BackgroundTask(answer.close))
    streamed.raw_headers = headers
    return streamed
