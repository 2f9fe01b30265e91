"""The bucket, through the S3 API (MinIO locally, OBS or any S3 store in production)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import BinaryIO

from minio import Minio
from minio.commonconfig import CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.notificationconfig import NotificationConfig, QueueConfig

from sync_svc.adapters.s3_listing import list_pages
from sync_svc.domain.objects import ListedObject

QUEUED_PAGES = 4  # pages listed ahead of the consumer: memory stays bounded whatever the bucket size


DELETE_BATCH = 1000  # the S3 DeleteObjects limit
NOTIFIED_EVENTS = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


class S3ObjectStore:
    def __init__(self, client: Minio, *, notification_arn: str) -> None:
        self._client = client
        self._notification_arn = notification_arn

    async def list_objects(self, bucket: str, prefix: str) -> AsyncIterator[ListedObject]:
        """The listing is blocking: a thread pages it into a bounded queue."""
        loop = asyncio.get_running_loop()
        pages: asyncio.Queue[list[ListedObject] | BaseException | None] = asyncio.Queue(maxsize=QUEUED_PAGES)
        stopped = threading.Event()

        def put(item: list[ListedObject] | BaseException | None) -> None:
            future = asyncio.run_coroutine_threadsafe(pages.put(item), loop)
            while not stopped.is_set():
                try:
                    future.result(timeout=0.5)
                    return
                except TimeoutError:
                    continue
            future.cancel()

        def produce() -> None:
            try:
                for page in list_pages(self._client, bucket, prefix):
                    if stopped.is_set():
                        return
                    put(page)
                put(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
                put(exc)

        worker = threading.Thread(target=produce, name=f"list-{bucket}", daemon=True)
        worker.start()
        try:
            while (item := await pages.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                for listed in item:
                    yield listed
        finally:
            stopped.set()

    async def read_head(self, bucket: str, key: str, length: int) -> bytes:
        def read() -> bytes:
            response = self._client.get_object(bucket, key, offset=0, length=length)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(read)

    async def stat(self, bucket: str, key: str) -> ListedObject | None:
        def stat() -> ListedObject | None:
            try:
                info = self._client.stat_object(bucket, key)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject"):
                    return None
                raise
            return ListedObject(
                key=key, size=info.size or 0, etag=(info.etag or "").strip('"'), last_modified=info.last_modified
            )

        return await asyncio.to_thread(stat)

    async def put_object(self, bucket: str, key: str, content: BinaryIO, *, size: int) -> ListedObject:
        def put() -> ListedObject:
            result = self._client.put_object(bucket, key, content, size, part_size=16 * 1024 * 1024)
            return ListedObject(key=key, size=size, etag=(result.etag or "").strip('"'), last_modified=None)

        return await asyncio.to_thread(put)

    async def copy(self, *, source_bucket: str, source_key: str, bucket: str, key: str) -> ListedObject:
        def copy() -> ListedObject:
            result = self._client.copy_object(bucket, key, CopySource(source_bucket, source_key))
            etag = (result.etag or "").strip('"')
            info = self._client.stat_object(bucket, key)
            return ListedObject(key=key, size=info.size or 0, etag=etag, last_modified=result.last_modified)

        return await asyncio.to_thread(copy)

    async def download(self, bucket: str, key: str, path: Path) -> None:
        await asyncio.to_thread(self._client.fget_object, bucket, key, str(path))

    async def read_lines(self, bucket: str, key: str) -> AsyncIterator[str]:
        """Streams the object in chunks; a line is decoded as UTF-8 (bad bytes replaced)."""
        response = await asyncio.to_thread(self._client.get_object, bucket, key)
        try:
            pending = b""
            while chunk := await asyncio.to_thread(response.read, 1 << 16):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", errors="replace")
            if pending:
                yield pending.decode("utf-8", errors="replace")
        finally:
            response.close()
            response.release_conn()

    async def delete_objects(self, bucket: str, keys: Sequence[str]) -> None:
        def delete() -> None:
            for start in range(0, len(keys), DELETE_BATCH):
                batch = (DeleteObject(k) for k in keys[start : start + DELETE_BATCH])
                errors = list(self._client.remove_objects(bucket, batch))
                if errors:
                    raise RuntimeError(f"{len(errors)} objects not deleted, first: {errors[0]}")

        await asyncio.to_thread(delete)

    async def watch(self, bucket: str) -> None:
        """Adds our queue to the bucket's notification configuration, keeping what else is there."""

        def configure() -> None:
            config = self._client.get_bucket_notification(bucket)
            if any(q.queue == self._notification_arn for q in config.queue_config_list):
                return
            queues = [*config.queue_config_list, QueueConfig(NOTIFIED_EVENTS, queue=self._notification_arn)]
            self._client.set_bucket_notification(
                bucket,
                NotificationConfig(
                    cloud_func_config_list=config.cloud_func_config_list,
                    queue_config_list=queues,
                    topic_config_list=config.topic_config_list,
                ),
            )

        await asyncio.to_thread(configure)
