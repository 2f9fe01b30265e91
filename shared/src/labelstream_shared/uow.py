"""Unit of work: a use case runs inside one transaction that holds its state changes and the events it emits.

A service defines its transaction class (adding its repositories) on top of `Transaction`, and gets a runner:
`MongoTransactionRunner` (real, see mongo.py) or `InMemoryTransactionRunner` (the fake for unit tests).
The runner writes the emitted events to the outbox in the same transaction as the state.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from labelstream_shared.errors import TooLargeError
from labelstream_shared.events import EventEnvelope, EventPayload, envelope_for
from labelstream_shared.logging import current_correlation_id

T = TypeVar("T")
# The most bytes one event may have: Kafka refuses a larger message (the producer's and the broker's default limit
# is 1 MiB, with room here for the key and headers). A bigger event would be committed to the outbox and then stop
# the relay for every event behind it; refused at emit, the transaction writes nothing and the caller gets 413.
MAX_EVENT_BYTES = 1_000_000


@dataclass(frozen=True)
class OutgoingEvent:
    """An event a transaction emitted, with the topic it goes to."""

    topic: str
    envelope: EventEnvelope


@dataclass(frozen=True)
class OutgoingTombstone:
    """A Kafka tombstone (a null value for `key`): on a compacted topic it removes the key's latest value."""

    topic: str
    key: str


class Transaction(ABC):
    """What a use case sees: emit events and claim consumed events; subclasses add repositories."""

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.emitted: list[OutgoingEvent] = []
        self.tombstones: list[OutgoingTombstone] = []

    def emit(self, payload: EventPayload, *, also_to: Sequence[str] = ()) -> EventEnvelope:
        """Emit the event on its topic and, with `also_to`, the same envelope on further topics
        (e.g. a compacted topic keeping the latest event per key)."""
        envelope = envelope_for(payload, source=self.source, correlation_id=current_correlation_id())
        size = len(envelope.to_bytes())
        if size > MAX_EVENT_BYTES:
            raise TooLargeError(
                f"{payload.event_name}: the change makes an event of {size:,} bytes, more than the {MAX_EVENT_BYTES:,} "
                "an event may carry: nothing was saved",
                details={"event_bytes": size, "limit_bytes": MAX_EVENT_BYTES},
            )
        self.emitted.extend(OutgoingEvent(topic, envelope) for topic in (payload.topic, *also_to))
        return envelope

    def emit_tombstone(self, topic: str, key: str) -> None:
        """A null value for `key` on `topic`, published after this transaction's events."""
        self.tombstones.append(OutgoingTombstone(topic, key))

    @abstractmethod
    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record that `consumer` processed `event_id`; False when it had already (the ledger)."""


TxT = TypeVar("TxT", bound=Transaction)
TxT_co = TypeVar("TxT_co", bound=Transaction, covariant=True)


class TransactionRunner(Protocol[TxT_co]):
    async def __call__(self, work: Callable[[TxT_co], Awaitable[T]], /) -> T: ...


class InMemoryState:
    """Collections of plain dicts, the outbox and the ledger: the storage behind the fakes."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, dict[str, Any]]] = {}
        self.outbox: list[OutgoingEvent] = []
        self.tombstones: list[OutgoingTombstone] = []
        self.ledger: set[tuple[str, str]] = set()

    def collection(self, name: str) -> dict[Any, dict[str, Any]]:
        return self.collections.setdefault(name, {})


class InMemoryTransaction(Transaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source)
        self.state = state

    async def claim(self, consumer: str, event_id: str) -> bool:
        if (consumer, event_id) in self.state.ledger:
            return False
        self.state.ledger.add((consumer, event_id))
        return True


TxIn = TypeVar("TxIn", bound=InMemoryTransaction)


class InMemoryTransactionRunner(Generic[TxIn]):
    """Runs work against a snapshot and keeps it only when the work succeeds: all or nothing, like Mongo."""

    def __init__(self, make: Callable[[InMemoryState], TxIn], state: InMemoryState | None = None) -> None:
        self.state = state or InMemoryState()
        self._make = make

    async def __call__(self, work: Callable[[TxIn], Awaitable[T]], /) -> T:
        saved = copy.deepcopy((self.state.collections, self.state.ledger))
        tx = self._make(self.state)
        try:
            result = await work(tx)
        except BaseException:
            self._restore(*saved)
            raise
        self.state.outbox.extend(tx.emitted)
        self.state.tombstones.extend(tx.tombstones)
        return result

    def _restore(self, collections: dict[str, dict[Any, dict[str, Any]]], ledger: set[tuple[str, str]]) -> None:
        """Roll back in place: repositories built outside the transaction keep seeing the same dicts."""
        for name in list(self.state.collections):
            if name not in collections:
                self.state.collections[name].clear()
        for name, rows in collections.items():
            current = self.state.collections.setdefault(name, {})
            current.clear()
            current.update(rows)
        self.state.ledger.clear()
        self.state.ledger.update(ledger)


M = TypeVar("M", bound=BaseModel)


def page_rows(rows: dict[Any, dict[str, Any]], cls: type[M], *, limit: int, after: str | None) -> list[M]:
    """The in-memory twin of mongo.page_by_id."""
    ids = sorted(i for i in rows if after is None or i > after)[:limit]
    return [cls.model_validate(rows[i]) for i in ids]
