"""One contract, two implementations: the in-memory fake must behave like the MongoDB repository."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dataset_svc.adapters.mongo import MongoDatasetRepository, ensure_indexes
from dataset_svc.app.ports import DatasetRepository
from dataset_svc.domain.datasets import Dataset
from labelstream_shared.errors import ConflictError
from labelstream_shared.events.contracts import BucketPath
from labelstream_shared.mongo import Document
from labelstream_testing.dataset_fakes import InMemoryDatasetRepository
from labelstream_testing.uow import InMemoryState
from pymongo.asynchronous.database import AsyncDatabase


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def repository(request: pytest.FixtureRequest) -> DatasetRepository:
    if request.param == "memory":
        return InMemoryDatasetRepository(InMemoryState())
    return MongoDatasetRepository(request.getfixturevalue("indexed_db"))


def dataset(name: str) -> Dataset:
    path = BucketPath(bucket="raw-data", prefix="x/")
    return Dataset.create(
        name=name, description="", labeling_type="object_detection", input_path=path, output_path=path, labels=()
    )


async def test_add_then_get_by_id_and_name(repository: DatasetRepository) -> None:
    d = dataset("Birds")
    await repository.add(d)
    assert await repository.get(d.id) == d
    assert await repository.get_by_name("  birds ") == d
    assert await repository.get("missing") is None


async def test_duplicate_names_conflict(repository: DatasetRepository) -> None:
    await repository.add(dataset("Birds"))
    with pytest.raises(ConflictError):
        await repository.add(dataset("BIRDS"))


async def test_list_pages_by_id(repository: DatasetRepository) -> None:
    items = [dataset(f"set-{i}") for i in range(5)]
    for d in items:
        await repository.add(d)
    ids = sorted(d.id for d in items)
    first = await repository.list(limit=3)
    rest = await repository.list(limit=3, after=first[-1].id)
    assert [d.id for d in first + rest] == ids


async def test_replace_keeps_names_unique_and_remove_forgets(repository: DatasetRepository) -> None:
    birds, cats = dataset("Birds"), dataset("Cats")
    await repository.add(birds)
    await repository.add(cats)
    renamed = birds.edited(name="BIRDS", description="all of them")
    await repository.replace(renamed)
    assert await repository.get(birds.id) == renamed
    with pytest.raises(ConflictError):
        await repository.replace(cats.edited(name="birds"))
    await repository.remove(birds.id)
    await repository.remove(birds.id)
    assert await repository.get(birds.id) is None
    await repository.replace(cats.edited(name="Birds"))  # the name is free again
    assert await repository.get_by_name("birds") == await repository.get(cats.id)
