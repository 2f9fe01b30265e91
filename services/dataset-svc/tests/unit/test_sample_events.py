"""Samples learnt from events, through the idempotent EventProcessor, on the in-memory fakes."""

from __future__ import annotations

import itertools

import pytest
from dataset_svc.app.handlers import SUBSCRIPTIONS
from dataset_svc.domain.samples import Sample, SampleCounts
from labelstream_shared.consumer import EventProcessor, IncomingMessage
from labelstream_shared.events import DataAdded, EventPayload, MediaProcessed, SourceChanged, SourceDeleted
from labelstream_shared.events.contracts import MediaMetadata, ObjectRef
from labelstream_testing.dataset import added_sample, data_added, dataset, sample_id
from labelstream_testing.dataset_fakes import (
    InMemoryDatasetTransaction,
    InMemorySampleCountRepository,
    InMemorySampleRepository,
    in_memory_runner,
)
from labelstream_testing.events import event_bytes
from labelstream_testing.uow import InMemoryTransactionRunner

_offsets = itertools.count()


class NoDeadLetters:
    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        raise AssertionError(f"unexpected dead letter: {reason}")


class World:
    """A dataset-svc consumer over the fakes, with one dataset `d`."""

    def __init__(self) -> None:
        self.run: InMemoryTransactionRunner[InMemoryDatasetTransaction] = in_memory_runner()
        self.processor = EventProcessor(
            group="dataset-svc", subscriptions=SUBSCRIPTIONS, run=self.run, dead_letters=NoDeadLetters()
        )
        self.samples = InMemorySampleRepository(self.run.state)
        self.counters = InMemorySampleCountRepository(self.run.state)

    async def add_dataset(self, name: str = "cats") -> str:
        d = dataset(name)

        async def work(tx: InMemoryDatasetTransaction) -> None:
            await tx.datasets.add(d)

        await self.run(work)
        return d.id

    async def deliver(self, payload: EventPayload | bytes) -> str:
        raw = payload if isinstance(payload, bytes) else event_bytes(payload)
        message = IncomingMessage(topic="labelstream.samples", partition=0, offset=next(_offsets), key=None, value=raw)
        return await self.processor.process(message)

    async def one(self, dataset_id: str, key: str) -> Sample:
        found = await self.samples.get(dataset_id, sample_id(dataset_id, key))
        assert found is not None
        return found


@pytest.fixture
async def world() -> World:
    return World()


async def test_data_added_inserts_samples_once_however_often_it_arrives(world: World) -> None:
    d = await world.add_dataset()
    raw = event_bytes(data_added(d, ["a/cat.jpg", "b/clip.mp4", "a/cat.jpg"]))
    assert [await world.deliver(raw) for _ in range(2)] == ["applied", "duplicate"]
    cat, clip = await world.one(d, "a/cat.jpg"), await world.one(d, "b/clip.mp4")
    assert (cat.file_name, cat.media_kind, cat.status, cat.media_status) == ("cat.jpg", "image", "unlabeled", "pending")
    assert (clip.file_name, clip.media_kind, clip.source_missing) == ("clip.mp4", "video", False)
    assert cat.added_at == cat.updated_at and cat.added_at.microsecond % 1000 == 0
    assert await world.counters.get(d) == SampleCounts(unlabeled=2)


async def test_a_known_sample_is_left_as_is_except_that_its_source_is_back(world: World) -> None:
    d = await world.add_dataset()
    await world.deliver(data_added(d, ["a.jpg"]))
    ref = ObjectRef(bucket="raw-data", key="a.jpg", sample_id=sample_id(d, "a.jpg"))
    await world.deliver(SourceDeleted(dataset_id=d, reason="vanished", objects=(ref,)))
    flagged = await world.one(d, "a.jpg")
    assert flagged.source_missing

    await world.deliver(data_added(d, ["b.jpg"]))
    await world.deliver(DataAdded(dataset_id=d, origin="notification", samples=(added_sample(d, "a.jpg", size=5),)))
    restored = await world.one(d, "a.jpg")
    assert not restored.source_missing and restored.size == flagged.size and restored.added_at == flagged.added_at
    assert await world.counters.get(d) == SampleCounts(unlabeled=2)


async def test_source_changed_updates_size_and_etag_and_reprocesses_media(world: World) -> None:
    d = await world.add_dataset()
    await world.deliver(data_added(d, ["a.jpg", "b.jpg"]))
    ready = MediaMetadata(kind="image", width=640, height=480)
    await world.deliver(MediaProcessed(dataset_id=d, sample_id=sample_id(d, "a.jpg"), status="ready", metadata=ready))
    changed = (added_sample(d, "a.jpg", size=7, etag="etag-2"), added_sample(d, "unknown.jpg"))
    assert await world.deliver(SourceChanged(dataset_id=d, samples=changed)) == "applied"
    a = await world.one(d, "a.jpg")
    assert (a.size, a.etag, a.media_status) == (7, "etag-2", "pending")
    assert (await world.one(d, "b.jpg")).etag == "etag-1"
    assert await world.samples.get(d, sample_id(d, "unknown.jpg")) is None


async def test_source_deleted_flags_samples_by_id_or_by_bucket_and_key(world: World) -> None:
    d = await world.add_dataset()
    other = await world.add_dataset("dogs")
    await world.deliver(data_added(d, ["a.jpg", "b.jpg", "c.jpg"]))
    await world.deliver(data_added(other, ["b.jpg"]))
    objects = (
        ObjectRef(bucket="raw-data", key="a.jpg", sample_id=sample_id(d, "a.jpg")),
        ObjectRef(bucket="raw-data", key="b.jpg"),
        ObjectRef(bucket="elsewhere", key="c.jpg"),
    )
    await world.deliver(SourceDeleted(dataset_id=d, reason="deleted_on_request", objects=objects))
    missing = {k: (await world.one(d, k)).source_missing for k in ("a.jpg", "b.jpg", "c.jpg")}
    assert missing == {"a.jpg": True, "b.jpg": True, "c.jpg": False}
    assert not (await world.one(other, "b.jpg")).source_missing


async def test_media_processed_records_metadata_thumbnail_or_failure(world: World) -> None:
    d = await world.add_dataset()
    await world.deliver(data_added(d, ["a.mp4", "b.jpg"]))
    video = MediaMetadata(kind="video", width=1920, height=1080, duration_s=12.5, fps=25.0, frame_count=312)
    ok = MediaProcessed(
        dataset_id=d, sample_id=sample_id(d, "a.mp4"), status="ready", metadata=video, thumbnail_key="t/a.jpg"
    )
    broken = MediaProcessed(dataset_id=d, sample_id=sample_id(d, "b.jpg"), status="failed", failure_reason="truncated")
    await world.deliver(ok)
    await world.deliver(broken)
    a, b = await world.one(d, "a.mp4"), await world.one(d, "b.jpg")
    assert (a.media, a.media_status, a.thumbnail_key, a.media_failure_reason) == (video, "ready", "t/a.jpg", None)
    assert (b.media, b.media_status, b.media_failure_reason) == (None, "failed", "truncated")


async def test_media_processed_before_its_sample_is_applied_when_the_sample_arrives(world: World) -> None:
    d = await world.add_dataset()
    meta = MediaMetadata(kind="image", width=8, height=6)
    early = MediaProcessed(dataset_id=d, sample_id=sample_id(d, "a.jpg"), status="ready", metadata=meta)
    assert await world.deliver(early) == "applied"
    await world.deliver(data_added(d, ["a.jpg", "b.jpg"]))
    a, b = await world.one(d, "a.jpg"), await world.one(d, "b.jpg")
    assert (a.media_status, a.media, b.media_status) == ("ready", meta, "pending")
    assert world.run.state.collection("early_media") == {}


async def test_events_of_unknown_or_deleted_datasets_are_ignored_without_dead_letters(world: World) -> None:
    d = await world.add_dataset()
    gone = "deleted-meanwhile"
    events: list[EventPayload] = [
        data_added(gone, ["a.jpg"]),
        SourceChanged(dataset_id=gone, samples=(added_sample(gone, "a.jpg"),)),
        SourceDeleted(dataset_id=gone, reason="vanished", objects=(ObjectRef(bucket="raw-data", key="a.jpg"),)),
        MediaProcessed(dataset_id=gone, sample_id=sample_id(gone, "a.jpg"), status="ready"),
        MediaProcessed(dataset_id=d, sample_id="no-such-sample", status="ready"),
    ]
    assert [await world.deliver(e) for e in events] == ["applied"] * len(events)
    assert world.run.state.collection("samples") == {}
    assert await world.counters.get(gone) == SampleCounts()


async def test_a_sample_of_another_dataset_is_not_touched(world: World) -> None:
    d = await world.add_dataset()
    other = await world.add_dataset("dogs")
    await world.deliver(data_added(other, ["a.jpg"]))
    foreign = added_sample(other, "a.jpg", etag="etag-9")  # the other dataset's sample id
    await world.deliver(SourceChanged(dataset_id=d, samples=(foreign,)))
    await world.deliver(MediaProcessed(dataset_id=d, sample_id=foreign.sample_id, status="failed"))
    untouched = await world.one(other, "a.jpg")
    assert (untouched.etag, untouched.media_status) == ("etag-1", "pending")
