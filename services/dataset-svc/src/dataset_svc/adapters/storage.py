"""Object storage adapters of dataset-svc (the SDK blocks: calls run in worker threads)."""

from __future__ import annotations

import asyncio

from labelstream_shared.storage import ObjectStorage


class StorageBucketDirectory:
    """The buckets of the platform's object storage (MinIO locally, any S3 store)."""

    def __init__(self, storage: ObjectStorage) -> None:
        self._storage = storage

    async def exists(self, bucket: str) -> bool:
        return bool(await asyncio.to_thread(self._storage.client.bucket_exists, bucket))
