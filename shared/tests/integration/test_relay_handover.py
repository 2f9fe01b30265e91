"""Two relays of one service under load on the real MongoDB and Kafka: the lease holder dies without letting go (as
a kill -9 leaves it); the other takes the lease over once it expires and publishes the rest. Nothing is lost, each
key's events stay in order, and the only events published twice are those of the batch the dead holder was
publishing (consumers drop them by event id: the ledger)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer
from labelstream_shared.events import EventEnvelope, envelope_for
from labelstream_shared.kafka import KafkaPublisher, ensure_topics
from labelstream_shared.mongo import OUTBOX, Document, outbox_record
from labelstream_shared.mongo_outbox import MongoLease, MongoOutboxStore
from labelstream_shared.outbox import OutboxRelay
from labelstream_shared.uow import OutgoingEvent
from labelstream_testing.events import dataset_created
from pymongo.asynchronous.database import AsyncDatabase

from conftest import KAFKA_BOOTSTRAP
from tests.support import eventually

pytestmark = pytest.mark.integration

EVENTS, KEYS, BATCH, TTL_S = 2000, 20, 50, 2.0


def relay(db: AsyncDatabase[Document], publisher: KafkaPublisher, store: MongoOutboxStore, owner: str) -> OutboxRelay:
    lease = MongoLease(db, name="outbox-relay", owner=owner, ttl_s=TTL_S)
    return OutboxRelay(
        service="test", store=store, publisher=publisher, lease=lease, batch_size=BATCH, poll_interval_s=0.05
    )


async def write_load(db: AsyncDatabase[Document], topic: str) -> list[tuple[str, str]]:
    """EVENTS records committed 20 at a time while the relays run; (key, event id) in the order of the commits."""
    written: list[tuple[str, str]] = []
    for start in range(0, EVENTS, 20):
        records = []
        for i in range(start, start + 20):
            envelope = envelope_for(dataset_created(f"k{i % KEYS:02d}"), source="/labelstream/test", correlation_id="c")
            records.append(outbox_record(OutgoingEvent(topic, envelope, envelope.to_bytes())))
            written.append((envelope.partitionkey, envelope.id))
        await db[OUTBOX].insert_many(records)
        await asyncio.sleep(0.005)
    return written


async def read_all(topic: str, count: int) -> list[tuple[str, str]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest")
    await consumer.start()
    received: list[tuple[str, str]] = []
    try:
        while len({event_id for _, event_id in received}) < count:
            batch = await consumer.getmany(timeout_ms=10_000)
            if not batch:
                break
            for records in batch.values():
                for r in records:
                    envelope = EventEnvelope.from_bytes(r.value)
                    received.append((envelope.partitionkey, envelope.id))
    finally:
        await consumer.stop()
    return received


async def test_a_dead_lease_holder_is_replaced_without_losing_or_reordering_events(
    mongo_db: AsyncDatabase[Document], unique: str
) -> None:
    topic = f"test.handover.{unique}"
    await ensure_topics(KAFKA_BOOTSTRAP, [topic], partitions=3, replication_factor=1)
    publishers = [KafkaPublisher(bootstrap_servers=KAFKA_BOOTSTRAP, client_id=f"relay-{n}") for n in "ab"]
    stores = [MongoOutboxStore(mongo_db) for _ in "ab"]
    stop = asyncio.Event()
    first = asyncio.create_task(relay(mongo_db, publishers[0], stores[0], "a").run(stop))
    await asyncio.sleep(0.5)  # the first relay holds the lease
    second = asyncio.create_task(relay(mongo_db, publishers[1], stores[1], "b").run(stop))
    load = asyncio.create_task(write_load(mongo_db, topic))
    try:

        async def a_third_sent() -> bool:
            return await mongo_db[OUTBOX].count_documents({"pending": {"$ne": True}}) >= EVENTS // 3

        await eventually(a_third_sent, timeout=60, what="a third of the events published")
        first.cancel()  # dies mid-stream, keeping the lease until it expires
        killed_at = time.perf_counter()
        sent_at_kill = await mongo_db[OUTBOX].count_documents({"pending": {"$ne": True}})
        written = await load

        async def all_sent() -> bool:
            return await stores[1].count_pending() == 0

        await eventually(all_sent, timeout=60, what="the other relay publishing the rest")
        took_over_s = time.perf_counter() - killed_at
    finally:
        stop.set()
        first.cancel()
        await asyncio.gather(first, second, load, return_exceptions=True)
        for publisher, store in zip(publishers, stores, strict=True):
            await publisher.close()
            await store.close()
    received = await read_all(topic, EVENTS)
    copies = Counter(event_id for _, event_id in received)
    print(
        f"\nrelay handover: {sent_at_kill} of {EVENTS} sent when the holder died; the other relay had published the "
        f"rest {took_over_s:.1f}s later (lease {TTL_S:.0f}s); {sum(c - 1 for c in copies.values())} published twice"
    )
    assert set(copies) == {event_id for _, event_id in written}  # nothing lost
    assert sum(c - 1 for c in copies.values()) <= BATCH  # at most the batch in flight
    for key in {key for key, _ in written}:  # each key's events in their commit order (first copies)
        order = list(dict.fromkeys(event_id for k, event_id in received if k == key))
        assert order == [event_id for k, event_id in written if k == key]
