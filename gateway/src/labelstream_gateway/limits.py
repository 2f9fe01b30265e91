"""Request-size limits per route, enforced before a body reaches a service: a declared Content-Length over the limit
is refused before any of the body is read (what the client still sends is discarded, not kept, before the 413
answer); a body without one (chunked) is counted as it streams and cut off with 413 at the limit. File uploads are
not limited here: sync-svc keeps their limits (they stream through)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
JSON_BODY_LIMIT = 1 * MIB
# A sample's complete annotation. The shape rules allow 1,000 shapes of 10,000 points (~160 MiB of JSON), but a
# saved annotation is announced whole in one LabelChanged event and an event may carry 1,000,000 bytes (Kafka's
# limit, labelstream_shared.uow.MAX_EVENT_BYTES): nothing much over 1 MiB can be saved. 2 MiB lets labeling-svc
# name what is wrong with a body a little over (too many points: 422; an event too big: 413). Raise both together.
ANNOTATION_BODY_LIMIT = 2 * MIB
_ANNOTATION = re.compile(r"^/api/labeling/datasets/[^/]+/samples/[^/]+/annotation$")
DRAIN_LIMIT = 16 * MIB  # past this, a refused body is not read further: the connection is just closed
_UPLOAD = re.compile(r"^/api/sync/datasets/[^/]+/(uploads|archives)/.+$")  # a name may hold folders: street/01.png
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
            await _drain(receive)
            await _too_large(send, limit)
            return
        received = 0
        answered = False  # a response has started
        ended = False  # the client sent its last body message

        async def counted() -> Message:
            nonlocal received, ended
            message = await receive()
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal answered
            if received > limit:  # the app's own answer to a body cut off (a route reading it says 400): ours
                if not answered:
                    answered = True
                    await _refuse()
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        async def _refuse() -> None:
            if not ended:
                await _drain(receive)
            await _too_large(send, limit)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLargeError:
            if answered:
                raise
            await _refuse()


async def _drain(receive: Receive) -> None:
    """Discard what the client still sends of a refused body (up to DRAIN_LIMIT; nothing is kept) before the 413,
    so that a client that sends its whole body before reading the answer (most HTTP libraries) reads the 413
    instead of a connection reset. The server cannot read on after its answer (uvicorn ends the request)."""
    drained = 0
    while drained <= DRAIN_LIMIT:
        message = await receive()
        drained += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _too_large(send: Send, limit: int) -> None:
    size = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit:,} bytes"
    message = f"the request body is larger than this route's limit of {size}"
    body = json.dumps({"error": "too_large", "message": message, "details": {"limit_bytes": limit}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)
