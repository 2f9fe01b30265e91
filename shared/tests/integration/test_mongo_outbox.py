"""The transactional outbox on the real MongoDB replica set and Kafka broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer
from labelstream_shared.events import EventEnvelope
from labelstream_shared.kafka import KafkaPublisher, ensure_topics
from labelstream_shared.mongo import OUTBOX, Document, MongoTransaction, MongoTransactionRunner
from labelstream_shared.mongo_outbox import MongoLease, MongoOutboxStore
from labelstream_shared.outbox import OutboxRelay
from labelstream_testing.events import dataset_created
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from conftest import KAFKA_BOOTSTRAP

pytestmark = pytest.mark.integration


def runner(client: AsyncMongoClient[Document], db: AsyncDatabase[Document]) -> MongoTransactionRunner[MongoTransaction]:
    return MongoTransactionRunner(
        client=client, db=db, make=lambda d, s: MongoTransaction(source="/labelstream/test", db=d, session=s)
    )


async def test_state_and_outbox_record_commit_in_one_transaction(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document]
) -> None:
    async def work(tx: MongoTransaction) -> None:
        await tx.db["things"].insert_one({"_id": "a"}, session=tx.session)
        tx.emit(dataset_created("a"))

    await runner(mongo_client, mongo_db)(work)
    assert await mongo_db["things"].count_documents({}) == 1
    record = await mongo_db[OUTBOX].find_one({})
    assert record is not None and record["pending"] is True and record["topic"] == "labelstream.datasets"
    assert EventEnvelope.from_bytes(record["value"]).subject == "a"


async def test_a_failed_transaction_writes_neither_state_nor_event_nor_ledger(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document]
) -> None:
    async def work(tx: MongoTransaction) -> None:
        await tx.db["things"].insert_one({"_id": "a"}, session=tx.session)
        await tx.claim("group", "event-1")
        tx.emit(dataset_created("a"))
        raise RuntimeError("validation failed late")

    with pytest.raises(RuntimeError):
        await runner(mongo_client, mongo_db)(work)
    for name in ("things", OUTBOX, "processed_events"):
        assert await mongo_db[name].count_documents({}) == 0


async def test_concurrent_claims_of_one_event_apply_it_once(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document]
) -> None:
    run = runner(mongo_client, mongo_db)

    async def apply(tx: MongoTransaction) -> bool:
        if not await tx.claim("group", "event-1"):
            return False
        await tx.db["effects"].insert_one({"event": "event-1"}, session=tx.session)
        return True

    results = await asyncio.gather(*(run(apply) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await mongo_db["effects"].count_documents({}) == 1


async def test_relay_publishes_to_kafka_in_order_and_marks_records_sent(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document], unique: str
) -> None:
    topic = f"test.outbox.{unique}"
    await ensure_topics(KAFKA_BOOTSTRAP, [topic], partitions=1, replication_factor=1)
    run = runner(mongo_client, mongo_db)
    for i in range(20):

        async def work(tx: MongoTransaction, i: int = i) -> None:
            tx.emit(dataset_created(f"d{i:02d}"))

        await run(work)
    await mongo_db[OUTBOX].update_many({}, {"$set": {"topic": topic}})  # keep this test's events to itself
    publisher = KafkaPublisher(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="test")
    store = MongoOutboxStore(mongo_db)
    relay = OutboxRelay(
        service="test", store=store, publisher=publisher, lease=MongoLease(mongo_db, name="r", owner="me"), batch_size=7
    )
    try:
        while await relay.relay_once():
            pass
    finally:
        await publisher.close()
        await store.close()
    assert await store.count_pending() == 0
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest")
    await consumer.start()
    try:
        received: list[str] = []
        while len(received) < 20:
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, f"only {len(received)} of 20 events arrived"
            received += [EventEnvelope.from_bytes(r.value).subject for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    assert received == [f"d{i:02d}" for i in range(20)]


async def test_a_lease_has_one_holder_until_it_expires(mongo_db: AsyncDatabase[Document]) -> None:
    first = MongoLease(mongo_db, name="relay", owner="a", ttl_s=0.5)
    second = MongoLease(mongo_db, name="relay", owner="b", ttl_s=0.5)
    assert await first.acquire() is True
    assert await second.acquire() is False
    await asyncio.sleep(0.6)
    assert await second.acquire() is True


async def test_a_tombstone_is_published_as_a_null_value_after_the_events_and_the_commit_wakes_the_relay(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document], unique: str
) -> None:
    topic = f"test.compacted.{unique}"
    await ensure_topics(KAFKA_BOOTSTRAP, [topic], partitions=1, replication_factor=1, compacted=[topic])
    store = MongoOutboxStore(mongo_db)
    nudged: list[bool] = []

    def nudge() -> None:
        nudged.append(True)
        store.nudge()

    run = MongoTransactionRunner(
        client=mongo_client,
        db=mongo_db,
        make=lambda d, s: MongoTransaction(source="/labelstream/test", db=d, session=s),
        on_commit=nudge,
    )

    async def work(tx: MongoTransaction) -> None:
        tx.emit_tombstone(topic, "a")
        tx.emit(dataset_created("a"), also_to=(topic,))

    await run(work)
    assert nudged == [True]
    await asyncio.wait_for(store.wait_for_new(5.0), timeout=0.5)  # already nudged: returns at once
    publisher = KafkaPublisher(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="test")
    relay = OutboxRelay(
        service="test", store=store, publisher=publisher, lease=MongoLease(mongo_db, name="r", owner="me")
    )
    try:
        assert await relay.relay_once() == 3
    finally:
        await publisher.close()
        await store.close()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10000)
        records = [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    assert [(r.key, r.value is None) for r in records] == [(b"a", False), (b"a", True)]


async def test_a_record_committed_elsewhere_wakes_the_relay_through_the_change_stream(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document]
) -> None:
    store = MongoOutboxStore(mongo_db)
    try:
        await asyncio.wait_for(store.wait_for_new(0.5), timeout=2)  # opens the change stream; nothing new yet
        await asyncio.sleep(0.5)

        async def work(tx: MongoTransaction) -> None:
            tx.emit(dataset_created("a"))

        await runner(mongo_client, mongo_db)(work)  # no nudge: another process committed it
        started = asyncio.get_running_loop().time()
        await store.wait_for_new(5.0)
        assert asyncio.get_running_loop().time() - started < 2.0
    finally:
        await store.close()
