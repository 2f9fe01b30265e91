"""The sample event handlers and the dataset lifecycle, run through real transactions: in memory and on MongoDB
(bulk writes of a 500-sample batch inside the consumer's transaction, counters, deletion in batches)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from dataset_svc.adapters.mongo import MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.app.handlers import SUBSCRIPTIONS
from dataset_svc.app.ports import DatasetTransaction, SampleCountRepository, SampleRepository
from dataset_svc.app.use_cases import CreateDataset, create_dataset, delete_dataset, purge_samples
from dataset_svc.domain.samples import SampleCounts, SampleQuery
from labelstream_shared.consumer import EventProcessor, IncomingMessage
from labelstream_shared.events import (
    DatasetCreated,
    DatasetDeleted,
    EventPayload,
    MediaProcessed,
    SamplesProjected,
    SourceDeleted,
)
from labelstream_shared.events.contracts import BucketPath, ObjectRef
from labelstream_shared.mongo import OUTBOX, Document, MongoTransactionRunner
from labelstream_shared.uow import TransactionRunner
from labelstream_testing.dataset import data_added, sample_id
from labelstream_testing.dataset_fakes import (
    InMemoryBucketDirectory,
    InMemorySampleCountRepository,
    InMemorySampleRepository,
    in_memory_runner,
)
from labelstream_testing.events import event_bytes
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

_offsets = itertools.count()


class NoDeadLetters:
    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        raise AssertionError(f"unexpected dead letter: {reason}")


@dataclass
class Backend:
    run: TransactionRunner[DatasetTransaction]
    samples: SampleRepository
    counters: SampleCountRepository
    emitted: Callable[[], Awaitable[list[str]]]  # event types written to the outbox, in order

    async def deliver(self, payload: EventPayload | bytes) -> str:
        processor = EventProcessor(
            group="dataset-svc", subscriptions=SUBSCRIPTIONS, run=self.run, dead_letters=NoDeadLetters()
        )
        raw = payload if isinstance(payload, bytes) else event_bytes(payload)
        return await processor.process(
            IncomingMessage(topic="labelstream.samples", partition=0, offset=next(_offsets), key=None, value=raw)
        )

    async def create_dataset(self, name: str) -> str:
        path = BucketPath(bucket="raw-data", prefix=f"{name}/")
        command = CreateDataset(name=name, labeling_type="image_segmentation", input_path=path, output_path=path)
        dataset = await create_dataset(command, run=self.run, buckets=InMemoryBucketDirectory({"raw-data"}))
        return dataset.id


@pytest.fixture
async def mongo_backend(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[Backend]:
    await ensure_indexes(mongo_db)
    run = MongoTransactionRunner(
        client=mongo_client,
        db=mongo_db,
        make=lambda db, session: MongoDatasetTransaction(source="/labelstream/dataset-svc", db=db, session=session),
    )

    async def emitted() -> list[str]:
        return [doc["type"] async for doc in mongo_db[OUTBOX].find({}).sort("_id", 1)]

    yield Backend(run, MongoSampleRepository(mongo_db), MongoSampleCountRepository(mongo_db), emitted)


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "mongo":
        mongo: Backend = request.getfixturevalue("mongo_backend")
        return mongo
    run = in_memory_runner()

    async def emitted() -> list[str]:
        return [event.envelope.type for event in run.state.outbox]

    return Backend(run, InMemorySampleRepository(run.state), InMemorySampleCountRepository(run.state), emitted)


async def test_a_batch_of_500_new_samples_lands_once_with_its_counts(backend: Backend) -> None:
    d = await backend.create_dataset("big")
    raw = event_bytes(data_added(d, [f"img/{i:04d}.jpg" for i in range(500)]))
    assert await backend.deliver(raw) == "applied"
    assert await backend.deliver(raw) == "duplicate"
    projected = SamplesProjected.event_type()
    assert (await backend.emitted()).count(projected) == 1  # one announcement for the batch, none for the duplicate
    overlapping = data_added(d, [f"img/{i:04d}.jpg" for i in range(250, 750)])
    assert await backend.deliver(overlapping) == "applied"
    assert await backend.counters.get(d) == SampleCounts(unlabeled=750)
    assert await backend.samples.count(d, query=SampleQuery(name="img/07")) == SampleCounts(unlabeled=50)
    page = await backend.samples.find(d, query=SampleQuery(), limit=3)
    assert [s.key for s in page] == ["img/0000.jpg", "img/0001.jpg", "img/0002.jpg"]


async def test_vanished_sources_are_flagged_and_come_back_when_added_again(backend: Backend) -> None:
    d = await backend.create_dataset("cats")
    await backend.deliver(data_added(d, ["a.jpg", "b.jpg"]))
    gone = (ObjectRef(bucket="raw-data", key="a.jpg"), ObjectRef(bucket="raw-data", key="b.jpg", sample_id="nope"))
    await backend.deliver(SourceDeleted(dataset_id=d, reason="vanished", objects=gone))
    [a, b] = sorted(await backend.samples.get_many([sample_id(d, "a.jpg"), sample_id(d, "b.jpg")]), key=lambda s: s.key)
    assert (a.source_missing, b.source_missing) == (True, False)
    await backend.deliver(data_added(d, ["a.jpg"]))
    restored = await backend.samples.get(d, a.id)
    assert restored is not None and not restored.source_missing and restored.added_at == a.added_at
    assert await backend.counters.get(d) == SampleCounts(unlabeled=2)


async def test_a_media_result_read_before_its_sample_waits_for_it(backend: Backend) -> None:
    d = await backend.create_dataset("cats")
    thumb = "thumbs/a.jpg"
    early = MediaProcessed(dataset_id=d, sample_id=sample_id(d, "a.jpg"), status="ready", thumbnail_key=thumb)
    failed = MediaProcessed(dataset_id=d, sample_id=sample_id(d, "b.jpg"), status="failed", failure_reason="empty")
    await backend.deliver(early)
    await backend.deliver(failed)
    await backend.deliver(data_added(d, ["a.jpg"]))
    a = await backend.samples.get(d, sample_id(d, "a.jpg"))
    assert a is not None and (a.media_status, a.thumbnail_key) == ("ready", thumb)
    await backend.deliver(data_added(d, ["a.jpg", "b.jpg"]))
    b = await backend.samples.get(d, sample_id(d, "b.jpg"))
    assert b is not None and (b.media_status, b.media_failure_reason) == ("failed", "empty")


async def test_a_deleted_dataset_loses_its_samples_in_batches_and_ignores_late_events(backend: Backend) -> None:
    d = await backend.create_dataset("doomed")
    kept = await backend.create_dataset("kept")
    await backend.deliver(data_added(d, [f"{i}.jpg" for i in range(250)]))
    await backend.deliver(data_added(kept, ["0.jpg"]))
    await delete_dataset(d, run=backend.run)
    assert await backend.counters.get(d) == SampleCounts()
    assert await backend.deliver(data_added(d, ["late.jpg"])) == "applied"  # ignored: no error, no dead letter
    assert await purge_samples(d, run=backend.run, batch=100) == 250
    assert await backend.samples.find(d, query=SampleQuery(), limit=10) == []
    assert await backend.counters.get(kept) == SampleCounts(unlabeled=1)
    assert len(await backend.samples.find(kept, query=SampleQuery(), limit=10)) == 1


async def test_dataset_events_go_to_the_outbox_with_the_state(backend: Backend) -> None:
    d = await backend.create_dataset("cats")
    await delete_dataset(d, run=backend.run)
    assert await backend.emitted() == [DatasetCreated.event_type(), DatasetDeleted.event_type()]
