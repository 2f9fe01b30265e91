"""Helpers of the real-cluster test (test_cluster.py): annotation savers through a port-forward that is started
again when the gateway pod behind it goes away, the checks that every save is one event applied once, and the
membership of a consumer group."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from labelstream_deploy.k8s.release import Release
from labelstream_testing.dataset import INPUT_BUCKET, OUTPUT_BUCKET
from pymongo import MongoClient

from tests import chaos
from tests.chaos import Saver, dataset_counts, expected_counts, label_changes_of_saves, last_saves
from tests.storage import ensure_bucket, minio_client
from tests.support import eventually


async def labeling_samples(
    gateway: httpx.AsyncClient, *, kafka: str, minio: str, name: str, count: int
) -> tuple[str, list[str]]:
    """A dataset with `count` samples ready to label (announced on Kafka the way sync-svc and media-svc do), on the
    buckets the test platform names (made first in the deployment's MinIO)."""
    for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
        await asyncio.to_thread(ensure_bucket, minio_client(minio), bucket)
    return await chaos.labeling_samples(gateway, kafka=kafka, name=name, count=count)


@contextlib.asynccontextmanager
async def kept_forwarded(release: Release, service: str, local: int, remote: int) -> AsyncIterator[None]:
    """A port-forward started again whenever it stops answering (its pod was replaced by a rollout)."""
    stop = asyncio.Event()

    async def watch() -> None:
        failures = 0
        while not stop.is_set():
            process = release.cluster.process(f"port-forward-{service}")
            answered = await _answers(f"http://127.0.0.1:{local}/healthz")
            failures = 0 if answered else failures + 1
            if process.pid() is None or failures >= 2:
                process.stop(timeout=5)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(release.port_forward, service, local, remote)
                failures = 0
            await asyncio.sleep(0.5)

    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        stop.set()
        await task


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def save_until(savers: list[Saver], total: int, *, timeout: float) -> None:
    """Run the savers until `total` saves are applied (or `timeout`)."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(saver.run(stop)) for saver in savers]
    deadline = time.monotonic() + timeout
    while sum(len(s.saves) for s in savers) < total and time.monotonic() < deadline:
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*tasks)
    assert [a for s in savers for a in s.anomalies] == []


async def every_save_applied_once(
    gateway: httpx.AsyncClient, *, kafka: str, mongo_url: str, dataset_id: str, savers: list[Saver]
) -> str:
    """Every applied save is one LabelChanged at an outside consumer, dataset-svc's ledger holds each of those events
    exactly once and its counts match the last saves. Returns a line for the test's output."""
    events = await label_changes_of_saves(kafka, dataset_id, savers, timeout=120)
    ids = {e["id"] for e in events}

    def ledger() -> Counter[str]:
        client: MongoClient[dict[str, Any]] = MongoClient(
            mongo_url, directConnection=True, serverSelectionTimeoutMS=5000
        )
        with client:
            keys = client["dataset_svc"]["processed_events"].find({}, {"_id": 1})
            return Counter(str(k["_id"]).rsplit(":", 1)[-1] for k in keys)

    async def applied() -> bool:
        counted = await asyncio.to_thread(ledger)
        return all(counted[i] == 1 for i in ids) and await dataset_counts(gateway, dataset_id) == expected_counts(
            last_saves(savers)
        )

    with contextlib.suppress(AssertionError):
        await eventually(applied, timeout=180, what="dataset-svc applied every LabelChanged once")
    counted = await asyncio.to_thread(ledger)
    assert sorted({counted[i] for i in ids}) == [1], "an event is missing from, or twice in, dataset-svc's ledger"
    assert await dataset_counts(gateway, dataset_id) == expected_counts(last_saves(savers))
    saves = sum(len(s.saves) for s in savers)
    return f"{saves} saves -> {len(ids)} LabelChanged, each once in dataset-svc's ledger; counts match"


async def group_assignment(kafka: str, group: str) -> dict[str, set[tuple[str, int]]]:
    """The partitions each member of `group` holds now (member id -> (topic, partition))."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: dict[str, set[tuple[str, int]]] = {}
    for response in described:
        for entry in response.groups:
            state, listed = entry[2], entry[5]
            if state != "Stable":
                return {}
            for member in listed:
                assignment = ConsumerProtocolMemberAssignment.decode(member[4])
                members[member[0]] = {(topic, p) for topic, parts in assignment.assignment for p in parts}
    return members
