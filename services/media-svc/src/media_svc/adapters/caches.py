"""Caches of media-svc: encoded frames in memory (LRU by bytes) and local copies of source videos on disk
(LRU by bytes), so a frame request decodes from a local file that stays open in a worker process."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from pathlib import Path

from media_svc.app.ports import MediaStore
from media_svc.domain.records import MediaRecord


class FrameLru:
    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int]) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, int], value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            self._bytes -= len(previous) if previous else 0
            self._items[key] = value
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)


class LocalSources:
    """Source versions downloaded to `directory` (file name: sample id and etag), the least recently used removed
    when they take more than `max_bytes`. Concurrent requests for one source share a download."""

    def __init__(self, *, store: MediaStore, directory: str, max_bytes: int, max_source_bytes: int) -> None:
        self.store = store
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_source_bytes = max_source_bytes
        self._files: OrderedDict[str, int] = OrderedDict()
        self._downloads: dict[str, asyncio.Task[str]] = {}

    async def local_path(self, record: MediaRecord) -> str:
        name = f"{record.id}-{''.join(c if c.isalnum() else '_' for c in record.etag)}"
        if name in self._files:
            self._files.move_to_end(name)
            return str(self.directory / name)
        task = self._downloads.get(name)
        if task is None:
            task = asyncio.create_task(self._download(record, name))
            self._downloads[name] = task
            task.add_done_callback(lambda _: self._downloads.pop(name, None))
        return await asyncio.shield(task)

    async def _download(self, record: MediaRecord, name: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        partial = path.with_suffix(".part")
        size = await self.store.download(record.bucket, record.key, str(partial), max_bytes=self.max_source_bytes)
        os.replace(partial, path)
        self._files[name] = size
        while sum(self._files.values()) > self.max_bytes and len(self._files) > 1:
            oldest, _ = self._files.popitem(last=False)
            (self.directory / oldest).unlink(missing_ok=True)
        return str(path)
