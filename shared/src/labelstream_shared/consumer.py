"""Idempotent event consumers.

`EventProcessor` decides what happens to one message (pure of Kafka, unit-tested with fakes): the handler runs
in a transaction together with the ledger record, so an event is applied once however often it arrives;
failures are retried a bounded number of times, then the message goes to the group's dead-letter topic.
`KafkaConsumerLoop` feeds it from Kafka and commits offsets only after processing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from labelstream_shared.events import EventEnvelope, EventPayload, InvalidEventError
from labelstream_shared.logging import correlation_id
from labelstream_shared.metrics import EVENTS_CONSUMED
from labelstream_shared.uow import Transaction, TransactionRunner

log = logging.getLogger(__name__)

TxT = TypeVar("TxT", bound=Transaction)
P = TypeVar("P", bound=EventPayload)
Outcome = Literal["applied", "duplicate", "ignored", "dead_lettered"]


@dataclass(frozen=True)
class IncomingMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Subscription(Generic[TxT, P]):
    """Handle events of `payload_type` with `handle(tx, payload, envelope)`."""

    payload_type: type[P]
    handle: Callable[[TxT, P, EventEnvelope], Awaitable[None]]


class DeadLetterSink(Protocol):
    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None: ...


@dataclass
class EventProcessor(Generic[TxT]):
    group: str
    subscriptions: Iterable[Subscription[TxT, Any]]
    run: TransactionRunner[TxT]
    dead_letters: DeadLetterSink
    max_attempts: int = 3
    backoff_s: float = 0.2
    # Failures of the infrastructure (database unreachable...) are not the message's fault: they propagate,
    # so the consumer loop retries the same message later instead of dead-lettering it.
    infrastructure_errors: tuple[type[Exception], ...] = ()
    _by_type: dict[str, Subscription[TxT, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self._by_type = {s.payload_type.event_type(): s for s in self.subscriptions}

    @property
    def event_types(self) -> set[str]:
        return set(self._by_type)

    async def process(self, message: IncomingMessage) -> Outcome:
        try:
            envelope = EventEnvelope.from_bytes(message.value)
            subscription = self._by_type.get(envelope.type)
            payload = subscription.payload_type.model_validate(envelope.data) if subscription else None
        except (InvalidEventError, ValueError) as exc:
            return await self._dead_letter(message, "unknown", f"invalid event: {exc}")
        if subscription is None or payload is None:
            return self._count(envelope.type, "ignored")
        token = correlation_id.set(envelope.correlationid)
        try:
            return await self._apply_with_retries(message, envelope, subscription, payload)
        finally:
            correlation_id.reset(token)

    async def _apply_with_retries(
        self, message: IncomingMessage, envelope: EventEnvelope, subscription: Subscription[TxT, Any], payload: Any
    ) -> Outcome:
        async def apply(tx: TxT) -> bool:
            if not await tx.claim(self.group, envelope.id):
                return False
            await subscription.handle(tx, payload, envelope)
            return True

        error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                applied = await self.run(apply)
                return self._count(envelope.type, "applied" if applied else "duplicate")
            except self.infrastructure_errors:
                raise
            except Exception as exc:
                error = exc
                log.warning(
                    "event handling failed",
                    extra={"fields": {"event_id": envelope.id, "type": envelope.type, "attempt": attempt}},
                    exc_info=True,
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        return await self._dead_letter(message, envelope.type, f"failed {self.max_attempts} times: {error!r}")

    async def _dead_letter(self, message: IncomingMessage, event_type: str, reason: str) -> Outcome:
        log.error("dead-lettering message", extra={"fields": {"topic": message.topic, "offset": message.offset}})
        await self.dead_letters.send(message, group=self.group, reason=reason)
        return self._count(event_type, "dead_lettered")

    def _count(self, event_type: str, outcome: Outcome) -> Outcome:
        EVENTS_CONSUMED.labels(self.group, event_type, outcome).inc()
        return outcome
