from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from labelstream_gateway import live
from labelstream_gateway.live import EventHub, event_stream, summary


def event(kind: str, **data: object) -> bytes:
    return json.dumps({"type": f"io.labelstream.{kind}.v1", "correlationid": "c1", "data": data}).encode()


def test_a_summary_keeps_the_type_the_dataset_and_ids_not_the_shapes() -> None:
    raw = event("LabelChanged", dataset_id="d1", sample_id="s1", revision=3, labeled_by="ann", shapes=[{"x": 1}] * 1000)
    assert summary(raw) == {
        "type": "LabelChanged",
        "correlation_id": "c1",
        "dataset_id": "d1",
        "sample_id": "s1",
        "revision": 3,
        "labeled_by": "ann",
    }
    added = summary(event("DataAdded", dataset_id="d1", samples=[{}, {}]))
    assert added is not None and added["count"] == 2
    assert summary(b"not json") is None


async def test_subscribers_get_their_dataset_only_and_a_full_queue_drops() -> None:
    hub = EventHub()
    with hub.subscribe("d1") as mine, hub.subscribe(None) as everything:
        hub.publish({"type": "DataAdded", "dataset_id": "d1"})
        hub.publish({"type": "DataAdded", "dataset_id": "d2"})
        assert mine.qsize() == 1 and everything.qsize() == 2
        for _ in range(2000):
            hub.publish({"type": "DataAdded", "dataset_id": "d1"})  # never blocks
        assert mine.full()
    hub.publish({"type": "DataAdded", "dataset_id": "d1"})  # no subscriber left: nothing to do


def test_an_announcement_names_its_service_and_samples_or_only_counts_a_big_one() -> None:
    few = [{"sample_id": "s1", "revision": 2}, {"sample_id": "s2", "revision": None}]
    assert summary(event("SamplesProjected", service="dataset-svc", dataset_id="d1", samples=few)) == {
        "type": "SamplesProjected",
        "correlation_id": "c1",
        "dataset_id": "d1",
        "service": "dataset-svc",
        "count": 2,
        "samples": few,
    }
    many = [{"sample_id": f"s{i}", "revision": None} for i in range(101)]
    big = summary(event("SamplesProjected", service="labeling-svc", dataset_id="d1", samples=many))
    assert big is not None and big["truncated"] is True and big["count"] == 101 and "samples" not in big


async def test_the_stream_sends_events_and_heartbeats_and_ends_when_the_server_drains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT_S", 0.05)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    draining = asyncio.Event()

    async def connected() -> bool:
        return False

    stream = event_stream(queue, draining, connected)
    assert await anext(stream) == b": connected\n\n"
    queue.put_nowait({"type": "LabelChanged", "dataset_id": "d1"})
    assert await anext(stream) == b'event: LabelChanged\ndata: {"type":"LabelChanged","dataset_id":"d1"}\n\n'
    assert await anext(stream) == b": heartbeat\n\n"
    draining.set()
    assert [chunk async for chunk in stream] == []


async def test_the_stream_ends_when_the_browser_leaves() -> None:
    async def gone() -> bool:
        return True

    assert [chunk async for chunk in event_stream(asyncio.Queue(), asyncio.Event(), gone)] == [b": connected\n\n"]
