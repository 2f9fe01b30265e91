"""A batch of a partition's events is applied in one transaction, in order, once; a failing event is retried alone
and parked while the rest of its batch commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from labelstream_shared.consumer import EventProcessor, IncomingMessage, Subscription
from labelstream_shared.events import DatasetCreated, DatasetDeleted, EventEnvelope
from labelstream_testing.events import dataset_created, event_bytes
from labelstream_testing.uow import InMemoryTransaction, InMemoryTransactionRunner

from .fakes import FakeDeadLetters

T = TypeVar("T")


class CountingRunner(InMemoryTransactionRunner[InMemoryTransaction]):
    def __init__(self) -> None:
        super().__init__(lambda state: InMemoryTransaction(source="/t", state=state))
        self.transactions = 0

    async def __call__(self, work: Callable[[InMemoryTransaction], Awaitable[T]], /) -> T:
        self.transactions += 1
        return await super().__call__(work)


class Log:
    """Handlers that write what they applied, in order, to the transaction's state (rolled back with it)."""

    def __init__(self, *, poison: set[str] | None = None) -> None:
        self.poison = poison or set()
        self.batches: list[list[str]] = []

    def applied(self, runner: CountingRunner) -> list[str]:
        return [row["what"] for _, row in sorted(runner.state.collection("applied").items())]

    def _write(self, tx: InMemoryTransaction, what: str) -> None:
        rows = tx.state.collection("applied")
        rows[len(rows)] = {"what": what}

    async def created(self, tx: InMemoryTransaction, event: DatasetCreated, _envelope: EventEnvelope) -> None:
        if event.dataset_id in self.poison:
            raise ValueError(f"cannot apply {event.dataset_id}")
        self._write(tx, f"created {event.dataset_id}")

    async def created_many(self, tx: InMemoryTransaction, events: list[DatasetCreated]) -> None:
        self.batches.append([e.dataset_id for e in events])
        for event in events:
            if event.dataset_id in self.poison:
                raise ValueError(f"cannot apply {event.dataset_id}")
            self._write(tx, f"created {event.dataset_id}")

    async def deleted(self, tx: InMemoryTransaction, event: DatasetDeleted, _envelope: EventEnvelope) -> None:
        self._write(tx, f"deleted {event.dataset_id}")


def processor(log: Log, runner: CountingRunner, *, batch_max_events: int = 500) -> EventProcessor[InMemoryTransaction]:
    return EventProcessor(
        group="g",
        subscriptions=[
            Subscription(DatasetCreated, log.created, handle_many=log.created_many),
            Subscription(DatasetDeleted, log.deleted),
        ],
        run=runner,
        dead_letters=FakeDeadLetters(),
        max_attempts=3,
        backoff_s=0,
        batch_max_events=batch_max_events,
    )


def batch(*values: bytes) -> list[IncomingMessage]:
    return [
        IncomingMessage(topic="labelstream.datasets", partition=0, offset=i, key=b"k", value=v)
        for i, v in enumerate(values)
    ]


def created(dataset_id: str) -> bytes:
    return event_bytes(dataset_created(dataset_id))


def deleted(dataset_id: str) -> bytes:
    return event_bytes(DatasetDeleted(dataset_id=dataset_id, deleted_at=datetime(2026, 11, 30, tzinfo=UTC)))


async def test_a_batch_is_one_transaction_applied_in_order_with_runs_of_one_type_handled_at_once() -> None:
    log, runner = Log(), CountingRunner()
    values = [created("a"), created("b"), deleted("a"), created("c"), created("d")]
    outcomes = await processor(log, runner).process_batch(batch(*values))
    assert outcomes == ["applied"] * 5
    assert runner.transactions == 1
    assert log.applied(runner) == ["created a", "created b", "deleted a", "created c", "created d"]
    assert log.batches == [["a", "b"], ["c", "d"]]
    assert len(runner.state.ledger) == 5


async def test_events_seen_before_or_twice_in_the_batch_are_applied_once() -> None:
    log, runner = Log(), CountingRunner()
    p = processor(log, runner)
    first = created("a")
    assert await p.process_batch(batch(first)) == ["applied"]
    again = await p.process_batch(batch(first, created("b"), deleted("x"), created("c")))
    assert again == ["duplicate", "applied", "applied", "applied"]
    twice = deleted("y")
    assert await p.process_batch(batch(twice, twice)) == ["applied", "duplicate"]
    assert log.applied(runner) == ["created a", "created b", "deleted x", "created c", "deleted y"]


async def test_a_failing_event_is_retried_alone_and_parked_while_the_rest_of_its_batch_commits() -> None:
    log, runner = Log(poison={"bad"}), CountingRunner()
    p = processor(log, runner)
    outcomes = await p.process_batch(batch(created("a"), created("bad"), deleted("a"), created("c")))
    assert outcomes == ["applied", "dead_lettered", "applied", "applied"]
    assert log.applied(runner) == ["created a", "deleted a", "created c"]  # in order, each once
    dead = p.dead_letters
    assert isinstance(dead, FakeDeadLetters)
    assert len(dead.parked) == 1
    assert "failed 3 times" in dead.parked[0][1]
    assert len(runner.state.ledger) == 3  # the parked event is not in the ledger: a redelivery tries it again


async def test_invalid_messages_are_parked_and_the_rest_applied() -> None:
    log, runner = Log(), CountingRunner()
    p = processor(log, runner)
    assert await p.process_batch(batch(created("a"), b"\x00garbage", created("b"))) == [
        "applied",
        "dead_lettered",
        "applied",
    ]
    assert runner.transactions == 1
    assert log.applied(runner) == ["created a", "created b"]


async def test_a_batch_is_cut_into_transactions_of_bounded_size() -> None:
    log, runner = Log(), CountingRunner()
    outcomes = await processor(log, runner, batch_max_events=2).process_batch(
        batch(*(created(str(i)) for i in range(5)))
    )
    assert outcomes == ["applied"] * 5
    assert runner.transactions == 3
    assert log.applied(runner) == [f"created {i}" for i in range(5)]
