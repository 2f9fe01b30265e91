"""The outbox relay: publishes committed outbox records to Kafka, in order, and marks them sent.

Delivery is at-least-once (a crash between publish and mark re-sends a batch); consumers are idempotent.
Only the holder of a lease publishes, so replicas of the relay cannot reorder a key's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from labelstream_shared.metrics import OUTBOX_ERRORS, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxMessage:
    record_id: Any
    event_id: str
    event_type: str
    topic: str
    key: str
    value: bytes | None  # None: a tombstone (see mongo.tombstone_record)


class OutboxStore(Protocol):
    async def pending(self, limit: int) -> list[OutboxMessage]: ...
    async def mark_sent(self, record_ids: Sequence[Any]) -> None: ...
    async def wait_for_new(self, timeout: float) -> None: ...


class Publisher(Protocol):
    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        """Publish all, in order; raise if any was not acknowledged."""


class Lease(Protocol):
    async def acquire(self) -> bool: ...
    async def release(self) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        store: OutboxStore,
        publisher: Publisher,
        lease: Lease,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
    ) -> None:
        self.service = service
        self.store = store
        self.publisher = publisher
        self.lease = lease
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s

    async def relay_once(self) -> int:
        """Publish one batch of pending records; returns how many were published."""
        if not await self.lease.acquire():
            return 0
        batch = await self.store.pending(self.batch_size)
        if not batch:
            return 0
        await self.publisher.publish(batch)
        await self.store.mark_sent([m.record_id for m in batch])
        OUTBOX_PUBLISHED.labels(self.service).inc(len(batch))
        return len(batch)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = self.poll_interval_s
        while not stop.is_set():
            try:
                published = await self.relay_once()
                backoff = self.poll_interval_s
            except Exception as exc:  # noqa: BLE001 - Kafka or Mongo away: keep the records, try again
                OUTBOX_ERRORS.labels(self.service).inc()
                log.warning("outbox relay: publish failed, will retry", extra={"fields": {"error": repr(exc)}})
                published = 0
                backoff = min(backoff * 2, 10.0)
                await _sleep_unless(stop, backoff)
                continue
            if published < self.batch_size:
                await first_of(stop.wait(), self.store.wait_for_new(self.poll_interval_s))
        await self.lease.release()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def first_of(*awaitables: Any) -> None:
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
