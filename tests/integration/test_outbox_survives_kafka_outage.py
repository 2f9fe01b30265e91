"""Acceptance: the outbox never loses an event. With Kafka stopped, creating a dataset succeeds; once Kafka is
back, DatasetCreated arrives. Uses a private Kafka broker (same launcher code, own ports and data) so stopping
it does not disturb the platform the other tests use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from dataset_svc.bootstrap import create_app
from dataset_svc.settings import DatasetSettings
from labelstream_deploy.kafka import KafkaServer
from labelstream_shared.mongo import OUTBOX, Document
from pymongo import AsyncMongoClient

from conftest import MONGO_URL
from tests.support import eventually, free_port, read_topic

pytestmark = pytest.mark.integration


@pytest.fixture
def private_kafka(tmp_path: Path) -> Iterator[KafkaServer]:
    for sub in ("data", "logs", "pids", "conf"):
        (tmp_path / sub).mkdir()
    kafka = KafkaServer(run_dir=tmp_path, port=free_port(), controller_port=free_port(), name="kafka-outage-test")
    kafka.ensure_running()
    yield kafka
    kafka.stop()


@pytest.fixture
async def dataset_api(
    private_kafka: KafkaServer, unique: str, platform_buckets: tuple[str, ...]
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    database = f"test_outage_{unique}"
    settings = DatasetSettings(
        mongo_url=MONGO_URL,
        mongo_database=database,
        kafka_bootstrap_servers=private_kafka.bootstrap,
        relay_poll_interval_s=0.2,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dataset-svc") as client:

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            await eventually(ready, timeout=30, what="dataset-svc ready on the private broker")
            yield client, database


async def test_dataset_created_while_kafka_is_down_is_delivered_when_it_returns(
    private_kafka: KafkaServer,
    dataset_api: tuple[httpx.AsyncClient, str],
    mongo_client: AsyncMongoClient[Document],
    unique: str,
) -> None:
    client, database = dataset_api
    outbox = mongo_client[database][OUTBOX]
    await asyncio.to_thread(private_kafka.stop)  # off the event loop: the service keeps running meanwhile

    body = {
        "name": f"outage {unique}",
        "labeling_type": "object_detection",
        "input_path": {"bucket": "raw-data", "prefix": unique},
        "output_path": {"bucket": "out-data", "prefix": unique},
    }
    created = await client.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    assert await outbox.count_documents({"pending": True, "key": dataset_id}) == 1

    await asyncio.to_thread(private_kafka.ensure_running)  # same data directory: the same cluster comes back

    async def delivered() -> bool:
        return await outbox.count_documents({"pending": True}) == 0

    await eventually(delivered, timeout=120, what="outbox drained after Kafka came back")
    events = await read_topic(private_kafka.bootstrap, "labelstream.datasets")
    matching = [e for e in events if e["subject"] == dataset_id]
    assert [e["type"] for e in matching] == ["io.labelstream.DatasetCreated.v1"]
    assert matching[0]["data"]["name"] == f"outage {unique}"
    await mongo_client.drop_database(database)
