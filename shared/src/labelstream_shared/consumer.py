"""Idempotent event consumers.

`EventProcessor` decides what happens to the messages of a partition's batch (pure of Kafka, unit-tested with
fakes): their handlers run in one transaction together with their ledger records, so an event is applied once
however often it arrives and a batch costs one commit, not one per event. Events are applied in their partition's
order (per-key order is kept); a subscription may take a run of consecutive events of its type at once
(`handle_many`). When a batch fails, its events are applied one by one, so a failing event is retried alone a
bounded number of times and then goes to the group's dead-letter topic while the others commit.
`KafkaConsumerLoop` feeds it from Kafka and commits offsets only after processing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
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
    """Handle events of `payload_type` with `handle(tx, payload, envelope)`; with `handle_many(tx, payloads)`, a
    run of consecutive events of the type in one batch is handled at once, in order (it must have the effect of
    `handle` on each in turn)."""

    payload_type: type[P]
    handle: Callable[[TxT, P, EventEnvelope], Awaitable[None]]
    handle_many: Callable[[TxT, list[P]], Awaitable[None]] | None = None


@dataclass(frozen=True)
class _Parsed:
    """A message of a batch that a subscription handles, parsed."""

    index: int
    message: IncomingMessage
    envelope: EventEnvelope
    subscription: Subscription[Any, Any]
    payload: EventPayload


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
    """Consumes Labelstream events (CloudEvents) and hands each subscribed type to its handler, a batch per
    transaction (at most `batch_max_events` events and `batch_max_bytes` of them)."""

    subscriptions: Iterable[Subscription[TxT, Any]]
    batch_max_events: int = 500
    batch_max_bytes: int = 1024 * 1024
    _by_type: dict[str, Subscription[TxT, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self._by_type = {s.payload_type.event_type(): s for s in self.subscriptions}

    @property
    def topics(self) -> list[str]:
        return sorted({s.payload_type.topic for s in self._by_type.values()})

    async def process(self, message: IncomingMessage) -> Outcome:
        return (await self.process_batch([message]))[0]

    async def process_batch(self, messages: list[IncomingMessage]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        parsed: list[_Parsed] = []
        for index, message in enumerate(messages):
            found = await self._parse(index, message)
            if isinstance(found, _Parsed):
                parsed.append(found)
            else:
                outcomes[index] = found
        for chunk in self._chunks(parsed):
            outcomes.update(await self._apply_chunk(chunk))
        return [outcomes[i] for i in range(len(messages))]

    async def _parse(self, index: int, message: IncomingMessage) -> _Parsed | Outcome:
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
        return _Parsed(index, message, envelope, subscription, payload)

    def _chunks(self, parsed: list[_Parsed]) -> Iterator[list[_Parsed]]:
        """The batch in transactions of bounded size, in order."""
        chunk: list[_Parsed] = []
        size = 0
        for item in parsed:
            weight = len(item.message.value or b"")
            if chunk and (len(chunk) >= self.batch_max_events or size + weight > self.batch_max_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append(item)
            size += weight
        if chunk:
            yield chunk

    async def _apply_chunk(self, chunk: list[_Parsed]) -> dict[int, Outcome]:
        if len(chunk) == 1:
            return {chunk[0].index: await self._apply_alone(chunk[0])}
        try:
            applied = await self.run(lambda tx: self._apply_all(tx, chunk))
        except Exception as exc:
            if isinstance(exc, self.infrastructure_errors) and await self._is_outage():
                raise
            log.warning(
                "a batch failed; applying its events one by one",
                extra={"fields": {"events": len(chunk), "error": repr(exc)}},
            )
            return {item.index: await self._apply_alone(item) for item in chunk}
        return {
            item.index: self._count(item.envelope.type, "applied" if item.index in applied else "duplicate")
            for item in chunk
        }

    async def _apply_all(self, tx: TxT, chunk: list[_Parsed]) -> set[int]:
        """Claim the chunk's events, then hand the fresh ones to their subscriptions in order; returns the indexes
        of the messages applied (an event twice in the chunk is applied at its first place)."""
        fresh = await tx.claim_many(self.group, [item.envelope.id for item in chunk])
        todo: list[_Parsed] = []
        for item in chunk:
            if item.envelope.id in fresh:
                fresh.discard(item.envelope.id)
                todo.append(item)
        for _, run in groupby(todo, key=lambda item: item.subscription):
            await self._handle_run(tx, list(run))
        return {item.index for item in todo}

    @staticmethod
    async def _handle_run(tx: TxT, run: list[_Parsed]) -> None:
        subscription = run[0].subscription
        if subscription.handle_many is not None and len(run) > 1:
            with correlated(run[0].envelope):
                await subscription.handle_many(tx, [item.payload for item in run])
            return
        for item in run:
            with correlated(item.envelope):
                await subscription.handle(tx, item.payload, item.envelope)

    async def _apply_alone(self, item: _Parsed) -> Outcome:
        with correlated(item.envelope):
            return await self._apply_once(
                item.message,
                kind=item.envelope.type,
                message_id=item.envelope.id,
                handle=lambda tx: item.subscription.handle(tx, item.payload, item.envelope),
            )


@contextmanager
def correlated(envelope: EventEnvelope) -> Iterator[None]:
    """What the handler emits carries the event's correlation id."""
    token = correlation_id.set(envelope.correlationid)
    try:
        yield
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
        claimed = await tx.claim_many(self.group, [message_id for _, message_id, _ in decoded])
        fresh = []
        for index, message_id, payload in decoded:
            if message_id in claimed:
                claimed.discard(message_id)
                fresh.append((index, payload))
        if fresh:
            await self.handle(tx, [payload for _, payload in fresh])
        return {index for index, _ in fresh}


class MessageProcessor(Protocol):
    group: str

    async def process(self, message: IncomingMessage) -> Outcome: ...


@runtime_checkable
class BatchProcessor(MessageProcessor, Protocol):
    async def process_batch(self, messages: list[IncomingMessage]) -> list[Outcome]: ...
