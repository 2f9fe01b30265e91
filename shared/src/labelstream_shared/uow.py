"""Unit of work: a use case runs inside one transaction that holds its state changes and the events it emits.

A service defines its transaction class (adding its repositories) on top of `Transaction`, and gets a runner:
`MongoTransactionRunner` (real, see mongo.py) or `InMemoryTransactionRunner` (the fake for unit tests, in the
test-only package labelstream_testing).
The runner writes the emitted events to the outbox in the same transaction as the state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from labelstream_shared.errors import TooLargeError
from labelstream_shared.events import DatasetProjected, EventEnvelope, EventPayload, SamplesProjected, envelope_for
from labelstream_shared.events.contracts import ProjectedSample
from labelstream_shared.logging import current_correlation_id

T = TypeVar("T")
# The most bytes one event may have: Kafka refuses a larger message (the producer's and the broker's default limit
# is 1 MiB, with room here for the key and headers). A bigger event would be committed to the outbox and then stop
# the relay for every event behind it; refused at emit, the transaction writes nothing and the caller gets 413.
MAX_EVENT_BYTES = 1_000_000
# Samples per SamplesProjected announcement: a transaction applying a backlog may project tens of thousands; each
# announcement stays far below MAX_EVENT_BYTES (a sample takes about 80 bytes).
PROJECTED_PER_EVENT = 2_000


@dataclass(frozen=True)
class OutgoingEvent:
    """An event a transaction emitted, with the topic it goes to and its bytes (serialized once, at emit)."""

    topic: str
    envelope: EventEnvelope
    value: bytes


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
        self._projected: dict[str, dict[str, int | None]] = {}

    def emit(self, payload: EventPayload, *, also_to: Sequence[str] = ()) -> EventEnvelope:
        """Emit the event on its topic and, with `also_to`, the same envelope on further topics
        (e.g. a compacted topic keeping the latest event per key)."""
        envelope, value = self._sealed(payload)
        self.emitted.extend(OutgoingEvent(topic, envelope, value) for topic in (payload.topic, *also_to))
        return envelope

    def _sealed(self, payload: EventPayload) -> tuple[EventEnvelope, bytes]:
        """The event's envelope and its bytes; refused (413, the transaction writes nothing) when Kafka could not
        carry it."""
        envelope = envelope_for(payload, source=self.source, correlation_id=current_correlation_id())
        value = envelope.to_bytes()
        if len(value) > MAX_EVENT_BYTES:
            raise TooLargeError(
                f"{payload.event_name}: the change makes an event of {len(value):,} bytes, more than the "
                f"{MAX_EVENT_BYTES:,} an event may carry: nothing was saved",
                details={"event_bytes": len(value), "limit_bytes": MAX_EVENT_BYTES},
            )
        return envelope, value

    def emit_tombstone(self, topic: str, key: str) -> None:
        """A null value for `key` on `topic`, published after this transaction's events."""
        self.tombstones.append(OutgoingTombstone(topic, key))

    @property
    def service(self) -> str:
        """The service's name ("/labelstream/dataset-svc" -> "dataset-svc")."""
        return self.source.rsplit("/", 1)[-1]

    def projected_dataset(self, dataset_id: str) -> None:
        """This transaction made the dataset known to the service: announced with it (DatasetProjected)."""
        self.emit(DatasetProjected(service=self.service, dataset_id=dataset_id))

    def projected(self, dataset_id: str, sample_id: str, *, revision: int | None = None) -> None:
        """This transaction changed what the service shows of the sample (at label `revision`, when it keeps one).
        Announced once per transaction and dataset (SamplesProjected), however many samples or events it applied."""
        samples = self._projected.setdefault(dataset_id, {})
        known = samples.get(sample_id)
        samples[sample_id] = revision if known is None or (revision is not None and revision > known) else known

    def outgoing(self) -> list[OutgoingEvent]:
        """What the runner writes to the outbox: the events emitted, then the announcements of what was projected."""
        announcements = [
            SamplesProjected(service=self.service, dataset_id=dataset_id, samples=chunk)
            for dataset_id, samples in self._projected.items()
            for chunk in _chunks([ProjectedSample(sample_id=s, revision=r) for s, r in samples.items()])
        ]
        return [*self.emitted, *(OutgoingEvent(a.topic, *self._sealed(a)) for a in announcements)]

    @abstractmethod
    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record that `consumer` processed `event_id`; False when it had already (the ledger)."""

    async def claim_many(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Record that `consumer` processed these events; returns those it had not processed before (an id given
        twice is claimed once). Adapters override it to claim a batch in a round trip or two."""
        return {event_id for event_id in dict.fromkeys(event_ids) if await self.claim(consumer, event_id)}


def _chunks(samples: list[ProjectedSample]) -> list[tuple[ProjectedSample, ...]]:
    return [tuple(samples[i : i + PROJECTED_PER_EVENT]) for i in range(0, len(samples), PROJECTED_PER_EVENT)]


TxT = TypeVar("TxT", bound=Transaction)
TxT_co = TypeVar("TxT_co", bound=Transaction, covariant=True)


class TransactionRunner(Protocol[TxT_co]):
    async def __call__(self, work: Callable[[TxT_co], Awaitable[T]], /) -> T: ...
