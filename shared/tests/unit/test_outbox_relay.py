from __future__ import annotations

import asyncio

import pytest
from labelstream_shared.outbox import OutboxRelay

from .fakes import FakeLease, FakeOutboxStore, FakePublisher, outbox_messages


def relay(store: FakeOutboxStore, publisher: FakePublisher, lease: FakeLease | None = None) -> OutboxRelay:
    return OutboxRelay(
        service="test", store=store, publisher=publisher, lease=lease or FakeLease(), batch_size=3, poll_interval_s=0.01
    )


async def test_publishes_pending_records_in_order_and_marks_them_sent() -> None:
    store, publisher = FakeOutboxStore(outbox_messages(5)), FakePublisher()
    r = relay(store, publisher)
    assert await r.relay_once() == 3
    assert await r.relay_once() == 2
    assert await r.relay_once() == 0
    assert [m.record_id for m in publisher.published] == [0, 1, 2, 3, 4]
    assert store.sent == {0, 1, 2, 3, 4}


async def test_a_failed_publish_keeps_the_records_for_the_next_attempt() -> None:
    store, publisher = FakeOutboxStore(outbox_messages(2)), FakePublisher(fail_times=1)
    r = relay(store, publisher)
    with pytest.raises(ConnectionError):
        await r.relay_once()
    assert store.sent == set()
    assert await r.relay_once() == 2
    assert [m.record_id for m in publisher.published] == [0, 1]


async def test_only_the_lease_holder_publishes() -> None:
    store, publisher = FakeOutboxStore(outbox_messages(2)), FakePublisher()
    assert await relay(store, publisher, FakeLease(held=False)).relay_once() == 0
    assert publisher.published == []


async def test_run_retries_until_the_broker_is_back_and_stops_on_request() -> None:
    store, publisher = FakeOutboxStore(outbox_messages(4)), FakePublisher(fail_times=2)
    stop = asyncio.Event()
    task = asyncio.create_task(relay(store, publisher).run(stop))
    for _ in range(200):
        if len(store.sent) == 4:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert [m.record_id for m in publisher.published] == [0, 1, 2, 3]
