"""webhook-svc's use cases and delivery worker on the in-memory fakes: registration behind the SSRF guard, deliveries
recorded per matching endpoint, signed attempts, retries, order per key, the dead state, redelivery, deletion."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from labelstream_shared.errors import InvalidInputError
from labelstream_testing.dataset import data_added, label_changed, sample_id
from labelstream_testing.webhook import RECEIVER, WebhookHarness
from webhook_svc.app.endpoints import EndpointChanges, delete_endpoint, ping, redeliver, update_endpoint
from webhook_svc.bootstrap import create_app
from webhook_svc.domain.deliveries import AttemptResult, RetryPolicy
from webhook_svc.domain.signature import verify_signature
from webhook_svc.entrypoints.api import WebhookDeps
from webhook_svc.settings import WebhookSettings

FAIL = AttemptResult(status_code=503, error="answered 503: busy")


async def test_a_private_or_loopback_url_is_refused_unless_the_admin_allows_it() -> None:
    hooks = WebhookHarness()
    hooks.resolver.names["internal.example"] = ["93.184.216.34", "10.0.0.5"]
    for url, problem in (
        ("http://127.0.0.1:9000/hook", "url: 127.0.0.1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "url: ::ffff:127.0.0.1 is a loopback address"),
        ("http://internal.example/", "url: 'internal.example' resolves to 10.0.0.5, which is a private address"),
        ("http://unknown.example/", "url: host 'unknown.example' does not resolve"),
        ("gopher://example.com/", "url: only http and https"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            await hooks.register(url=url)
        assert refused.value.message.startswith(problem)
    await hooks.allow_private()
    assert (await hooks.register(url="http://127.0.0.1:9000/hook")).url == "http://127.0.0.1:9000/hook"


async def test_each_event_becomes_one_signed_delivery_per_endpoint_that_wants_it() -> None:
    hooks = WebhookHarness()
    labels = await hooks.register(events=("LabelChanged",))
    everything = await hooks.register()
    paused = await hooks.register()
    await update_endpoint(hooks.run, paused.id, EndpointChanges(active=False), resolver=hooks.resolver)
    await hooks.consume(label_changed("d1", "a.png", revision=1), data_added("d1", ["b.png"]))
    await hooks.drain()
    sent = [(r.headers["Labelstream-Event-Type"], json.loads(r.body)["type"]) for r in hooks.sender.sent]
    assert sorted(sent) == [
        ("DataAdded", "io.labelstream.DataAdded.v1"),
        ("LabelChanged", "io.labelstream.LabelChanged.v1"),
        ("LabelChanged", "io.labelstream.LabelChanged.v1"),
    ]
    for request in hooks.sender.sent:
        assert request.headers["Content-Type"] == "application/json"
        assert verify_signature("s" * 32, request.headers["Labelstream-Signature"], request.body)
        assert request.headers["Labelstream-Event-Id"] == json.loads(request.body)["id"]
    by_endpoint = {d.endpoint_id for d in await hooks.all_deliveries()}
    assert by_endpoint == {labels.id, everything.id}
    assert all(d.status == "delivered" and d.attempts == 1 for d in await hooks.all_deliveries())


async def test_a_new_endpoint_gets_the_events_from_its_registration_on_not_the_backlog() -> None:
    hooks = WebhookHarness()
    endpoint = await hooks.register(events=("LabelChanged",))
    before = endpoint.created_at - timedelta(seconds=30)  # happened then, read by the consumer only now
    await hooks.consume(label_changed("d1", "old.png", revision=1), at=before)
    await hooks.consume(label_changed("d1", "new.png", revision=1))
    await hooks.drain()
    assert [json.loads(r.body)["data"]["sample_id"] for r in hooks.sender.sent] == [sample_id("d1", "new.png")]


async def test_a_failing_delivery_is_retried_and_holds_up_only_the_later_events_of_its_key() -> None:
    hooks = WebhookHarness()
    await hooks.register()
    hooks.sender.answers = [FAIL, FAIL, FAIL]
    await hooks.consume(
        label_changed("d1", "a.png", revision=1),
        label_changed("d1", "b.png", revision=1),
        label_changed("d1", "a.png", revision=2),
    )
    await hooks.drain()  # a@1 and b@1 fail (3 failures between them): a@2 waits until a@1 went through
    received = [json.loads(r.body)["data"] for r in hooks.sender.sent]
    a_revisions = [d["revision"] for d in received if d["sample_id"].endswith(_sample_suffix("a.png"))]
    assert a_revisions[-1] == 2
    assert set(a_revisions[:-1]) == {1}
    assert all(d.status == "delivered" for d in await hooks.all_deliveries())
    assert sorted(d.attempts for d in await hooks.all_deliveries()) == [1, 2, 3]


def _sample_suffix(key: str) -> str:
    return label_changed("d1", key, revision=1).sample_id


async def test_a_dead_delivery_lets_the_next_of_its_key_go_and_can_be_redelivered() -> None:
    hooks = WebhookHarness(policy=RetryPolicy(base_s=0.001, cap_s=0.001, budget_s=0.0))  # dead at the first failure
    endpoint = await hooks.register()
    hooks.sender.answers = [FAIL]
    await hooks.consume(label_changed("d1", "a.png", revision=1), label_changed("d1", "a.png", revision=2))
    await hooks.drain()
    first, second = await hooks.all_deliveries()
    assert (first.status, first.last_status_code, first.last_error) == ("dead", 503, "answered 503: busy")
    assert second.status == "delivered"
    again = await redeliver(hooks.run, endpoint.id, first.id)
    assert (again.status, again.attempts) == ("pending", 1)
    await hooks.drain()
    assert [d.status for d in await hooks.all_deliveries()] == ["delivered", "delivered"]


async def test_a_name_that_now_resolves_to_a_private_address_is_refused_at_delivery() -> None:
    hooks = WebhookHarness()
    await hooks.register()
    hooks.resolver.names[RECEIVER] = ["127.0.0.1"]  # DNS rebinding after registration
    await hooks.consume(label_changed("d1", "a.png", revision=1))
    await hooks.attempt_due()
    [delivery] = await hooks.all_deliveries()
    assert delivery.status == "retrying"
    assert "refused by the SSRF guard" in (delivery.last_error or "")
    assert hooks.sender.sent == []


async def test_deleting_an_endpoint_stops_its_deliveries_and_a_ping_is_queued_for_one() -> None:
    hooks = WebhookHarness()
    kept, deleted = await hooks.register(), await hooks.register()
    hooks.sender.answers = [FAIL, FAIL]
    await hooks.consume(label_changed("d1", "a.png", revision=1))
    await hooks.attempt_due()
    await delete_endpoint(hooks.run, deleted.id)
    await ping(hooks.run, kept.id)
    await hooks.drain()
    deliveries = await hooks.all_deliveries()
    assert {d.endpoint_id for d in deliveries} == {kept.id}
    assert [d.event_type for d in deliveries] == ["LabelChanged", "Ping"]
    assert all(d.status == "delivered" for d in deliveries)


@pytest.fixture
async def api() -> AsyncIterator[tuple[WebhookHarness, httpx.AsyncClient]]:
    hooks = WebhookHarness()
    app = create_app(WebhookSettings(), fake_deps=WebhookDeps(run=hooks.run, resolver=hooks.resolver))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as client:
            yield hooks, client


async def test_the_api_shows_the_secret_once_and_names_bad_input(api: tuple[WebhookHarness, httpx.AsyncClient]) -> None:
    _, client = api
    created = await client.post("/api/webhooks", json={"url": f"https://{RECEIVER}/h", "event_types": ["LabelChanged"]})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    shown = (await client.get(f"/api/webhooks/{endpoint['id']}")).json()
    assert "secret" not in shown
    assert "secret" not in (await client.get("/api/webhooks")).json()["items"][0]
    refused = await client.post("/api/webhooks", json={"url": "http://10.0.0.1/", "event_types": ["*"]})
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("url: 10.0.0.1 is a private address")
    unknown = await client.post("/api/webhooks", json={"url": f"https://{RECEIVER}/", "event_types": ["Nope"]})
    assert (unknown.status_code, unknown.json()["message"][:35]) == (422, "event_types: unknown event types ['")
    assert (await client.get("/api/webhooks/settings")).json() == {"allow_private_targets": False}
    assert (await client.put("/api/webhooks/settings", json={"allow_private_targets": True})).status_code == 200
    assert (
        await client.post("/api/webhooks", json={"url": "http://10.0.0.1/", "event_types": ["*"]})
    ).status_code == 201
    assert (await client.get("/api/webhooks/0123456789abcdef")).status_code == 404
    patched = await client.patch(f"/api/webhooks/{endpoint['id']}", json={"active": False})
    assert patched.json()["active"] is False


async def test_the_api_lists_deliveries_redelivers_and_deletes(api: tuple[WebhookHarness, httpx.AsyncClient]) -> None:
    hooks, client = api
    endpoint = await hooks.register()
    hooks.sender.answers = [FAIL]
    hooks.worker.policy = RetryPolicy()  # the failed one waits its 5 to 10 s
    await hooks.consume(*(label_changed("d1", f"{n}.png", revision=1) for n in range(3)))
    await hooks.attempt_due()
    url = f"/api/webhooks/{endpoint.id}/deliveries"
    first = (await client.get(url, params={"limit": 2})).json()
    assert len(first["items"]) == 2
    rest = (await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert (len(rest["items"]), rest["next_cursor"]) == (1, None)
    retrying = (await client.get(url, params={"status": "retrying"})).json()["items"]
    assert [(d["attempts"], d["last_status_code"]) for d in retrying] == [(1, 503)]
    assert retrying[0]["next_attempt_at"] is not None
    again = await client.post(f"{url}/{retrying[0]['id']}/redeliver")
    assert (again.status_code, again.json()["status"]) == (202, "pending")
    assert (await client.post(f"{url}/0000000000000000ffffffff/redeliver")).status_code == 404
    assert (await client.post(f"/api/webhooks/{endpoint.id}/ping")).json()["event_type"] == "Ping"
    assert (await client.delete(f"/api/webhooks/{endpoint.id}")).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_the_api_lists_the_event_types_endpoints_may_name(api: tuple[WebhookHarness, httpx.AsyncClient]) -> None:
    _, client = api
    offered = (await client.get("/api/webhooks/event-types")).json()
    assert offered["every"] == "*" and "LabelChanged" in offered["event_types"]
    assert "SamplesProjected" not in offered["event_types"]  # the browsers' refresh signals are not offered
    for name in offered["event_types"]:
        created = await client.post("/api/webhooks", json={"url": f"https://{RECEIVER}/h", "event_types": [name]})
        assert created.status_code == 201, created.text
