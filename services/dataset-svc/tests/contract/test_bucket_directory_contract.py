"""The fake bucket directory and the one over the real object storage (MinIO) answer alike."""

from __future__ import annotations

import pytest
from dataset_svc.adapters.storage import StorageBucketDirectory
from dataset_svc.app.ports import BucketDirectory
from labelstream_testing.dataset_fakes import InMemoryBucketDirectory


@pytest.fixture(params=["memory", pytest.param("storage", marks=pytest.mark.integration)])
def directory(request: pytest.FixtureRequest, unique: str) -> tuple[BucketDirectory, str]:
    if request.param == "memory":
        bucket = f"ls-test-{unique}"
        return InMemoryBucketDirectory({bucket}), bucket
    storage, bucket = request.getfixturevalue("scratch_bucket")
    return StorageBucketDirectory(storage), bucket


async def test_existing_buckets_exist_and_others_do_not(directory: tuple[BucketDirectory, str], unique: str) -> None:
    buckets, existing = directory
    assert await buckets.exists(existing)
    assert not await buckets.exists(f"ls-missing-{unique}")
