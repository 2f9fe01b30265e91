"""Acceptance (issue 3): continuous sync. An object put into a dataset's input path becomes a sample, and a deleted
one is flagged, with no API call: MinIO notification -> Kafka -> sync-svc -> DataAdded/SourceDeleted.
The test measures the delay from the put to the event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from conftest import GATEWAY_URL, KAFKA_BOOTSTRAP
from tests.storage import delete_objects, ensure_bucket, minio_client, put_objects
from tests.support import admin_headers, eventually, gateway_client, read_topic

pytestmark = pytest.mark.e2e

BUCKET = "labelstream-e2e-continuous"


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=30) as client:
        yield client


async def sample_events(dataset_id: str, event_type: str) -> list[dict[str, object]]:
    events = await read_topic(KAFKA_BOOTSTRAP, "labelstream.samples")
    return [e for e in events if e["subject"] == dataset_id and e["type"] == event_type]


async def test_put_and_delete_reach_the_dataset_without_a_click(gateway: httpx.AsyncClient, unique: str) -> None:
    client = minio_client()
    await asyncio.to_thread(ensure_bucket, client, BUCKET)
    prefix = f"live-{unique}/"
    body = {
        "name": f"continuous {unique}",
        "labeling_type": "object_detection",
        "input_path": {"bucket": BUCKET, "prefix": prefix},
        "output_path": {"bucket": BUCKET, "prefix": "out/"},
    }
    created = await gateway.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]

    async def watched() -> bool:
        if (await gateway.get(f"/api/sync/datasets/{dataset_id}/runs")).status_code != 200:
            return False  # sync-svc has not consumed DatasetCreated yet
        config = await asyncio.to_thread(client.get_bucket_notification, BUCKET)
        return bool(config.queue_config_list)

    await eventually(watched, timeout=30, what="sync-svc registered the dataset and watches its bucket")

    key = f"{prefix}cam-1/frame.png"
    put_at = time.monotonic()
    await asyncio.to_thread(put_objects, client, BUCKET, [key, f"other-{unique}/ignored.png"])

    async def added() -> bool:
        return bool(await sample_events(dataset_id, "io.labelstream.DataAdded.v1"))

    await eventually(added, timeout=30, what="DataAdded from the notification")
    add_delay = time.monotonic() - put_at
    [event] = await sample_events(dataset_id, "io.labelstream.DataAdded.v1")
    assert event["data"]["origin"] == "notification"  # type: ignore[index]
    assert [s["key"] for s in event["data"]["samples"]] == [key]  # type: ignore[index]

    delete_at = time.monotonic()
    await asyncio.to_thread(delete_objects, client, BUCKET, [key])

    async def flagged() -> bool:
        return bool(await sample_events(dataset_id, "io.labelstream.SourceDeleted.v1"))

    await eventually(flagged, timeout=30, what="SourceDeleted from the notification")
    delete_delay = time.monotonic() - delete_at
    print(f"\ncontinuous sync delay: put -> DataAdded {add_delay:.2f}s, delete -> SourceDeleted {delete_delay:.2f}s")
    assert add_delay < 30
    assert delete_delay < 30
