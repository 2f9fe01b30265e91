"""The idempotent consumer on the real Kafka and MongoDB: duplicates applied once, poison to the DLQ."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from labelstream_shared.consumer import EventProcessor, Subscription
from labelstream_shared.events import DatasetCreated, EventEnvelope
from labelstream_shared.events.topics import dead_letter_topic
from labelstream_shared.kafka import KafkaPublisher, ensure_topics
from labelstream_shared.kafka_consumer import KafkaConsumerLoop, KafkaDeadLetterSink
from labelstream_shared.mongo import Document, MongoTransaction, MongoTransactionRunner
from labelstream_testing.events import dataset_created, event_bytes
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from conftest import KAFKA_BOOTSTRAP

pytestmark = pytest.mark.integration


async def record(tx: MongoTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
    if event.name == "explode":
        raise ValueError("handler cannot process this dataset")
    await tx.db["seen"].insert_one({"dataset": event.dataset_id, "event": envelope.id}, session=tx.session)


def created(dataset_id: str, name: str = "ok") -> bytes:
    return event_bytes(dataset_created(dataset_id, name=name))


async def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_duplicates_apply_once_and_poison_goes_to_the_dead_letter_topic(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document], unique: str
) -> None:
    topic, group = f"test.consumer.{unique}", f"test-group-{unique}"
    await ensure_topics(KAFKA_BOOTSTRAP, [topic, dead_letter_topic(group)], partitions=1, replication_factor=1)
    run = MongoTransactionRunner(
        client=mongo_client, db=mongo_db, make=lambda d, s: MongoTransaction(source="/t", db=d, session=s)
    )
    publisher = KafkaPublisher(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="test")
    processor = EventProcessor(
        group=group,
        subscriptions=[Subscription(DatasetCreated, record)],
        run=run,
        dead_letters=KafkaDeadLetterSink(publisher),
        backoff_s=0.01,
    )
    loop = KafkaConsumerLoop(processor=processor, topics=[topic], bootstrap_servers=KAFKA_BOOTSTRAP)
    good = created("d1")
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
    await producer.start()
    for value in (good, good, b"not an event", created("d2", name="explode"), created("d3")):
        await producer.send_and_wait(topic, value=value, key=b"k")
    await producer.stop()

    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    try:

        async def all_seen() -> bool:
            return await mongo_db["seen"].count_documents({}) >= 2

        await wait_for(all_seen)
        await asyncio.sleep(0.5)  # give a wrongly applied duplicate the time to show up
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await publisher.close()
    assert sorted(d["dataset"] for d in await mongo_db["seen"].find({}).to_list()) == ["d1", "d3"]

    dlq = AIOKafkaConsumer(dead_letter_topic(group), bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest")
    await dlq.start()
    try:
        parked = [r for rs in (await dlq.getmany(timeout_ms=5000)).values() for r in rs]
    finally:
        await dlq.stop()
    reasons = sorted(dict(r.headers)["dlq-reason"].decode().split(":")[0] for r in parked)
    assert reasons == ["failed 3 times", "invalid event"]
    assert {dict(r.headers)["dlq-source-topic"] for r in parked} == {topic.encode()}

    # offsets were committed after processing: all five messages, the parked ones included
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert {tp.topic: meta.offset for tp, meta in committed.items()} == {topic: 5}
