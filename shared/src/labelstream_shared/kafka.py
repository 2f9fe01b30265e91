"""Kafka adapters: the idempotent producer behind the relay and dead-letter queue, topic creation, readiness."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from labelstream_shared.events.envelope import CONTENT_TYPE, TYPE_HEADER
from labelstream_shared.events.topics import TOPIC_CONFIGS
from labelstream_shared.outbox import OutboxMessage

log = logging.getLogger(__name__)


class KafkaPublisher:
    """acks=all and idempotence: no duplicates from producer retries, order kept per partition."""

    def __init__(self, *, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                request_timeout_ms=30000,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        producer = await self._started()
        content_type = ("content-type", CONTENT_TYPE.encode())
        pending = [
            # ce_type repeats the event's type as a header, so consumers skip unsubscribed events unparsed;
            # a tombstone (null value) carries no headers
            await producer.send(
                m.topic,
                value=m.value,
                key=m.key.encode(),
                headers=[] if m.value is None else [content_type, (TYPE_HEADER, m.event_type.encode())],
            )
            for m in messages
        ]
        await asyncio.gather(*pending)

    async def send_raw(
        self, topic: str, *, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        producer = await self._started()
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


async def ensure_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    *,
    partitions: int,
    replication_factor: int,
    compacted: Iterable[str] = (),
) -> None:
    """Create the missing topics (idempotent; safe when several services race to create the same one)."""
    compacted_set = set(compacted)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=replication_factor,
                topic_configs={
                    **TOPIC_CONFIGS.get(name, {}),
                    **({"cleanup.policy": "compact"} if name in compacted_set else {}),
                },
            )
            for name in sorted(set(names) - existing)
        ]
        if missing:
            response = await admin.create_topics(missing)
            for name, code, message in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):  # a concurrent creator won the race
                    raise for_code(code)(f"could not create topic {name}: {message}")
    finally:
        await admin.close()


async def check_kafka(bootstrap_servers: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
    await asyncio.wait_for(admin.start(), timeout=3)
    try:
        topics = await asyncio.wait_for(admin.list_topics(), timeout=3)
    finally:
        await admin.close()
    return f"{len(topics)} topics"
