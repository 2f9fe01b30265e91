"""webhook-svc as wired for production (real Kafka and MongoDB, its own database and consumer group) delivering to a
real HTTP receiver on 127.0.0.1 (allowed by the admin setting): a receiver failing the first deliveries still gets
every event, in order per key, signed; a receiver away for a while gets them once it is back; a loopback URL is
refused by default. Retries take fractions of a second here (settings)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from labelstream_shared.events import EventPayload
from labelstream_shared.mongo import Document
from labelstream_testing.dataset import label_changed
from labelstream_testing.events import event_bytes
from labelstream_testing.webhook_receiver import Receiver, free_port
from pymongo import AsyncMongoClient
from webhook_svc.bootstrap import create_app
from webhook_svc.domain.signature import verify_signature
from webhook_svc.settings import WebhookSettings

from conftest import KAFKA_BOOTSTRAP, MONGO_URL

pytestmark = pytest.mark.integration


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not within the time limit")
        await asyncio.sleep(0.1)


@pytest.fixture
async def service(unique: str, mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[httpx.AsyncClient]:
    settings = WebhookSettings(
        mongo_url=MONGO_URL,
        mongo_database=f"test_svc_{unique}",
        kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
        roles="api,consumers",
        consumer_group=f"webhook-svc-test-{unique}",
        consumer_start_from="latest",  # this test's events only, not the platform's history
        retry_base_s=0.05,
        retry_cap_s=0.2,
        delivery_poll_interval_s=0.05,
        blocked_wait_s=0.05,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            for loop in app.state.consumer_loops:
                await asyncio.wait_for(loop.polling.wait(), timeout=60)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as client:
                yield client
    finally:
        await mongo_client.drop_database(settings.mongo_database)


async def publish(*payloads: EventPayload) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for payload in payloads:
            await producer.send_and_wait(
                payload.topic, value=event_bytes(payload), key=payload.partition_key().encode()
            )
    finally:
        await producer.stop()


async def register(service: httpx.AsyncClient, url: str) -> dict[str, Any]:
    refused = await service.post("/api/webhooks", json={"url": url, "event_types": ["LabelChanged"]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"].startswith("url: 127.0.0.1 is a loopback address")
    allowed = await service.put("/api/webhooks/settings", json={"allow_private_targets": True})
    assert allowed.status_code == 200
    created = await service.post("/api/webhooks", json={"url": url, "event_types": ["LabelChanged"]})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_every_event_is_delivered_in_order_per_key_and_signed_despite_failures(
    service: httpx.AsyncClient, unique: str
) -> None:
    dataset = f"d{unique}"
    receiver = Receiver(port=free_port(), dataset=dataset, failures=3)
    await receiver.start()
    try:
        endpoint = await register(service, receiver.url)
        events = [label_changed(dataset, f"{k}.png", revision=r) for r in (1, 2, 3) for k in ("a", "b", "c")]
        await publish(*events)

        async def all_delivered() -> bool:
            return len({e["id"] for e in receiver.delivered()}) == len(events)

        await eventually(all_delivered)
    finally:
        await receiver.stop()
    for sample in {e.sample_id for e in events}:
        revisions = [e["data"]["revision"] for e in receiver.delivered() if e["data"]["sample_id"] == sample]
        assert revisions == [1, 2, 3], sample
    assert sum(1 for *_, status in receiver.requests if status == 500) == 3
    for headers, body, _ in receiver.requests:
        assert verify_signature(endpoint["secret"], headers["Labelstream-Signature"], body)
        assert headers["Labelstream-Event-Type"] == "LabelChanged"
        assert headers["Content-Type"] == "application/json"
    log = (await service.get(f"/api/webhooks/{endpoint['id']}/deliveries", params={"limit": 100})).json()["items"]
    mine = [d for d in log if d["key"] in {e.sample_id for e in events}]
    assert len(mine) == len(events)
    assert {d["status"] for d in mine} == {"delivered"}
    assert sum(d["attempts"] for d in mine) == len(events) + 3


async def test_delivery_resumes_when_the_receiver_is_back(service: httpx.AsyncClient, unique: str) -> None:
    dataset = f"d{unique}"
    receiver = Receiver(port=free_port(), dataset=dataset)
    endpoint = await register(service, receiver.url)
    events = [label_changed(dataset, "a.png", revision=1), label_changed(dataset, "a.png", revision=2)]
    await publish(*events)
    url = f"/api/webhooks/{endpoint['id']}/deliveries"

    async def retried() -> bool:
        log = (await service.get(url, params={"status": "retrying"})).json()["items"]
        return any(d["key"] == events[0].sample_id and d["attempts"] >= 2 and d["last_error"] for d in log)

    await eventually(retried)  # the receiver is away: connection refused, retried
    await receiver.start()
    try:

        async def both_delivered() -> bool:
            return [e["data"]["revision"] for e in receiver.delivered()] == [1, 2]

        await eventually(both_delivered)
    finally:
        await receiver.stop()
    log = (await service.get(url, params={"limit": 100})).json()["items"]
    assert [d["status"] for d in log if d["key"] == events[0].sample_id] == ["delivered", "delivered"]
