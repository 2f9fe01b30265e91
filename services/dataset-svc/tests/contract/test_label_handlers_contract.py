"""LabelChanged through real transactions, in memory and on MongoDB: labels before and after their sample, stale
revisions, and (MongoDB only) labels and their sample arriving at the same time, from two consumers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from dataset_svc.adapters.mongo import MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.app.ports import DatasetTransaction, SampleCountRepository, SampleRepository
from dataset_svc.domain.samples import Sample, SampleCounts
from labelstream_shared.events import MediaProcessed
from labelstream_shared.mongo import Document, MongoTransactionRunner
from labelstream_shared.uow import TransactionRunner
from labelstream_testing.dataset import data_added, dataset, deliver, label_changed, sample_id
from labelstream_testing.dataset_fakes import InMemorySampleCountRepository, InMemorySampleRepository, in_memory_runner
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase


@dataclass
class Backend:
    run: TransactionRunner[DatasetTransaction]
    samples: SampleRepository
    counters: SampleCountRepository

    async def create_dataset(self) -> str:
        d = dataset("cats", labels=("cat", "dog"))

        async def work(tx: DatasetTransaction) -> None:
            await tx.datasets.add(d)
            await tx.sample_counts.add(d.id, SampleCounts())

        await self.run(work)
        return d.id

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
