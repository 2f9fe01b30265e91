"""Helpers for the cross-service tests: polling and reading events with an independent Kafka client."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).parents[1] / "shared" / "schemas"


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float, what: str) -> float:
    """Poll until `check` holds; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < timeout:
        if await check():
            return loop.time() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def read_topic(bootstrap: str, topic: str, *, timeout_ms: int = 10000) -> list[dict[str, Any]]:
    """Every message of `topic` from the beginning to the end offsets seen at the start, as parsed JSON."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        events: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch:
                break
            events += [json.loads(r.value) for records in batch.values() for r in records]
        return events
    finally:
        await consumer.stop()


def schema_errors(event: dict[str, Any]) -> list[str]:
    """Validate an event against the JSON Schema exported for its type (shared/schemas)."""
    path = SCHEMA_DIR / f"{event.get('type')}.json"
    if not path.exists():
        return [f"no exported schema for type {event.get('type')!r}"]
    validator = Draft202012Validator(json.loads(path.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(event)]
