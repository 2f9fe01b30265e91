"""Acceptance (issue 3): "Synchronize data source" on the real MinIO, Kafka and MongoDB, through the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from conftest import GATEWAY_URL, KAFKA_BOOTSTRAP
from tests.storage import delete_objects, ensure_bucket, minio_client, put_objects
from tests.support import admin_headers, dataset_known_to_sync, eventually, gateway_client, read_topic

pytestmark = pytest.mark.e2e


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=30) as client:
        yield client


def fresh_bucket(unique: str) -> str:
    """A bucket per test: notifications of other tests' buckets do not race with the runs measured here."""
    bucket = f"e2e-sync-{unique}"
    ensure_bucket(minio_client(), bucket)
    return bucket


async def create_dataset(gateway: httpx.AsyncClient, *, name: str, bucket: str, prefix: str) -> str:
    return await dataset_known_to_sync(gateway, name=name, bucket=bucket, prefix=prefix)


async def start_run(gateway: httpx.AsyncClient, dataset_id: str) -> str:
    started = await gateway.post(f"/api/sync/datasets/{dataset_id}/runs")
    assert started.status_code == 202, started.text
    run_id: str = started.json()["id"]
    return run_id


async def finished(gateway: httpx.AsyncClient, run_id: str, *, timeout: float = 180) -> dict[str, Any]:
    result: dict[str, Any] = {}

    async def done() -> bool:
        result.update((await gateway.get(f"/api/sync/runs/{run_id}")).json())
        return result["status"] in ("succeeded", "failed")

    await eventually(done, timeout=timeout, what=f"sync run {run_id} finished")
    assert result["status"] == "succeeded", result
    return result


async def sample_ids_in_events(dataset_id: str, event_type: str) -> list[str]:
    events = await read_topic(KAFKA_BOOTSTRAP, "labelstream.samples")
    mine = [e for e in events if e["subject"] == dataset_id and e["type"] == event_type]
    field = "samples" if event_type.endswith("DataAdded.v1") else "objects"
    return [s["sample_id"] for e in mine for s in e["data"][field]]


@pytest.mark.leaves_backlog  # 10,000 samples: media, dataset-svc and labeling-svc work through them for a while
async def test_sync_of_10000_objects_adds_each_once_and_flags_deleted_ones(
    gateway: httpx.AsyncClient, unique: str
) -> None:
    client = minio_client()
    prefix = f"sync-{unique}/"
    keys = [f"{prefix}{i // 1000:02d}/img-{i:05d}.png" for i in range(10_000)]
    bucket = await asyncio.to_thread(fresh_bucket, unique)
    await asyncio.to_thread(put_objects, client, bucket, [*keys, f"{prefix}notes.txt"])
    dataset_id = await create_dataset(gateway, name=f"sync {unique}", bucket=bucket, prefix=prefix)

    first = await finished(gateway, await start_run(gateway, dataset_id))
    assert first["counts"]["added"] == 10_000
    assert first["counts"]["skipped"] == 1
    assert first["skipped_examples"] == [{"key": f"{prefix}notes.txt", "reason": "unsupported file type .txt"}]

    async def all_events_published() -> bool:
        return len(await sample_ids_in_events(dataset_id, "io.labelstream.DataAdded.v1")) >= 10_000

    await eventually(all_events_published, timeout=60, what="DataAdded published for every sample")
    added = await sample_ids_in_events(dataset_id, "io.labelstream.DataAdded.v1")
    assert len(added) == len(set(added)) == 10_000

    async def all_samples_in_dataset_svc() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 1})).json()
        return bool(page["counts"]["all"] == 10_000)

    await eventually(all_samples_in_dataset_svc, timeout=60, what="dataset-svc holds exactly 10,000 samples")

    second = await finished(gateway, await start_run(gateway, dataset_id))
    assert second["counts"]["added"] == 0
    assert second["counts"]["unchanged"] == 10_000

    gone = keys[:150]
    await asyncio.to_thread(delete_objects, client, bucket, gone)
    third = await finished(gateway, await start_run(gateway, dataset_id))
    # the bucket is watched since the dataset exists: notifications may flag some deletions before the run
    assert third["counts"]["removed"] <= 150
    assert third["counts"]["unchanged"] == 10_000 - 150

    async def deletions_published() -> bool:
        return len(await sample_ids_in_events(dataset_id, "io.labelstream.SourceDeleted.v1")) >= 150

    await eventually(deletions_published, timeout=60, what="SourceDeleted published")
    removed = await sample_ids_in_events(dataset_id, "io.labelstream.SourceDeleted.v1")
    assert len(removed) == len(set(removed)) == 150
    assert set(removed) <= set(added)
    assert await sample_ids_in_events(dataset_id, "io.labelstream.DataAdded.v1") == added  # nothing re-added


async def test_two_runs_started_together_add_nothing_twice(gateway: httpx.AsyncClient, unique: str) -> None:
    client = minio_client()
    prefix = f"sync-twice-{unique}/"
    bucket = await asyncio.to_thread(fresh_bucket, unique)
    await asyncio.to_thread(put_objects, client, bucket, [f"{prefix}img-{i:05d}.png" for i in range(3_000)])
    dataset_id = await create_dataset(gateway, name=f"sync twice {unique}", bucket=bucket, prefix=prefix)

    run_ids = await asyncio.gather(start_run(gateway, dataset_id), start_run(gateway, dataset_id))
    results = await asyncio.gather(*(finished(gateway, r) for r in run_ids))
    assert sum(r["counts"]["added"] for r in results) == 3_000

    async def published() -> bool:
        return len(await sample_ids_in_events(dataset_id, "io.labelstream.DataAdded.v1")) >= 3_000

    await eventually(published, timeout=60, what="DataAdded published")
    await asyncio.sleep(1)  # a duplicate would be published right behind
    added = await sample_ids_in_events(dataset_id, "io.labelstream.DataAdded.v1")
    assert len(added) == len(set(added)) == 3_000
