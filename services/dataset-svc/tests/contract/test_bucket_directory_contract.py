"""The fake bucket directory and the one over the real object storage (MinIO) answer alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from dataset_svc.adapters.storage import StorageBucketDirectory
from dataset_svc.app.ports import BucketDirectory
from dataset_svc.settings import DatasetSettings
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.dataset_fakes import InMemoryBucketDirectory


@pytest.fixture
async def storage_bucket(unique: str) -> AsyncIterator[tuple[ObjectStorage, str]]:
    storage = ObjectStorage(DatasetSettings())
    bucket = f"ls-test-{unique}"
    await storage.ensure_bucket(bucket)
    yield storage, bucket
    await asyncio.to_thread(storage.client.remove_bucket, bucket)


@pytest.fixture(params=["memory", pytest.param("storage", marks=pytest.mark.integration)])
def directory(request: pytest.FixtureRequest, unique: str) -> tuple[BucketDirectory, str]:
    if request.param == "memory":
        bucket = f"ls-test-{unique}"
        return InMemoryBucketDirectory({bucket}), bucket
    storage, bucket = request.getfixturevalue("storage_bucket")
    return StorageBucketDirectory(storage), bucket


async def test_existing_buckets_exist_and_others_do_not(directory: tuple[BucketDirectory, str], unique: str) -> None:
    buckets, existing = directory
    assert await buckets.exists(existing)
    assert not await buckets.exists(f"ls-missing-{unique}")
