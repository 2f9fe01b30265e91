"""webhook-svc's repositories behave alike on the fakes and on MongoDB: endpoints by subscription, the delivery queue
(claims of the oldest open delivery per endpoint and key, stale claims retaken, the next one made due when one
closes), the delivery log's pages, and the options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from labelstream_shared.clock import utc_now
from labelstream_shared.mongo import Document
from labelstream_testing.uow import InMemoryState
from labelstream_testing.webhook_fakes import InMemoryDeliveries, InMemoryEndpoints, InMemoryOptions
from pymongo.asynchronous.database import AsyncDatabase
from webhook_svc.adapters.mongo import MongoDeliveries, MongoEndpoints, MongoOptions, ensure_indexes
from webhook_svc.app.ports import Deliveries, Endpoints, OptionsStore, WebhookOptions
from webhook_svc.domain.deliveries import AttemptResult, Delivery, RetryPolicy, delivery_id
from webhook_svc.domain.endpoints import WebhookEndpoint


@dataclass
class Repositories:
    endpoints: Endpoints
    deliveries: Deliveries
    options: OptionsStore


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def repos(request: pytest.FixtureRequest) -> Repositories:
    if request.param == "memory":
        state = InMemoryState()
        return Repositories(InMemoryEndpoints(state), InMemoryDeliveries(state), InMemoryOptions(state))
    db = request.getfixturevalue("indexed_db")
    return Repositories(MongoEndpoints(db), MongoDeliveries(db), MongoOptions(db))


def endpoint(endpoint_id: str, events: list[str], *, active: bool = True) -> WebhookEndpoint:
    now = utc_now()
    return WebhookEndpoint(
        id=endpoint_id, url="https://h.example/", event_types=events, secret="s" * 20, active=active,
        created_at=now, updated_at=now,
    )  # fmt: skip


async def deliveries_of(repos: Repositories, *keys: str, endpoint_id: str = "e1") -> list[Delivery]:
    first = await repos.deliveries.next_sequence(len(keys))
    now = utc_now()
    made = [
        Delivery(
            id=delivery_id(first + n, "ab"),
            endpoint_id=endpoint_id,
            event_id=f"ev{first + n}",
            event_type="LabelChanged",
            key=key,
            body="{}",
            created_at=now,
            retry_since=now,
            next_attempt_at=now,
        )
        for n, key in enumerate(keys)
    ]
    await repos.deliveries.add_many(made)
    return made


async def test_endpoints_are_found_by_the_events_they_want(repos: Repositories) -> None:
    await repos.endpoints.add(endpoint("e1", ["LabelChanged"]))
    await repos.endpoints.add(endpoint("e2", ["*"]))
    await repos.endpoints.add(endpoint("e3", ["LabelChanged"], active=False))
    await repos.endpoints.add(endpoint("e4", ["DataAdded"]))
    assert [e.id for e in await repos.endpoints.subscribed_to("LabelChanged")] == ["e1", "e2"]
    assert [e.id for e in await repos.endpoints.newest(limit=2, before=None)] == ["e4", "e3"]
    assert [e.id for e in await repos.endpoints.newest(limit=5, before="e3")] == ["e2", "e1"]
    await repos.endpoints.delete("e2")
    assert await repos.endpoints.get("e2") is None
    assert [e.id for e in await repos.endpoints.subscribed_to("DataAdded")] == ["e4"]


async def test_sequences_are_reserved_in_order(repos: Repositories) -> None:
    assert await repos.deliveries.next_sequence(3) == 1
    assert await repos.deliveries.next_sequence(1) == 4


async def test_only_the_oldest_open_delivery_of_a_key_is_claimed(repos: Repositories) -> None:
    a1, b1, a2 = await deliveries_of(repos, "a", "b", "a")
    claim = {"stale_after_s": 60, "busy": (), "wait_s": 0.0}
    first = await repos.deliveries.claim_next(owner="w1", **claim)  # type: ignore[arg-type]
    second = await repos.deliveries.claim_next(owner="w2", **claim)  # type: ignore[arg-type]
    assert (first and first.id, second and second.id) == (a1.id, b1.id)
    assert await repos.deliveries.claim_next(owner="w3", **claim) is None  # type: ignore[arg-type]  # a2 waits
    assert first is not None
    assert not await repos.deliveries.record(first, owner="w3")  # not its claim
    delivered = first.after_attempt(AttemptResult(200), at=utc_now(), policy=RetryPolicy())
    assert await repos.deliveries.record(delivered, owner="w1")
    third = await repos.deliveries.claim_next(owner="w3", **claim)  # type: ignore[arg-type]
    assert third is not None
    assert third.id == a2.id


async def test_a_retrying_delivery_puts_off_the_later_ones_of_its_key(repos: Repositories) -> None:
    a1, a2 = await deliveries_of(repos, "a", "a")
    claimed = await repos.deliveries.claim_next(owner="w", stale_after_s=60, busy=(), wait_s=0.0)
    assert claimed is not None
    failed = claimed.after_attempt(AttemptResult(500), at=utc_now(), policy=RetryPolicy(base_s=30))
    await repos.deliveries.record(failed, owner="w")
    assert await repos.deliveries.claim_next(owner="w", stale_after_s=60, busy=(), wait_s=0.0) is None
    later = await repos.deliveries.get(a2.id)
    assert later is not None
    assert later.next_attempt_at == failed.next_attempt_at  # put off until the older one's next attempt
    retried = await repos.deliveries.claim_next(owner="w", stale_after_s=60, busy=(), wait_s=0.0)
    assert retried is None  # not due yet
    await repos.deliveries.requeue(failed.model_copy(update={"next_attempt_at": utc_now()}))
    again = await repos.deliveries.claim_next(owner="w", stale_after_s=60, busy=(), wait_s=0.0)
    assert again is not None
    assert again.id == a1.id
    dead = again.after_attempt(AttemptResult(500), at=utc_now(), policy=RetryPolicy(base_s=30, budget_s=0))
    assert dead.status == "dead"
    await repos.deliveries.record(dead, owner="w")
    following = await repos.deliveries.claim_next(owner="w", stale_after_s=60, busy=(), wait_s=0.0)
    assert following is not None  # made due at once when the older one died
    assert following.id == a2.id


async def test_a_stale_claim_is_taken_again_and_busy_endpoints_are_skipped(repos: Repositories) -> None:
    [only] = await deliveries_of(repos, "a")
    assert await repos.deliveries.claim_next(owner="w1", stale_after_s=60, busy=(), wait_s=0) is not None
    assert await repos.deliveries.claim_next(owner="w2", stale_after_s=60, busy=(), wait_s=0) is None
    retaken = await repos.deliveries.claim_next(owner="w2", stale_after_s=-1, busy=(), wait_s=0)
    assert retaken is not None
    assert retaken.id == only.id
    await repos.deliveries.release(only.id, owner="w2", until=utc_now() - timedelta(seconds=1))
    assert await repos.deliveries.claim_next(owner="w3", stale_after_s=60, busy=("e1",), wait_s=0) is None
    assert await repos.deliveries.claim_next(owner="w3", stale_after_s=60, busy=("e2",), wait_s=0) is not None


async def test_the_log_pages_newest_first_filters_by_status_and_goes_with_its_endpoint(repos: Repositories) -> None:
    made = await deliveries_of(repos, "a", "b", "c")
    await deliveries_of(repos, "a", endpoint_id="e2")
    page = await repos.deliveries.list_for("e1", status=None, limit=2, before=None)
    assert [d.id for d in page] == [made[2].id, made[1].id]
    rest = await repos.deliveries.list_for("e1", status=None, limit=2, before=page[-1].id)
    assert [d.id for d in rest] == [made[0].id]
    assert await repos.deliveries.list_for("e1", status="dead", limit=5, before=None) == []
    await repos.deliveries.delete_for("e1")
    assert await repos.deliveries.list_for("e1", status=None, limit=5, before=None) == []
    assert len(await repos.deliveries.list_for("e2", status="pending", limit=5, before=None)) == 1


async def test_options_default_to_no_private_targets(repos: Repositories) -> None:
    assert await repos.options.get() == WebhookOptions(allow_private_targets=False)
    await repos.options.save(WebhookOptions(allow_private_targets=True))
    assert (await repos.options.get()).allow_private_targets
