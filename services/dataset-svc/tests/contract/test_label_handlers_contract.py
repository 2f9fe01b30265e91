"""LabelChanged through real transactions, in memory and on MongoDB: labels before and after their sample, stale
revisions, (MongoDB only) labels and their sample arriving at the same time, from two consumers, and a backlog of
media and label events applied as one batch, which must leave exactly what applying it event by event leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from dataset_svc.adapters.mongo import MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.app.ports import DatasetTransaction, SampleCountRepository, SampleRepository
from dataset_svc.domain.samples import Sample, SampleCounts, SampleQuery
from labelstream_shared.events import EventPayload, MediaProcessed
from labelstream_shared.mongo import Document, MongoTransactionRunner
from labelstream_shared.uow import TransactionRunner
from labelstream_testing.dataset import data_added, dataset, deliver, deliver_batch, label_changed, sample_id
from labelstream_testing.dataset_fakes import InMemorySampleCountRepository, InMemorySampleRepository, in_memory_runner
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase


@dataclass
class Backend:
    run: TransactionRunner[DatasetTransaction]
    samples: SampleRepository
    counters: SampleCountRepository

    async def create_dataset(self, name: str = "cats") -> str:
        d = dataset(name, labels=("cat", "dog"))

        async def work(tx: DatasetTransaction) -> None:
            await tx.datasets.add(d)
            await tx.sample_counts.add(d.id, SampleCounts())

        await self.run(work)
        return d.id

    async def state(self, dataset_id: str) -> tuple[dict[str, Any], SampleCounts]:
        """What the listing shows: every sample by key (without its times and ids), and the tab counters."""
        found = await self.samples.find(dataset_id, query=SampleQuery(), limit=100)
        rows = {s.key: s.model_dump(exclude={"id", "dataset_id", "added_at", "updated_at"}) for s in found}
        return rows, await self.counters.get(dataset_id)

    async def one(self, dataset_id: str, key: str) -> Sample:
        found = await self.samples.get(dataset_id, sample_id(dataset_id, key))
        assert found is not None
        return found


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
    yield Backend(run, MongoSampleRepository(mongo_db), MongoSampleCountRepository(mongo_db))


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "mongo":
        mongo: Backend = request.getfixturevalue("mongo_backend")
        return mongo
    run = in_memory_runner()
    return Backend(run, InMemorySampleRepository(run.state), InMemorySampleCountRepository(run.state))


async def test_labels_set_status_and_counts_before_or_after_their_sample(backend: Backend) -> None:
    d = await backend.create_dataset()
    await deliver(backend.run, label_changed(d, "early.jpg", revision=1, labels=["cat"]))
    await deliver(backend.run, data_added(d, ["early.jpg", "late.jpg", "x.jpg"]))
    await deliver(backend.run, label_changed(d, "late.jpg", revision=1, labels=["dog", "dog"], labeled_by="bob"))
    await deliver(backend.run, label_changed(d, "late.jpg", revision=1, labels=[]))  # stale: same revision
    early, late = await backend.one(d, "early.jpg"), await backend.one(d, "late.jpg")
    assert (early.status, early.label_counts, early.labeled_by) == ("labeled", {"cat": 1}, "ann")
    assert (late.status, late.label_counts, late.labeled_by, late.label_revision) == ("labeled", {"dog": 2}, "bob", 1)
    assert await backend.counters.get(d) == SampleCounts(unlabeled=1, labeled=2)
    await deliver(backend.run, label_changed(d, "early.jpg", revision=2, labels=[]))
    assert (await backend.one(d, "early.jpg")).status == "unlabeled"
    assert await backend.counters.get(d) == SampleCounts(unlabeled=2, labeled=1)


@pytest.mark.integration
async def test_labels_and_media_read_while_their_sample_is_added_are_not_lost(mongo_backend: Backend) -> None:
    """The consumer of the labels topic and the one of the samples topic run at the same time (two replicas):
    held labels and media must meet their sample whichever transaction commits first."""
    backend = mongo_backend
    d = await backend.create_dataset()
    keys = [f"race/{i:02d}.jpg" for i in range(12)]
    for key in keys:
        media = MediaProcessed(dataset_id=d, sample_id=sample_id(d, key), status="ready", thumbnail_key=f"t/{key}")
        await asyncio.gather(
            deliver(backend.run, label_changed(d, key, revision=1, labels=["cat"])),
            deliver(backend.run, data_added(d, [key])),
            deliver(backend.run, media),
        )
    for key in keys:
        sample = await backend.one(d, key)
        assert (sample.status, sample.label_counts, sample.media_status) == ("labeled", {"cat": 1}, "ready"), key
    assert await backend.counters.get(d) == SampleCounts(labeled=len(keys))


KEYS = ["a.jpg", "b.jpg", "c.jpg", "late.jpg"]


def media(dataset_id: str, key: str, thumbnail: str, *, status: str = "ready") -> MediaProcessed:
    return MediaProcessed.model_validate(
        {
            "dataset_id": dataset_id,
            "sample_id": sample_id(dataset_id, key),
            "status": status,
            "thumbnail_key": thumbnail if status == "ready" else None,
            "failure_reason": "broken" if status == "failed" else None,
        }
    )


def backlog(d: str) -> list[EventPayload]:
    """Media results and label changes of dataset `d` as a busy partition delivers them, types interleaved."""
    return [
        media(d, "a.jpg", "t/a1"),
        media(d, "a.jpg", "t/a2"),  # the later result wins
        media(d, "late.jpg", "t/late"),  # before its sample: held
        label_changed(d, "a.jpg", revision=1, labels=["cat"]),
        label_changed(d, "a.jpg", revision=3, labels=["cat", "dog"], labeled_by="bob"),
        label_changed(d, "a.jpg", revision=2, labels=[]),  # stale: ignored
        label_changed(d, "b.jpg", revision=1, labels=["dog"]),
        label_changed(d, "b.jpg", revision=2, labels=[]),  # the last label removed: unlabeled again
        label_changed(d, "c.jpg", revision=1, labels=["cat", "cat"]),
        label_changed(d, "late.jpg", revision=1, labels=["dog"]),  # before its sample: kept for it
        media(d, "b.jpg", "", status="failed"),
        media("no-such-dataset", "a.jpg", "t/x"),
        label_changed("no-such-dataset", "a.jpg", revision=1, labels=["cat"]),
        media(d, "c.jpg", "t/c"),
    ]


async def test_a_backlog_applied_as_one_batch_leaves_what_applying_it_event_by_event_leaves(backend: Backend) -> None:
    one_by_one, batched = await backend.create_dataset("singly"), await backend.create_dataset("batched")
    for d in (one_by_one, batched):
        await deliver(backend.run, data_added(d, KEYS[:3]))
    for event in backlog(one_by_one):
        await deliver(backend.run, event)
    outcomes = await deliver_batch(backend.run, backlog(batched))
    assert outcomes == ["applied"] * len(outcomes)
    assert await deliver_batch(backend.run, backlog(batched)[:0]) == []
    for d in (one_by_one, batched):  # the late sample arrives: what was held for it is applied
        await deliver(backend.run, data_added(d, KEYS[3:]))
    expected, counts = await backend.state(one_by_one)
    assert await backend.state(batched) == (expected, counts)
    assert (counts.labeled, counts.unlabeled) == (3, 1)
    assert expected["a.jpg"]["label_counts"] == {"cat": 1, "dog": 1} and expected["a.jpg"]["labeled_by"] == "bob"
    assert expected["a.jpg"]["thumbnail_key"] == "t/a2"
    assert expected["late.jpg"]["thumbnail_key"] == "t/late" and expected["late.jpg"]["status"] == "labeled"
    assert expected["b.jpg"]["status"] == "unlabeled" and expected["b.jpg"]["media_status"] == "failed"
