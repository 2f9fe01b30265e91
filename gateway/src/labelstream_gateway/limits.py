"""Request-size limits per route, enforced before a body reaches a service: a declared Content-Length over the limit
is answered 413 before any of the body is read; a body without one (chunked) is counted as it streams and cut off
with 413 at the limit. File uploads are not limited here: sync-svc keeps their limits (they stream through)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
JSON_BODY_LIMIT = 1 * MIB
# A sample's complete annotation: the shape rules allow 1,000 shapes of up to 10,000 points, but one annotation is
# stored as one MongoDB document (16 MiB) and announced in one event; 32 MiB of JSON is past anything storable.
ANNOTATION_BODY_LIMIT = 32 * MIB
_ANNOTATION = re.compile(r"^/api/labeling/datasets/[^/]+/samples/[^/]+/annotation$")
_UPLOAD = re.compile(r"^/api/sync/datasets/[^/]+/uploads/[^/]+$")
_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


def body_limit(method: str, path: str) -> int | None:
    """The most bytes a request body of the route may have; None: not limited here (file uploads)."""
    if method not in _WITH_BODY:
        return None
    if method == "PUT" and _UPLOAD.match(path):
        return None
    if method == "PUT" and _ANNOTATION.match(path):
        return ANNOTATION_BODY_LIMIT
    return JSON_BODY_LIMIT


class _BodyTooLargeError(Exception):
    pass


@dataclass(frozen=True)
class BodyLimit:
    """Pure ASGI middleware (bodies still stream): 413 `too_large` naming the limit."""

    app: ASGIApp
    limit_of: Callable[[str, str], int | None] = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_of(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        answered = False  # a response has started

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal answered
            if received > limit:  # the app's own answer to a body cut off (a route reading it says 400): ours
                if not answered:
                    answered = True
                    await _too_large(send, limit)
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLargeError:
            if answered:
                raise
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    size = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit:,} bytes"
    message = f"the request body is larger than this route's limit of {size}"
    body = json.dumps({"error": "too_large", "message": message, "details": {"limit_bytes": limit}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)
