"""The fake files of versions and the ones in the real object storage (MinIO) behave alike: small writes,
streamed writes of many chunks (uploaded in parts), a stream that breaks off leaves nothing, removal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from dataset_svc.adapters.storage import PART_SIZE, StorageVersionFiles
from dataset_svc.app.ports import VersionFiles
from dataset_svc.settings import DatasetSettings
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.dataset_fakes_versions import InMemoryVersionFiles
from minio.error import S3Error


@dataclass
class Files:
    files: VersionFiles
    bucket: str
    read: Callable[[str], Awaitable[bytes | None]]  # None when there is no such object


@pytest.fixture
async def storage_files(unique: str) -> AsyncIterator[Files]:
    storage = ObjectStorage(DatasetSettings())
    bucket = f"ls-test-{unique}"
    await storage.ensure_bucket(bucket)

    async def read(key: str) -> bytes | None:
        def get() -> bytes | None:
            try:
                response = storage.client.get_object(bucket, key)
            except S3Error as exc:
                if exc.code == "NoSuchKey":
                    return None
                raise
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(get)

    yield Files(StorageVersionFiles(storage), bucket, read)
    objects = await asyncio.to_thread(
        lambda: [o.object_name for o in storage.client.list_objects(bucket, recursive=True)]
    )
    await StorageVersionFiles(storage).remove(bucket=bucket, keys=objects)
    await asyncio.to_thread(storage.client.remove_bucket, bucket)


@pytest.fixture(params=["memory", pytest.param("storage", marks=pytest.mark.integration)])
def files(request: pytest.FixtureRequest) -> Files:
    if request.param == "memory":
        fake = InMemoryVersionFiles()

        async def read(key: str) -> bytes | None:
            return fake.objects.get(("out", key))

        return Files(fake, "out", read)
    real: Files = request.getfixturevalue("storage_files")
    return real


async def chunks(count: int, size: int, *, fail_at: int | None = None) -> AsyncIterator[bytes]:
    for i in range(count):
        if i == fail_at:
            raise RuntimeError("the database went away")
        yield bytes([65 + i % 26]) * size


async def test_small_files_are_written_and_removed(files: Files) -> None:
    await files.files.write(
        bucket=files.bucket, key="v/V001/statistics.json", data=b"{}", content_type="application/json"
    )
    assert await files.read("v/V001/statistics.json") == b"{}"
    await files.files.remove(bucket=files.bucket, keys=["v/V001/statistics.json", "v/V001/never-written"])
    await files.files.remove(bucket=files.bucket, keys=[])
    assert await files.read("v/V001/statistics.json") is None


async def test_a_stream_of_chunks_becomes_one_object_uploaded_in_parts(files: Files) -> None:
    count, size = 40, PART_SIZE // 16 + 7  # 2.5 parts, chunks not aligned with parts
    stream = chunks(count, size)
    written = await files.files.write_stream(
        bucket=files.bucket, key="v/V001/manifest.jsonl", chunks=stream, content_type="application/x-ndjson"
    )
    assert written == count * size
    stored = await files.read("v/V001/manifest.jsonl")
    assert stored is not None and len(stored) == count * size
    assert stored[:size] == b"A" * size and stored[-size:] == bytes([65 + (count - 1) % 26]) * size
    empty = await files.files.write_stream(
        bucket=files.bucket, key="v/V002/manifest.jsonl", chunks=chunks(0, 1), content_type="application/x-ndjson"
    )
    assert empty == 0 and await files.read("v/V002/manifest.jsonl") == b""


async def test_a_stream_that_breaks_off_leaves_no_object(files: Files) -> None:
    stream = chunks(40, PART_SIZE // 8, fail_at=30)  # after three parts went up
    with pytest.raises(RuntimeError, match="the database went away"):
        await files.files.write_stream(
            bucket=files.bucket, key="v/V003/manifest.jsonl", chunks=stream, content_type="application/x-ndjson"
        )
    assert await files.read("v/V003/manifest.jsonl") is None
