"""dataset-svc as wired for production (real MongoDB, Kafka, MinIO), in its own database and consumer group:
a bucket must exist, samples arrive through Kafka events, labels too, the worker publishes and removes a version,
and deleting the dataset removes its samples."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from dataset_svc.bootstrap import create_app
from dataset_svc.settings import DatasetSettings
from labelstream_shared.events import EventPayload, MediaProcessed
from labelstream_shared.events.contracts import MediaMetadata
from labelstream_shared.mongo import Document
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.dataset import data_added, label_changed, sample_id
from labelstream_testing.events import event_bytes
from pymongo import AsyncMongoClient

from conftest import KAFKA_BOOTSTRAP, MONGO_URL

pytestmark = pytest.mark.integration


async def eventually(check: Any, *, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not within the time limit")
        await asyncio.sleep(0.2)


@pytest.fixture
async def service(unique: str, mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[httpx.AsyncClient]:
    settings = DatasetSettings(
        mongo_url=MONGO_URL,
        mongo_database=f"test_svc_{unique}",
        kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
        roles="api,consumers",  # no relay: this test's datasets stay off the platform's topics
        consumer_group=f"dataset-svc-test-{unique}",
        consumer_start_from="latest",  # not the platform's whole history: this test's events come after the start
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            for loop in app.state.consumer_loops:
                await asyncio.wait_for(loop.polling.wait(), timeout=60)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as client:
                yield client
    finally:
        await mongo_client.drop_database(settings.mongo_database)


async def publish(*payloads: EventPayload) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for payload in payloads:
            key = payload.partition_key().encode()
            await producer.send_and_wait(payload.topic, value=event_bytes(payload), key=key)
    finally:
        await producer.stop()


async def test_samples_arrive_through_events_and_leave_with_their_dataset(
    service: httpx.AsyncClient, scratch_bucket: tuple[ObjectStorage, str]
) -> None:
    _, bucket = scratch_bucket
    body = {"name": "cats", "labeling_type": "image_segmentation", "input_path": {"bucket": bucket}}
    missing = await service.post("/api/datasets", json={**body, "output_path": {"bucket": f"{bucket}-nope"}})
    assert missing.status_code == 422
    assert missing.json()["message"] == f"output_path.bucket: bucket '{bucket}-nope' does not exist"
    created = await service.post("/api/datasets", json={**body, "output_path": {"bucket": bucket, "prefix": "out/"}})
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    samples_url = f"/api/datasets/{dataset_id}/samples"

    meta = MediaMetadata(kind="image", width=4, height=3)
    a_id = sample_id(dataset_id, "a.jpg")
    ready = MediaProcessed(dataset_id=dataset_id, sample_id=a_id, status="ready", metadata=meta)
    labels = label_changed(dataset_id, "d.mp4", revision=1, labels=["cat"])
    # on three topics: any may be read first
    await publish(data_added(dataset_id, ["a.jpg", "b/c.jpg", "d.mp4"]), ready, labels)

    async def processed() -> bool:
        listing = (await service.get(samples_url)).json()
        ready = listing["counts"] == {"all": 3, "unlabeled": 2, "labeled": 1}
        return bool(ready and listing["items"][0]["media_status"] == "ready")

    await eventually(processed)
    listing = (await service.get(samples_url, params={"name": "C.JPG"})).json()
    assert [s["key"] for s in listing["items"]] == ["b/c.jpg"]
    assert listing["counts"] == {"all": 1, "unlabeled": 1, "labeled": 0}

    await publish_and_remove_a_version(service, dataset_id, bucket)

    assert (await service.delete(f"/api/datasets/{dataset_id}")).status_code == 204
    assert (await service.get(samples_url)).status_code == 404


async def publish_and_remove_a_version(service: httpx.AsyncClient, dataset_id: str, bucket: str) -> None:
    versions_url = f"/api/datasets/{dataset_id}/versions"
    publishing = await service.post(versions_url)
    assert publishing.status_code == 202, publishing.text
    version_url = publishing.headers["location"]

    async def published() -> bool:
        return bool((await service.get(version_url)).json()["status"] == "published")

    await eventually(published)
    version = (await service.get(version_url)).json()
    assert (version["name"], version["sample_count"], version["is_current"]) == ("V001", 3, True)
    assert version["manifest"]["key"] == "out/versions/V001/manifest.jsonl"
    storage = ObjectStorage(DatasetSettings())

    def output_keys() -> set[str]:
        return {o.object_name for o in storage.client.list_objects(bucket, prefix="out/", recursive=True)}

    assert await asyncio.to_thread(output_keys) == {version["manifest"]["key"], version["statistics_file"]["key"]}
    assert (await service.delete(version_url)).status_code == 204

    async def removed() -> bool:
        return not await asyncio.to_thread(output_keys)

    await eventually(removed)  # the bucket must be empty for the fixture to remove it
