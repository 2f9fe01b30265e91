"""End to end through the running gateway: the platform is ready, and a dataset created through the API travels
dataset-svc -> outbox -> Kafka -> labeling-svc, with its correlation id, as a schema-valid CloudEvent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from labelstream_shared.events.topics import EVENT_TOPICS

from conftest import GATEWAY_URL, KAFKA_BOOTSTRAP
from tests.support import admin_headers, eventually, gateway_client, read_topic, schema_errors

pytestmark = pytest.mark.e2e

SERVICES = ("dataset-svc", "labeling-svc", "media-svc", "sync-svc", "webhook-svc")
DEPENDENCIES = ("mongodb", "kafka", "object_storage")


@pytest.fixture
async def gateway(platform_buckets: tuple[str, ...]) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=10) as client:
        yield client


async def test_gateway_reports_every_dependency_and_service_ready(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")
    report = response.json()
    assert response.status_code == 200, report
    assert set(report["checks"]) == {*DEPENDENCIES, *SERVICES}
    assert all(check["ok"] for check in report["checks"].values()), report
    assert (await gateway.get("/healthz")).json() == {"status": "ok"}
    assert "labelstream_http_requests_total" in (await gateway.get("/metrics")).text


async def test_dataset_created_through_the_gateway_reaches_labeling(gateway: httpx.AsyncClient, unique: str) -> None:
    correlation = f"e2e-{unique}"
    body = {
        "name": f"e2e {unique}",
        "labeling_type": "video_labeling",
        "input_path": {"bucket": "raw-data", "prefix": f"e2e/{unique}/"},
        "output_path": {"bucket": "out-data", "prefix": f"e2e/{unique}/"},
        "labels": [{"name": "car", "color": "#00aaff"}],
    }
    created = await gateway.post("/api/datasets", json=body, headers={"X-Correlation-ID": correlation})
    assert created.status_code == 201, created.text
    assert created.headers["X-Correlation-ID"] == correlation
    dataset_id = created.json()["id"]
    assert (await gateway.get(f"/api/datasets/{dataset_id}")).json()["name"] == f"e2e {unique}"

    async def known_to_labeling() -> bool:
        return (await gateway.get(f"/api/labeling/datasets/{dataset_id}")).status_code == 200

    await eventually(known_to_labeling, timeout=30, what="labeling-svc learnt of the dataset")
    seen = (await gateway.get(f"/api/labeling/datasets/{dataset_id}")).json()
    assert seen["labels"] == [{"name": "car", "color": "#00aaff"}]

    events = await read_topic(KAFKA_BOOTSTRAP, "labelstream.datasets")
    [event] = [e for e in events if e["subject"] == dataset_id]
    assert event["type"] == "io.labelstream.DatasetCreated.v1"
    assert event["correlationid"] == correlation
    assert event["source"] == "/labelstream/dataset-svc"


async def test_bad_input_through_the_gateway_is_a_clear_4xx(gateway: httpx.AsyncClient, unique: str) -> None:
    body = {
        "name": f"bad {unique}",
        "labeling_type": "image_segmentation",
        "input_path": {"bucket": "raw-data"},
        "output_path": {"bucket": "out-data"},
        "labels": [{"name": "cat", "color": "#ff0000"}, {"name": "CAT", "color": "#00ff00"}],
    }
    response = await gateway.post("/api/datasets", json=body)
    assert response.status_code == 422
    assert "duplicate label name" in response.json()["message"]
    listed = (await gateway.get("/api/datasets", params={"limit": 500})).json()["items"]
    assert f"bad {unique}" not in {d["name"] for d in listed}


async def test_every_event_on_kafka_matches_its_exported_json_schema(gateway: httpx.AsyncClient, unique: str) -> None:
    """An independent Kafka client reads the event topics and checks each event against shared/schemas: the newest
    1,000 of each partition (the whole history grows with every run on a long-lived platform; a validation costs
    about 0.5 ms, so 5,000 a partition made this test 30 s)."""
    body = {
        "name": f"schema {unique}",
        "labeling_type": "object_detection",
        "input_path": {"bucket": "raw-data"},
        "output_path": {"bucket": "out-data"},
    }
    assert (await gateway.post("/api/datasets", json=body)).status_code == 201

    async def published() -> bool:
        events = await read_topic(KAFKA_BOOTSTRAP, "labelstream.datasets", last=500)
        return any(e["data"].get("name") == body["name"] for e in events)  # DatasetDeleted has no name

    await eventually(published, timeout=30, what="DatasetCreated published")
    total = 0
    for topic in EVENT_TOPICS:
        for event in await read_topic(KAFKA_BOOTSTRAP, topic, last=1000):
            assert schema_errors(event) == [], event
            total += 1
    assert total >= 1
