"""Helpers for the cross-service tests: polling and reading events with an independent Kafka client."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
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


async def read_topic(
    bootstrap: str, topic: str, *, timeout_ms: int = 10000, last: int | None = None
) -> list[dict[str, Any]]:
    """Every message of `topic` from the beginning (or the newest `last` of each partition) to the end offsets seen at
    the start, as parsed JSON (tombstones, null values on a compacted topic, left out)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # the partitions as they are now, not as first cached
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        if last is not None:  # only the newest `last` messages of each partition
            starts = await consumer.beginning_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, max(starts[tp], ends[tp] - last))
        events: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch:
                break
            events += [json.loads(r.value) for records in batch.values() for r in records if r.value is not None]
        return events
    finally:
        await consumer.stop()


def schema_errors(event: dict[str, Any]) -> list[str]:
    """Validate an event against the JSON Schema exported for its type (shared/schemas)."""
    validator = _validator(str(event.get("type")))
    if validator is None:
        return [f"no exported schema for type {event.get('type')!r}"]
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(event)]


@functools.cache
def _validator(event_type: str) -> Draft202012Validator | None:
    """The schema of a type, read and compiled once (a test checks tens of thousands of events)."""
    path = SCHEMA_DIR / f"{event_type}.json"
    if not path.exists():
        return None
    return Draft202012Validator(json.loads(path.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER)


# --- the gateway with authentication ---------------------------------------------------------------------------
# The bootstrap admin the gateway creates into an empty user store (local default admin/admin; see gateway/README).
GATEWAY_ADMIN = os.environ.get("LS_TEST_ADMIN_USER", "admin")
GATEWAY_ADMIN_PASSWORD = os.environ.get("LS_TEST_ADMIN_PASSWORD", "admin")


def gateway_url() -> str:
    """The gateway the tests talk to (LS_GATEWAY_URL, default the local one)."""
    return os.environ.get("LS_GATEWAY_URL", "http://127.0.0.1:8000")


async def login_token(username: str, password: str, *, base_url: str | None = None) -> str:
    async with httpx.AsyncClient(base_url=base_url or gateway_url(), timeout=30) as client:
        response = await client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, f"login as {username}: {response.status_code} {response.text}"
        return str(response.json()["token"])


async def admin_headers(*, base_url: str | None = None) -> dict[str, str]:
    """Authorization headers of the bootstrap admin."""
    token = await login_token(GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, base_url=base_url)
    return {"Authorization": f"Bearer {token}"}


def gateway_client(headers: dict[str, str], *, base_url: str | None = None, timeout: float = 30) -> httpx.AsyncClient:
    """An HTTP client of the gateway sending `headers` (e.g. `await admin_headers()`) with every request."""
    return httpx.AsyncClient(base_url=base_url or gateway_url(), headers=headers, timeout=timeout)


async def ensure_user(username: str, role: str, password: str, *, base_url: str | None = None) -> dict[str, str]:
    """Create the user (as the admin) unless it exists; returns its authorization headers."""
    async with gateway_client(await admin_headers(base_url=base_url), base_url=base_url) as admin:
        created = await admin.post("/api/auth/users", json={"username": username, "password": password, "role": role})
        assert created.status_code in (201, 409), created.text
    return {"Authorization": f"Bearer {await login_token(username, password, base_url=base_url)}"}


async def dataset_known_to_sync(
    gateway: httpx.AsyncClient, *, name: str, bucket: str, prefix: str, labeling_type: str = "image_segmentation"
) -> str:
    """Create a dataset on bucket/prefix (output under prefix/out/) and wait until sync-svc has learnt of it."""
    body = {
        "name": name,
        "labeling_type": labeling_type,
        "input_path": {"bucket": bucket, "prefix": prefix},
        "output_path": {"bucket": bucket, "prefix": f"{prefix}out/"},
    }
    created = await gateway.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id: str = created.json()["id"]

    async def known_to_sync() -> bool:
        return (await gateway.get(f"/api/sync/datasets/{dataset_id}/runs")).status_code == 200

    await eventually(known_to_sync, timeout=30, what="sync-svc learnt of the dataset")
    return dataset_id
