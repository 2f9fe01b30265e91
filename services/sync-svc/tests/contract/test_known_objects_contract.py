"""The known objects of a deleted dataset are forgotten on the real MongoDB the way the fakes do it: the datasets
that have objects, which of them sync-svc still knows, and a bounded batch of one dataset's objects per call."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from labelstream_shared.events.contracts import BucketPath
from labelstream_shared.mongo import Document
from labelstream_testing.sync_fakes import InMemoryKnownObjects, InMemorySyncDatasets
from labelstream_testing.uow import InMemoryState
from pymongo.asynchronous.database import AsyncDatabase
from sync_svc.adapters.mongo import MongoKnownObjects, MongoSyncDatasets, ensure_indexes
from sync_svc.app.ports import KnownObjects, SyncDatasets
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.objects import KnownObject


def known(dataset_id: str, n: int) -> KnownObject:
    return KnownObject(
        id=f"{dataset_id}-{n}", dataset_id=dataset_id, bucket="b", key=f"{n}.png", size=1, etag="e", media_kind="image"
    )


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def objects(request: pytest.FixtureRequest) -> KnownObjects:
    if request.param == "memory":
        return InMemoryKnownObjects(InMemoryState())
    return MongoKnownObjects(request.getfixturevalue("indexed_db"))


async def test_objects_of_a_dataset_are_removed_a_batch_at_a_time(objects: KnownObjects) -> None:
    await objects.add_many([known("d1", n) for n in range(5)] + [known("d2", 0)])
    assert sorted(await objects.dataset_ids()) == ["d1", "d2"]
    assert await objects.remove_some("d1", limit=3) == 3
    assert await objects.remove_some("d1", limit=3) == 2
    assert await objects.remove_some("d1", limit=3) == 0
    assert await objects.dataset_ids() == ["d2"]
    assert set(await objects.get_many(["d2-0", "d1-0"])) == {"d2-0"}


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def datasets(request: pytest.FixtureRequest) -> SyncDatasets:
    if request.param == "memory":
        return InMemorySyncDatasets(InMemoryState())
    return MongoSyncDatasets(request.getfixturevalue("indexed_db"))


async def test_the_purge_learns_which_datasets_are_known_in_one_call(datasets: SyncDatasets) -> None:
    for dataset_id in ("d1", "d3"):
        path = BucketPath(bucket="raw-data", prefix=f"{dataset_id}/")
        await datasets.save(SyncDataset(id=dataset_id, labeling_type="object_detection", input_path=path))
    assert await datasets.existing_ids(["d1", "d2", "d3", "d1"]) == {"d1", "d3"}
    assert await datasets.existing_ids([]) == set()
