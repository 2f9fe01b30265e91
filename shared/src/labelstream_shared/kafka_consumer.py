"""Feeds an EventProcessor from Kafka; offsets are committed only after a message is processed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from labelstream_shared.consumer import BatchProcessor, IncomingMessage, MessageProcessor
from labelstream_shared.events.topics import dead_letter_topic
from labelstream_shared.kafka import KafkaPublisher
from labelstream_shared.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)


class KafkaDeadLetterSink:
    """Parks a message on the group's dead-letter topic, unchanged, with why and where it came from."""

    def __init__(self, publisher: KafkaPublisher) -> None:
        self._publisher = publisher

    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        headers = [
            *message.headers,
            ("dlq-reason", reason.encode()[:4000]),
            ("dlq-source-topic", message.topic.encode()),
            ("dlq-source-partition", str(message.partition).encode()),
            ("dlq-source-offset", str(message.offset).encode()),
            ("dlq-group", group.encode()),
        ]
        await self._publisher.send_raw(dead_letter_topic(group), value=message.value, key=message.key, headers=headers)


def incoming(record: ConsumerRecord[Any, Any]) -> IncomingMessage:
    return IncomingMessage(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
    )


class KafkaConsumerLoop:
    def __init__(
        self,
        *,
        processor: MessageProcessor,
        topics: list[str],
        bootstrap_servers: str,
        start_from: Literal["earliest", "latest"] = "earliest",
        linger_ms: int = 0,
    ) -> None:
        self.processor = processor
        self.linger_ms = linger_ms
        self.topics = topics
        self.bootstrap_servers = bootstrap_servers
        self.start_from = start_from
        self.polling = asyncio.Event()  # set once the group has its partitions and their positions

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.processor.group,
            enable_auto_commit=False,
            auto_offset_reset=self.start_from,
            max_poll_records=500,
            # a fetch answers once it holds a poll's worth (1 MiB) or `linger_ms` passed
            **({"fetch_min_bytes": 1 << 20, "fetch_max_wait_ms": self.linger_ms} if self.linger_ms else {}),
        )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            consumer = self._consumer()
            try:
                await consumer.start()
                await self._poll(consumer, stop)
            except KafkaError as exc:
                log.warning("consumer lost Kafka, reconnecting", extra={"fields": {"error": repr(exc)}})
                await asyncio.sleep(2)
            finally:
                await consumer.stop()

    async def _poll(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            if consumer.assignment() and not self.polling.is_set():
                for tp in consumer.assignment():
                    await consumer.position(tp)  # resolves where a new group starts
                self.polling.set()
            for tp, records in batches.items():
                await self._process_partition(consumer, tp, records)

    async def _process_partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord[Any, Any]]
    ) -> None:
        done = await self._process(records)
        if done is not None:
            await consumer.commit({tp: done + 1})
        if done != records[-1].offset:  # the database or the DLQ is away: come back to the rest later
            consumer.seek(tp, records[0].offset if done is None else done + 1)
            await asyncio.sleep(1)
        highwater = consumer.highwater(tp)
        if highwater is not None and done is not None:
            CONSUMER_LAG.labels(self.processor.group, tp.topic, str(tp.partition)).set(max(highwater - done - 1, 0))

    async def _process(self, records: list[ConsumerRecord[Any, Any]]) -> int | None:
        """Process in order; returns the offset of the last record fully processed (or parked)."""
        if isinstance(self.processor, BatchProcessor):
            try:
                await self.processor.process_batch([incoming(r) for r in records])
            except Exception:
                log.exception("could not process or park a batch; will retry it")
                return None
            return int(records[-1].offset)
        done: int | None = None
        for record in records:
            try:
                await self.processor.process(incoming(record))
            except Exception:
                log.exception("could not process or park a message; will retry it")
                break
            done = record.offset
        return done
