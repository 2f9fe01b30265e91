"""Object storage adapters of dataset-svc (the SDK blocks: calls run in worker threads)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from labelstream_shared.storage import ObjectStorage
from minio.deleteobjects import DeleteObject

from dataset_svc.domain.versions import ObjectLocation

PART_SIZE = 8 * 1024 * 1024  # S3 multipart parts (5 MiB at least; 10,000 parts at most: 80 GB objects)
PARALLEL_PARTS = 2  # parts uploaded at once; memory stays ~(PARALLEL_PARTS + 1) * PART_SIZE whatever the size
READ_CHUNK = 1024 * 1024


class StorageBucketDirectory:
    """The buckets of the platform's object storage (MinIO locally, any S3 store)."""

    def __init__(self, storage: ObjectStorage) -> None:
        self._storage = storage

    async def exists(self, bucket: str) -> bool:
        return bool(await asyncio.to_thread(self._storage.client.bucket_exists, bucket))


class StorageVersionFiles:
    """The files of versions (manifests, statistics) in the output bucket."""

    def __init__(self, storage: ObjectStorage) -> None:
        self._client: Any = storage.client

    async def write(self, *, bucket: str, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object, bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )

    async def write_stream(self, *, bucket: str, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        """The SDK uploads an object of unknown length in parts, reading each part from a file-like object in a
        worker thread; that reader pulls the chunks from the event loop as the upload needs them."""
        reader = _ChunkReader(chunks, asyncio.get_running_loop())
        await asyncio.to_thread(
            self._client.put_object,
            bucket,
            key,
            reader,
            -1,
            content_type=content_type,
            part_size=PART_SIZE,
            num_parallel_uploads=PARALLEL_PARTS,
        )
        return reader.size

    async def remove(self, *, bucket: str, keys: Sequence[str]) -> None:
        def remove() -> None:
            errors = list(self._client.remove_objects(bucket, [DeleteObject(k) for k in keys]))
            if errors:
                raise OSError(f"could not remove {len(errors)} objects from {bucket!r}: {errors[0]}")

        if keys:
            await asyncio.to_thread(remove)


class _IteratorReader:
    """A blocking file-like view of an iterator of chunks (the SDK's multipart upload of unknown length reads it)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self._done = False
        self.size = 0

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); fewer only at the end."""
        while not self._done and (size is None or size < 0 or len(self._buffer) < size):
            chunk = self._next_chunk()
            if chunk is None:
                self._done = True
            else:
                self._buffer += chunk
        count = len(self._buffer) if size is None or size < 0 else min(size, len(self._buffer))
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        self.size += len(data)
        return data

    def _next_chunk(self) -> bytes | None:
        return next(self._chunks, None)


class _ChunkReader(_IteratorReader):
    """The same view of an async iterator of chunks, read from a worker thread (never the loop's)."""

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(iter(()))
        self._async_chunks = chunks
        self._loop = loop

    def _next_chunk(self) -> bytes | None:
        async def next_chunk() -> bytes | None:
            try:
                return await anext(self._async_chunks)
            except StopAsyncIteration:
                return None

        return asyncio.run_coroutine_threadsafe(next_chunk(), self._loop).result()


class StorageExportFiles:
    """Object storage as an export uses it (blocking calls: the export runs in a worker thread)."""

    def __init__(self, storage: ObjectStorage) -> None:
        self._client: Any = storage.client

    def lines(self, location: ObjectLocation) -> Iterator[bytes]:
        response = self._client.get_object(location.bucket, location.key)
        try:
            pending = b""
            for chunk in response.stream(READ_CHUNK):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                yield from (line for line in complete if line.strip())
            if pending.strip():
                yield pending
        finally:
            response.close()
            response.release_conn()

    def read(self, bucket: str, key: str) -> Iterator[bytes]:
        response = self._client.get_object(bucket, key)
        try:
            yield from response.stream(READ_CHUNK)
        finally:
            response.close()
            response.release_conn()

    def write(self, location: ObjectLocation, chunks: Iterator[bytes], *, content_type: str) -> int:
        """Uploaded in parts, one at a time: an archive is made slower than it uploads, and the SDK's parallel
        uploads queue the parts read ahead without bound (peak RSS grew with the archive's size)."""
        reader = _IteratorReader(chunks)
        self._client.put_object(
            location.bucket,
            location.key,
            reader,
            -1,
            content_type=content_type,
            part_size=PART_SIZE,
            num_parallel_uploads=1,
        )
        return reader.size
