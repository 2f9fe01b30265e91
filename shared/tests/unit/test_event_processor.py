from __future__ import annotations

import pytest
from labelstream_shared.consumer import EventProcessor, IncomingMessage, Subscription
from labelstream_shared.events import DatasetCreated, EventEnvelope, MediaProcessed, envelope_for
from labelstream_testing.events import dataset_created, event_bytes
from labelstream_testing.uow import InMemoryTransaction, InMemoryTransactionRunner

from .fakes import FakeDeadLetters


class Recorder:
    def __init__(self, *, failures: int = 0) -> None:
        self.seen: list[str] = []
        self.failures = failures

    async def __call__(self, tx: InMemoryTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
        if self.failures:
            self.failures -= 1
            raise ValueError("handler bug")
        tx.state.collection("datasets")[event.dataset_id] = {"id": event.dataset_id}
        self.seen.append(envelope.id)


def processor(handler: Recorder, dead: FakeDeadLetters) -> EventProcessor[InMemoryTransaction]:
    run = InMemoryTransactionRunner(lambda state: InMemoryTransaction(source="/t", state=state))
    return EventProcessor(
        group="g",
        subscriptions=[Subscription(DatasetCreated, handler)],
        run=run,
        dead_letters=dead,
        max_attempts=3,
        backoff_s=0,
    )


def message(value: bytes | None, offset: int = 0) -> IncomingMessage:
    return IncomingMessage(topic="labelstream.datasets", partition=0, offset=offset, key=b"d1", value=value)


def created() -> bytes:
    return event_bytes(dataset_created())


async def test_the_same_event_twice_is_applied_once() -> None:
    handler, dead = Recorder(), FakeDeadLetters()
    p = processor(handler, dead)
    raw = created()
    assert await p.process(message(raw, 0)) == "applied"
    assert await p.process(message(raw, 1)) == "duplicate"
    assert len(handler.seen) == 1


async def test_a_transient_failure_is_retried() -> None:
    handler, dead = Recorder(failures=2), FakeDeadLetters()
    assert await processor(handler, dead).process(message(created())) == "applied"
    assert dead.parked == []


async def test_a_message_failing_every_attempt_goes_to_the_dead_letter_topic() -> None:
    handler, dead = Recorder(failures=99), FakeDeadLetters()
    p = processor(handler, dead)
    assert await p.process(message(created())) == "dead_lettered"
    assert len(dead.parked) == 1
    assert "failed 3 times" in dead.parked[0][1]
    # nothing of the failed attempts stayed: the ledger does not hold the event either
    assert await p.process(message(created())) == "dead_lettered"


async def test_poison_messages_are_parked_without_retries() -> None:
    handler, dead = Recorder(), FakeDeadLetters()
    p = processor(handler, dead)
    assert await p.process(message(b"\x00garbage")) == "dead_lettered"
    assert await p.process(message(None)) == "dead_lettered"
    assert handler.seen == []


async def test_events_nobody_subscribed_to_are_skipped() -> None:
    handler, dead = Recorder(), FakeDeadLetters()
    other = MediaProcessed(dataset_id="d", sample_id="s", status="failed", failure_reason="zero bytes")
    raw = envelope_for(other, source="/t", correlation_id="c").to_bytes()
    assert await processor(handler, dead).process(message(raw)) == "ignored"
    assert dead.parked == []


async def test_events_emitted_while_handling_carry_the_incoming_correlation_id() -> None:
    emitted: list[str] = []

    async def relay_on(tx: InMemoryTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
        failed = MediaProcessed(dataset_id=event.dataset_id, sample_id="s", status="failed", failure_reason="x")
        emitted.append(tx.emit(failed).correlationid)

    run = InMemoryTransactionRunner(lambda state: InMemoryTransaction(source="/t", state=state))
    p = EventProcessor(
        group="g", subscriptions=[Subscription(DatasetCreated, relay_on)], run=run, dead_letters=FakeDeadLetters()
    )
    assert await p.process(message(created())) == "applied"
    assert emitted == ["c"]
    assert run.state.outbox[0].envelope.correlationid == "c"


class UnreachableError(Exception):
    """Stands for a driver error that usually means the database is away (ConnectionFailure)."""


class FailingAsUnreachable(Recorder):
    async def __call__(self, tx: InMemoryTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
        raise UnreachableError("timed out")


async def test_an_infrastructure_error_waits_for_the_outage_unless_the_database_answers() -> None:
    dead = FakeDeadLetters()
    p = processor(FailingAsUnreachable(), dead)
    p.infrastructure_errors = (UnreachableError,)

    async def down() -> bool:
        raise UnreachableError("no answer")

    p.infrastructure_up = down
    with pytest.raises(UnreachableError):  # an outage: the consumer loop retries the message later, nothing is parked
        await p.process(message(created()))
    assert dead.parked == []

    async def answers() -> bool:
        return True

    p.infrastructure_up = answers  # the database answers: the message's own transaction keeps failing
    assert await p.process(message(created())) == "dead_lettered"
    assert "failed 3 times" in dead.parked[0][1]
