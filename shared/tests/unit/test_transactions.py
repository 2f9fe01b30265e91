from __future__ import annotations

import pytest
from labelstream_shared.errors import TooLargeError
from labelstream_shared.events import DatasetCreated, SamplesProjected
from labelstream_shared.events.topics import PROJECTIONS
from labelstream_shared.uow import MAX_EVENT_BYTES, PROJECTED_PER_EVENT
from labelstream_testing.events import dataset_created
from labelstream_testing.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner


def runner() -> InMemoryTransactionRunner[InMemoryTransaction]:
    return InMemoryTransactionRunner(lambda state: InMemoryTransaction(source="/test", state=state))


def event(dataset_id: str) -> DatasetCreated:
    return dataset_created(dataset_id)


async def test_state_and_events_commit_together() -> None:
    run = runner()

    async def work(tx: InMemoryTransaction) -> str:
        tx.state.collection("things")["a"] = {"id": "a"}
        tx.emit(event("a"))
        return "done"

    assert await run(work) == "done"
    assert run.state.collection("things") == {"a": {"id": "a"}}
    assert [e.envelope.subject for e in run.state.outbox] == ["a"]
    assert run.state.outbox[0].topic == "labelstream.datasets"


async def test_a_failing_use_case_leaves_nothing_behind() -> None:
    run = runner()

    async def work(tx: InMemoryTransaction) -> None:
        tx.state.collection("things")["a"] = {"id": "a"}
        tx.emit(event("a"))
        await tx.claim("group", "event-1")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await run(work)
    assert run.state.collection("things") == {}
    assert run.state.outbox == []
    assert run.state.ledger == set()


async def test_claim_is_once_per_consumer_and_event() -> None:
    state = InMemoryState()
    tx = InMemoryTransaction(source="/t", state=state)
    assert await tx.claim("g1", "e1") is True
    assert await tx.claim("g1", "e1") is False
    assert await tx.claim("g2", "e1") is True


async def test_an_event_goes_to_further_topics_and_tombstones_follow_the_commit() -> None:
    run = runner()

    async def work(tx: InMemoryTransaction) -> None:
        tx.emit(event("a"), also_to=("compacted",))
        tx.emit_tombstone("compacted", "b")

    await run(work)
    assert [(e.topic, e.envelope.subject) for e in run.state.outbox] == [
        ("labelstream.datasets", "a"),
        ("compacted", "a"),
    ]
    assert run.state.outbox[0].envelope.id == run.state.outbox[1].envelope.id
    assert [(t.topic, t.key) for t in run.state.tombstones] == [("compacted", "b")]


async def test_a_failed_transaction_keeps_no_tombstone() -> None:
    run = runner()

    async def work(tx: InMemoryTransaction) -> None:
        tx.emit_tombstone("compacted", "b")
        raise RuntimeError("late failure")

    with pytest.raises(RuntimeError):
        await run(work)
    assert run.state.tombstones == []


async def test_what_a_transaction_projected_is_announced_once_per_dataset_after_its_events() -> None:
    run = InMemoryTransactionRunner(lambda state: InMemoryTransaction(source="/labelstream/dataset-svc", state=state))

    async def work(tx: InMemoryTransaction) -> None:
        tx.projected("d1", "s1", revision=2)
        tx.projected("d1", "s2")
        tx.projected("d1", "s1", revision=1)  # an older revision in the same batch does not lower it
        tx.projected("d2", "s3", revision=4)
        tx.emit(event("d1"))

    await run(work)
    announced = [e for e in run.state.outbox if e.envelope.type == SamplesProjected.event_type()]
    assert [e.topic for e in run.state.outbox] == ["labelstream.datasets", PROJECTIONS, PROJECTIONS]
    payloads = [SamplesProjected.model_validate(e.envelope.data) for e in announced]
    assert [(p.service, p.dataset_id, [(s.sample_id, s.revision) for s in p.samples]) for p in payloads] == [
        ("dataset-svc", "d1", [("s1", 2), ("s2", None)]),
        ("dataset-svc", "d2", [("s3", 4)]),
    ]


async def test_a_transaction_projecting_a_backlog_announces_it_in_events_of_bounded_size() -> None:
    run = runner()
    count = PROJECTED_PER_EVENT * 2 + 1

    async def work(tx: InMemoryTransaction) -> None:
        for i in range(count):
            tx.projected("d1", f"{i:032x}", revision=i)

    await run(work)
    sizes = [len(SamplesProjected.model_validate(e.envelope.data).samples) for e in run.state.outbox]
    assert sizes == [PROJECTED_PER_EVENT, PROJECTED_PER_EVENT, 1]
    assert all(len(e.value) < MAX_EVENT_BYTES / 4 for e in run.state.outbox)


async def test_nothing_projected_nothing_announced() -> None:
    run = runner()

    async def work(tx: InMemoryTransaction) -> None:
        tx.emit(event("a"))

    await run(work)
    assert [e.topic for e in run.state.outbox] == ["labelstream.datasets"]


async def test_an_event_kafka_cannot_carry_is_refused_at_emit_and_nothing_is_saved() -> None:
    run = runner()

    async def work(tx: InMemoryTransaction) -> None:
        tx.state.collection("things")["a"] = {"id": "a"}
        tx.emit(dataset_created("a", name="n" * (MAX_EVENT_BYTES + 1)))

    with pytest.raises(TooLargeError, match="DatasetCreated: the change makes an event of") as refused:
        await run(work)
    assert refused.value.details["limit_bytes"] == MAX_EVENT_BYTES  # type: ignore[index]
    assert run.state.collection("things") == {} and run.state.outbox == []
