"""FastAPI plumbing every service uses: correlation ids, request metrics, error mapping, health and metrics."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelstream_shared.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PreconditionRequiredError,
    TooLargeError,
    TooManyRequestsError,
    UnauthenticatedError,
)
from labelstream_shared.logging import CORRELATION_HEADER, correlation_id, new_correlation_id
from labelstream_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

# The one place a kind of domain error becomes an HTTP status (the most specific kind in its class hierarchy wins).
HTTP_STATUS: dict[type[DomainError], int] = {
    DomainError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    TooLargeError: 413,
    InvalidInputError: 422,
    PreconditionRequiredError: 428,
    TooManyRequestsError: 429,
}


def http_status(error: DomainError) -> int:
    return next(HTTP_STATUS[kind] for kind in type(error).__mro__ if kind in HTTP_STATUS)


ReadinessCheck = Callable[[], Awaitable[str]]
READINESS_TIMEOUT_S = 3.0
ItemT = TypeVar("ItemT")


class ErrorBody(BaseModel):
    """Every 4xx answer: a stable machine-readable `error` code, the problem in words (`<field>: <problem>` for bad
    input), and for some errors `details` (for "invalid": one {field, problem} per problem)."""

    error: str
    message: str
    details: Any = None


_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "malformed request (e.g. a body that is not JSON) or bad input",
    401: "through the gateway: no token, a bad or expired token",
    403: "through the gateway: the caller's role may not do this",
    404: "unknown id (or no such route)",
    409: "conflicts with the current state",
    413: "too large",
    416: "the requested range is not satisfiable",
    422: "invalid input: `details` names each field and its problem",
    428: "the write must name the revision it is based on",
    429: "too many attempts: Retry-After says when to try again",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the error answers a route gives besides COMMON_ERRORS (all in ErrorBody's form)."""
    return {code: {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[code]} for code in codes}


# What any API route may answer: bad input, authentication and roles and the size limits (the gateway's), an unknown
# id.
COMMON_ERRORS = error_responses(400, 401, 403, 404, 413, 422)


def create_app(
    *,
    service: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Iterable[APIRouter] = (),
) -> FastAPI:
    app = FastAPI(
        title=f"Labelstream {service}", version="0.1.0", lifespan=lifespan, dependencies=[Depends(path_ids_checked)]
    )
    app.state.readiness_checks = {}
    app.state.draining = asyncio.Event()  # set when the server starts its graceful shutdown (serve.py)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router, responses=COMMON_ERRORS)
    _install_error_handlers(app)
    _install_middleware(app, service)
    return app


# An id in a path (`dataset_id`, `sample_id`, `job_id`, ...): the API hands out hex ids; anything outside this shape
# can name nothing. Shape ids are chosen by clients and keep their own rules.
_PATH_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_NOT_CHECKED = {"shape_id"}


async def path_ids_checked(request: Request) -> None:
    """Every route's path ids, checked before anything else (body, headers, lookups): a malformed id is 422 naming
    the parameter on every route; a well-formed id that names nothing is the route's 404."""
    problems = [
        {"loc": ("path", name), "msg": "not an id (1 to 64 letters, digits, _ . or -)", "type": "id"}
        for name, value in request.path_params.items()
        if name.endswith("_id") and name not in _NOT_CHECKED and not _PATH_ID.match(str(value))
    ]
    if problems:
        raise RequestValidationError(problems)


def _install_middleware(app: FastAPI, service: str) -> None:
    app.add_middleware(CorrelationAndMetrics, service=service)


class CorrelationAndMetrics:
    """Pure ASGI middleware (bodies stream through untouched): sets the correlation id for the request,
    echoes it in the response, and records request count and latency per route."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(CORRELATION_HEADER.lower().encode(), b"").decode("latin-1")
        token = correlation_id.set(incoming[:128] or new_correlation_id())
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (CORRELATION_HEADER.encode(), (correlation_id.get() or "").encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        body: dict[str, object] = {"error": exc.code, "message": exc.message}
        if exc.details is not None:
            body["details"] = exc.details
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyRequestsError) else None
        return JSONResponse(body, status_code=http_status(exc), headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        """FastAPI's and Starlette's own errors (a body that is not JSON, no such route, a wrong method) in the
        same form as every other error."""
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_ERROR_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse({"error": code, "message": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"field": ".".join(str(p) for p in error["loc"]), "problem": error["msg"]} for error in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        return JSONResponse({"error": "invalid", "message": summary, "details": problems}, status_code=422)


_HTTP_ERROR_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


async def run_checks(checks: Mapping[str, ReadinessCheck]) -> tuple[bool, dict[str, dict[str, object]]]:
    async def one(check: ReadinessCheck) -> dict[str, object]:
        try:
            return {"ok": True, "detail": await asyncio.wait_for(check(), timeout=READINESS_TIMEOUT_S)}
        except Exception as exc:  # noqa: BLE001 - any failure is "not ready", reported with its reason
            return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}

    results = await asyncio.gather(*(one(c) for c in checks.values()))
    report = dict(zip(checks, results, strict=True))
    return all(r["ok"] for r in results), report


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", operation_id="healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves requests."""
        return {"status": "ok"}

    @router.get("/readyz", operation_id="readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: every dependency (MongoDB, Kafka, object storage, ...) answers."""
        ready, report = await run_checks(request.app.state.readiness_checks)
        body = {"status": "ready" if ready else "unready", "checks": report}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", operation_id="metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def app_deps(request: Request) -> Any:
    """FastAPI dependency: what the wiring put on the app; use as `Annotated[XDeps, Depends(app_deps)]`."""
    return request.app.state.deps


CursorQuery = Annotated[str | None, Query(max_length=128, description="next_cursor of the previous page")]
# The cursors of listings ordered by id: an id (hex), or a history entry's "<sample id>:<revision>".
_ID_CURSOR = re.compile(r"^[0-9a-f]{8,64}(:[0-9]{1,12})?$")


def _id_cursor(value: str | None) -> str | None:
    if value is not None and not _ID_CURSOR.match(value):
        raise PydanticCustomError("cursor", "not a cursor of this listing (pass next_cursor back as is)")
    return value


IdCursorQuery = Annotated[
    str | None, Query(max_length=128, description="next_cursor of the previous page"), AfterValidator(_id_cursor)
]
LimitQuery = Annotated[int, Query(ge=1, le=500)]


class Page(BaseModel, Generic[ItemT]):
    """One page of a listing; pass `next_cursor` back as `cursor` for the next one (null on the last page)."""

    items: list[ItemT]
    next_cursor: str | None


def page_of(found: Sequence[ItemT], *, limit: int, cursor_of: Callable[[ItemT], str]) -> Page[ItemT]:
    """Build a page from `limit + 1` fetched items: the extra one only tells that there is a next page."""
    items = list(found[:limit])
    return Page[ItemT](items=items, next_cursor=cursor_of(items[-1]) if len(found) > limit else None)
