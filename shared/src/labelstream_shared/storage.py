"""Object storage (any S3 store; MinIO locally). The SDK is blocking, so calls run in worker threads."""

from __future__ import annotations

import asyncio

from minio import Minio

from labelstream_shared.settings import ServiceSettings


class ObjectStorage:
    def __init__(self, settings: ServiceSettings) -> None:
        self.client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
        )

    async def check(self) -> str:
        buckets = await asyncio.to_thread(self.client.list_buckets)
        return f"{len(buckets)} buckets"

    async def ensure_bucket(self, name: str) -> None:
        if not await asyncio.to_thread(self.client.bucket_exists, name):
            await asyncio.to_thread(self.client.make_bucket, name)
