"""The bucket, through the S3 API (MinIO locally, OBS or any S3 store in production)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from minio import Minio

from sync_svc.domain.objects import ListedObject

PAGE_SIZE = 1000
QUEUED_PAGES = 4  # pages listed ahead of the consumer: memory stays bounded whatever the bucket size


class S3ObjectStore:
    def __init__(self, client: Minio) -> None:
        self._client = client

    async def list_objects(self, bucket: str, prefix: str) -> AsyncIterator[ListedObject]:
        """The SDK's listing is a blocking generator: a thread pages it into a bounded queue."""
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
                page: list[ListedObject] = []
                for obj in self._client.list_objects(bucket, prefix=prefix, recursive=True):
                    if stopped.is_set():
                        return
                    if obj.is_dir or obj.object_name is None:
                        continue
                    etag = (obj.etag or "").strip('"')
                    page.append(
                        ListedObject(
                            key=obj.object_name, size=obj.size or 0, etag=etag, last_modified=obj.last_modified
                        )
                    )
                    if len(page) >= PAGE_SIZE:
                        put(page)
                        page = []
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
