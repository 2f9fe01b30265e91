"""Synchronization runs, imports and uploads (sync-svc)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from labelstream.api.http import Connection
from labelstream.api.operations import operation
from labelstream.api.waiting import wait_for
from labelstream.errors import NotFound
from labelstream.models import ImportCreate, ImportSource, ImportTask, SyncRun

ENDED = ("succeeded", "failed")
CHUNK = 1 << 20


class SyncRuns:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("sync", "startSyncRun")
    def start(self, dataset_id: str) -> SyncRun:
        """Synchronize the dataset with its input path (the run is queued: follow it with `wait`)."""
        return self._c.json("POST", f"/api/sync/datasets/{dataset_id}/runs", SyncRun)

    @operation("sync", "getSyncRun")
    def get(self, run_id: str) -> SyncRun:
        return self._c.json("GET", f"/api/sync/runs/{run_id}", SyncRun)

    @operation("sync", "listSyncRuns")
    def list(self, dataset_id: str) -> Iterator[SyncRun]:
        return self._c.pages(f"/api/sync/datasets/{dataset_id}/runs", SyncRun)

    def wait_known(self, dataset_id: str, *, timeout_s: float = 60.0) -> None:
        """Until sync-svc has learnt of the dataset (from its DatasetCreated, a moment after the creation):
        before that its runs, imports and uploads answer 404."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._c.request("GET", f"/api/sync/datasets/{dataset_id}/runs", params={"limit": 1})
                return
            except NotFound:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def wait(
        self, run_id: str, *, on_progress: Callable[[SyncRun], None] | None = None, timeout_s: float | None = None
    ) -> SyncRun:
        """The run once it ended; `Failed` when it failed."""
        return wait_for(
            lambda: self.get(run_id), ended=lambda r: r.status in ENDED, failure=lambda r: _failure(r.status, r.error),
            on_progress=on_progress, timeout_s=timeout_s, what=f"sync run {run_id}",
        )  # fmt: skip


class Imports:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("sync", "startImport")
    def start(self, dataset_id: str, source: ImportSource, *, mode: str = "copy", labeled: bool = False) -> ImportTask:
        """Add data from another bucket path, a manifest or an annotated archive in object storage."""
        body = ImportCreate(source=source, mode=mode, labeled=labeled).model_dump(mode="json")
        return self._c.json("POST", f"/api/sync/datasets/{dataset_id}/imports", ImportTask, json=body)

    @operation("sync", "getImport")
    def get(self, task_id: str) -> ImportTask:
        return self._c.json("GET", f"/api/sync/imports/{task_id}", ImportTask)

    @operation("sync", "listImports")
    def list(self, dataset_id: str) -> Iterator[ImportTask]:
        return self._c.pages(f"/api/sync/datasets/{dataset_id}/imports", ImportTask)

    def wait(
        self, task_id: str, *, on_progress: Callable[[ImportTask], None] | None = None, timeout_s: float | None = None
    ) -> ImportTask:
        return wait_for(
            lambda: self.get(task_id), ended=lambda t: t.status in ENDED, failure=lambda t: _failure(t.status, t.error),
            on_progress=on_progress, timeout_s=timeout_s, what=f"import {task_id}",
        )  # fmt: skip

    @operation("sync", "uploadFile")
    def upload_file(self, dataset_id: str, name: str, path: Path) -> ImportTask:
        """Store a local file as `name` under the dataset's input path; it becomes a sample."""
        size = path.stat().st_size
        return self._c.json(
            "PUT", f"/api/sync/datasets/{dataset_id}/uploads/{quote(name)}", ImportTask,
            content=lambda: _chunks(path), headers={"Content-Length": str(size)},
        )  # fmt: skip

    @operation("sync", "uploadArchive")
    def upload_archive(
        self, dataset_id: str, path: Path, *, format: str | None = None, labeled: bool = True
    ) -> ImportTask:
        """Import an annotated archive (COCO, YOLO, ... zip) from this computer (follow the task with `wait`)."""
        params: dict[str, str | bool] = {"labeled": labeled} | ({"format": format} if format else {})
        return self._c.json(
            "PUT", f"/api/sync/datasets/{dataset_id}/archives/{quote(path.name)}", ImportTask, params=params,
            content=lambda: _chunks(path), headers={"Content-Length": str(path.stat().st_size)},
        )  # fmt: skip


def _chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _failure(status: str, error: str | None) -> str | None:
    return (error or "no reason given") if status == "failed" else None
