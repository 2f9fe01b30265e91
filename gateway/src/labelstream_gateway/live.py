"""Live updates for the browser: the gateway tails the event topics (no consumer group, from the end) and pushes
a short summary of each event to the browsers watching its dataset, as server-sent events (GET /api/events).
Among them the projecting services' announcements of what they applied (SamplesProjected), which the pages wait for
instead of polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import orjson
from aiokafka import AIOKafkaConsumer
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from labelstream_shared.events.topics import EVENT_TOPICS

from labelstream_gateway.auth_api import Caller

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/events", tags=["live"])
HEARTBEAT_S = 15.0
QUEUE_SIZE = 1000
# The fields of a payload worth pushing (LabelChanged carries every shape: the browser refetches what it shows).
SUMMARY_FIELDS = (
    "dataset_id",
    "sample_id",
    "sample_ids",
    "revision",
    "labeled_by",
    "status",
    "run_id",
    "export_id",
    "task_id",
    "service",
)
# SamplesProjected names its samples (with their revisions) up to this many; a bigger one says `truncated`, and a
# page waiting for one sample looks once more (a sync run's page of new samples is no burden on every browser).
ANNOUNCED_SAMPLES = 100


def summary(raw: bytes | None) -> dict[str, Any] | None:
    """What a browser is told of one CloudEvent: its short type, dataset and a few ids; None when unreadable."""
    try:
        event = orjson.loads(raw or b"")
        data = event.get("data") or {}
        kind = str(event.get("type", "")).split(".")
        name = kind[2] if len(kind) >= 4 else str(event.get("type"))
    except (ValueError, AttributeError):
        return None
    out: dict[str, Any] = {"type": name, "correlation_id": event.get("correlationid")}
    for field in SUMMARY_FIELDS:
        if field in data:
            out[field] = data[field]
    if "samples" in data and isinstance(data["samples"], list):
        out["count"] = len(data["samples"])
        if name == "SamplesProjected":
            out.update(_announced(data["samples"]))
    return out


def _announced(samples: list[Any]) -> dict[str, Any]:
    """The samples of an announcement of what a service projected: `{sample_id, revision}` each, or `truncated`."""
    if len(samples) > ANNOUNCED_SAMPLES:
        return {"truncated": True}
    return {
        "samples": [
            {"sample_id": s.get("sample_id"), "revision": s.get("revision")} for s in samples if isinstance(s, dict)
        ]
    }


class EventHub:
    """Fans events out to the subscribers (each with a bounded queue: a slow browser misses events, never blocks)."""

    def __init__(self) -> None:
        self._subscribers: set[tuple[str | None, asyncio.Queue[dict[str, Any]]]] = set()

    def publish(self, event: dict[str, Any]) -> None:
        for dataset_id, queue in list(self._subscribers):
            if dataset_id is not None and event.get("dataset_id") != dataset_id:
                continue
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    @contextlib.contextmanager
    def subscribe(self, dataset_id: str | None) -> Any:
        entry = (dataset_id, asyncio.Queue[dict[str, Any]](maxsize=QUEUE_SIZE))
        self._subscribers.add(entry)
        try:
            yield entry[1]
        finally:
            self._subscribers.discard(entry)

    async def tail(self, bootstrap_servers: str, stop: asyncio.Event) -> None:
        """Read the event topics from their end until `stop`; reconnect after Kafka errors."""
        while not stop.is_set():
            consumer = AIOKafkaConsumer(
                *EVENT_TOPICS, bootstrap_servers=bootstrap_servers, group_id=None, auto_offset_reset="latest"
            )
            try:
                await consumer.start()
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=500)
                    if not self._subscribers:  # nobody watches: not even read (a save's events cost nothing here)
                        continue
                    for records in batch.values():
                        for record in records:
                            event = summary(record.value)
                            if event is not None:
                                self.publish(event)
            except Exception as exc:  # noqa: BLE001 - Kafka unavailable: live updates pause, the API goes on
                log.warning("live updates: kafka error, retrying", extra={"fields": {"error": repr(exc)}})
                await asyncio.sleep(2.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()


async def hub_of(request: Request) -> EventHub:
    hub: EventHub = request.app.state.deps.hub
    return hub


@router.get("", operation_id="streamEvents")
async def stream_events(
    request: Request,
    _who: Caller,
    hub: Annotated[EventHub, Depends(hub_of)],
    dataset_id: Annotated[str | None, Query(max_length=100)] = None,
) -> StreamingResponse:
    """Server-sent events: one `data:` line of JSON per event of the dataset (or of all datasets). The stream ends
    when the gateway shuts down (the browser's EventSource reconnects, to another replica or this one restarted)."""

    async def events() -> AsyncIterator[bytes]:
        with hub.subscribe(dataset_id) as queue:
            async for chunk in event_stream(queue, request.app.state.draining, request.is_disconnected):
                yield chunk

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


async def event_stream(
    queue: asyncio.Queue[dict[str, Any]], draining: asyncio.Event, disconnected: Callable[[], Awaitable[bool]]
) -> AsyncIterator[bytes]:
    """The stream's bytes: a comment at once, then each event, a heartbeat comment after HEARTBEAT_S without one,
    until the client leaves or the server drains."""
    yield b": connected\n\n"
    drained = asyncio.ensure_future(draining.wait())
    try:
        while not await disconnected():
            got = asyncio.ensure_future(queue.get())
            await asyncio.wait({got, drained}, timeout=HEARTBEAT_S, return_when=asyncio.FIRST_COMPLETED)
            if not got.done():
                got.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await got
            if got.done() and not got.cancelled():
                event = got.result()
                yield f"event: {event['type']}\ndata: {orjson.dumps(event).decode()}\n\n".encode()
            elif drained.done():
                return
            else:
                yield b": heartbeat\n\n"
    finally:
        drained.cancel()
