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
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from labelstream_shared.events import EventEnvelope, EventPayload, InvalidEventError
from labelstream_shared.events.envelope import TYPE_HEADER
from labelstream_shared.logging import correlation_id
from labelstream_shared.metrics import EVENTS_CONSUMED
from labelstream_shared.uow import Transaction, TransactionRunner

log = logging.getLogger(__name__)

TxT = TypeVar("TxT", bound=Transaction)
P = TypeVar("P", bound=EventPayload)
P2 = TypeVar("P2")
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


@dataclass(kw_only=True)
class LedgerProcessor(Generic[TxT]):
    """Applies a message once: its effects and the ledger record commit together; bounded retries, then the DLQ."""

    group: str
    run: TransactionRunner[TxT]
    dead_letters: DeadLetterSink
    max_attempts: int = 3
    backoff_s: float = 0.2
    # Failures of the infrastructure (database unreachable...) are not the message's fault: they propagate,
    # so the consumer loop retries the same message later instead of dead-lettering it.
    infrastructure_errors: tuple[type[Exception], ...] = ()
    # Asked after such an error: True when the infrastructure answers after all (e.g. a transaction that kept
    # hitting write conflicts until the driver gave up with a timeout). The failure then counts as the message's,
    # so it is retried a bounded number of times and parked, instead of holding up its partition forever.
    infrastructure_up: Callable[[], Awaitable[bool]] | None = None

    async def _is_outage(self) -> bool:
        if self.infrastructure_up is None:
            return True
        try:
            return not await self.infrastructure_up()
        except Exception:  # noqa: BLE001 - a probe that fails says the outage goes on
            return True

    async def _apply_once(
        self, message: IncomingMessage, *, kind: str, message_id: str, handle: Callable[[TxT], Awaitable[None]]
    ) -> Outcome:
        async def apply(tx: TxT) -> bool:
            if not await tx.claim(self.group, message_id):
                return False
            await handle(tx)
            return True

        error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                applied = await self.run(apply)
                return self._count(kind, "applied" if applied else "duplicate")
            except Exception as exc:
                if isinstance(exc, self.infrastructure_errors) and await self._is_outage():
                    raise
                error = exc
                log.warning(
                    "message handling failed",
                    extra={"fields": {"message_id": message_id, "kind": kind, "attempt": attempt}},
                    exc_info=True,
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        return await self._dead_letter(message, kind, f"failed {self.max_attempts} times: {error!r}")

    async def _dead_letter(self, message: IncomingMessage, kind: str, reason: str) -> Outcome:
        log.error("dead-lettering message", extra={"fields": {"topic": message.topic, "offset": message.offset}})
        await self.dead_letters.send(message, group=self.group, reason=reason)
        return self._count(kind, "dead_lettered")

    def _count(self, kind: str, outcome: Outcome) -> Outcome:
        EVENTS_CONSUMED.labels(self.group, kind, outcome).inc()
        return outcome


@dataclass(kw_only=True)
class EventProcessor(LedgerProcessor[TxT]):
    """Consumes Labelstream events (CloudEvents) and hands each subscribed type to its handler."""

    subscriptions: Iterable[Subscription[TxT, Any]]
    _by_type: dict[str, Subscription[TxT, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self._by_type = {s.payload_type.event_type(): s for s in self.subscriptions}

    @property
    def topics(self) -> list[str]:
        return sorted({s.payload_type.topic for s in self._by_type.values()})

    async def process(self, message: IncomingMessage) -> Outcome:
        announced = dict(message.headers).get(TYPE_HEADER)
        if announced is not None and announced.decode(errors="replace") not in self._by_type:
            return self._count(announced.decode(errors="replace"), "ignored")  # not ours: skip without parsing
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
            return await self._apply_once(
                message,
                kind=envelope.type,
                message_id=envelope.id,
                handle=lambda tx: subscription.handle(tx, payload, envelope),
            )
        finally:
            correlation_id.reset(token)


class InvalidMessageError(ValueError):
    """A raw message that cannot be understood; it is dead-lettered without retries."""


@dataclass(kw_only=True)
class RawMessageProcessor(LedgerProcessor[TxT], Generic[TxT, P2]):
    """Consumes messages that are not Labelstream events (e.g. bucket notifications), a batch at a time:
    `decode` turns a message into its id and payload (raising InvalidMessageError); `handle` applies the payloads
    of the messages not processed before, in one transaction. A failing batch is retried message by message, so
    one bad message is dead-lettered alone."""

    kind: str
    decode: Callable[[IncomingMessage], tuple[str, P2]]
    handle: Callable[[TxT, list[P2]], Awaitable[None]]

    async def process(self, message: IncomingMessage) -> Outcome:
        return (await self.process_batch([message]))[0]

    async def process_batch(self, messages: list[IncomingMessage]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        decoded: list[tuple[int, str, P2]] = []
        for index, message in enumerate(messages):
            try:
                message_id, payload = self.decode(message)
            except InvalidMessageError as exc:
                outcomes[index] = await self._dead_letter(message, self.kind, f"invalid message: {exc}")
                continue
            decoded.append((index, message_id, payload))
        try:
            fresh = await self.run(lambda tx: self._apply_batch(tx, decoded))
            for index, _, _ in decoded:
                outcomes[index] = self._count(self.kind, "applied" if index in fresh else "duplicate")
        except self.infrastructure_errors:
            raise
        except Exception:
            log.warning("batch failed; processing its messages one by one", exc_info=True)
            for index, message_id, payload in decoded:
                outcomes[index] = await self._apply_once(
                    messages[index],
                    kind=self.kind,
                    message_id=message_id,
                    handle=self._single(payload),
                )
        return [outcomes[i] for i in range(len(messages))]

    def _single(self, payload: P2) -> Callable[[TxT], Awaitable[None]]:
        async def handle(tx: TxT) -> None:
            await self.handle(tx, [payload])

        return handle

    async def _apply_batch(self, tx: TxT, decoded: list[tuple[int, str, P2]]) -> set[int]:
        fresh = [(index, payload) for index, message_id, payload in decoded if await tx.claim(self.group, message_id)]
        if fresh:
            await self.handle(tx, [payload for _, payload in fresh])
        return {index for index, _ in fresh}


class MessageProcessor(Protocol):
    group: str

    async def process(self, message: IncomingMessage) -> Outcome: ...


@runtime_checkable
class BatchProcessor(MessageProcessor, Protocol):
    async def process_batch(self, messages: list[IncomingMessage]) -> list[Outcome]: ...
