"""Object storage for media-svc (MinIO's SDK is blocking: calls run in threads)."""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import AsyncIterator

from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from media_svc.app.ports import SourceMissingError
from media_svc.domain.limits import MediaRejectedError

MISSING = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}
CHUNK = 1024 * 1024


class S3MediaStore:
    def __init__(self, client: Minio) -> None:
        self.client = client

    async def download(self, bucket: str, key: str, path: str, *, max_bytes: int) -> int:
        def copy() -> int:
            response = self.client.get_object(bucket, key)  # one request: no stat first
            try:
                size = int(response.headers.get("Content-Length", "0"))
                if size > max_bytes:
                    raise MediaRejectedError(f"the file has {size:,} bytes, more than the limit of {max_bytes:,}")
                with open(path, "wb") as out:
                    for chunk in response.stream(CHUNK):
                        out.write(chunk)
                return size
            finally:
                response.close()
                response.release_conn()

        try:
            return await asyncio.to_thread(copy)
        except S3Error as exc:
            if exc.code in MISSING:
                raise SourceMissingError(f"{bucket}/{key}") from exc
            raise

    async def put(self, bucket: str, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object, bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )

    async def put_file(self, bucket: str, key: str, path: str, *, content_type: str) -> None:
        await asyncio.to_thread(self.client.fput_object, bucket, key, path, content_type=content_type)

    async def get(self, bucket: str, key: str) -> bytes:
        def read() -> bytes:
            response = self.client.get_object(bucket, key)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        try:
            return await asyncio.to_thread(read)
        except S3Error as exc:
            if exc.code in MISSING:
                raise SourceMissingError(f"{bucket}/{key}") from exc
            raise

    async def size(self, bucket: str, key: str) -> int:
        try:
            stat = await asyncio.to_thread(self.client.stat_object, bucket, key)
        except S3Error as exc:
            if exc.code in MISSING:
                raise SourceMissingError(f"{bucket}/{key}") from exc
            raise
        return int(stat.size or 0)

    async def read_range(self, bucket: str, key: str, *, offset: int, length: int) -> AsyncIterator[bytes]:
        response = await asyncio.to_thread(self.client.get_object, bucket, key, offset=offset, length=length)
        try:
            while chunk := await asyncio.to_thread(response.read, CHUNK):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def ensure_bucket(self, bucket: str) -> None:
        if not await asyncio.to_thread(self.client.bucket_exists, bucket):
            try:
                await asyncio.to_thread(self.client.make_bucket, bucket)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    async def delete_some(self, bucket: str, prefix: str, *, limit: int) -> int:
        def delete() -> int:
            listed = self.client.list_objects(bucket, prefix=prefix, recursive=True)
            names = [o.object_name for o in itertools.islice(listed, limit) if o.object_name]
            if names:
                errors = list(self.client.remove_objects(bucket, [DeleteObject(n) for n in names]))
                if errors:
                    raise RuntimeError(f"{len(errors)} of {len(names)} objects were not deleted: {errors[0]}")
            return len(names)

        try:
            return await asyncio.to_thread(delete)
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                return 0
            raise
