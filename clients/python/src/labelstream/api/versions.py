"""Versions of a dataset and their exports (dataset-svc)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from labelstream.api.http import Connection, idempotent_post
from labelstream.api.operations import operation
from labelstream.api.waiting import wait_for
from labelstream.errors import ChecksumMismatch, Conflict
from labelstream.models import (
    CurrentExportCreate,
    Export,
    ExportCreate,
    ExportOptions,
    ExportSelection,
    FormatList,
    Version,
    VersionCreate,
)


class Versions:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("dataset", "publishVersion")
    def publish(self, dataset_id: str, *, description: str = "") -> Version:
        """Publish the next version (202: `publishing`; follow it with `wait`). Retried safely: an Idempotency-Key
        makes a repeat after a lost answer return the same version."""
        body = VersionCreate(description=description).model_dump()
        path = f"/api/datasets/{dataset_id}/versions"
        return self._c.json("POST", path, Version, json=body, headers=idempotent_post())

    @operation("dataset", "listVersions")
    def list(self, dataset_id: str) -> Iterator[Version]:
        """Newest first."""
        return self._c.pages(f"/api/datasets/{dataset_id}/versions", Version)

    @operation("dataset", "getVersion")
    def get(self, dataset_id: str, version_id: str) -> Version:
        return self._c.json("GET", f"/api/datasets/{dataset_id}/versions/{version_id}", Version)

    def resolve(self, dataset_id: str, id_or_name: str | None) -> Version:
        """The version with this id or name (V001, ...); None: the current one."""
        for version in self.list(dataset_id):
            if (id_or_name is None and version.is_current) or id_or_name in (version.id, version.name):
                return version
        raise Conflict(409, "no_version", f"dataset {dataset_id!r} has no {id_or_name or 'current'} version")

    @operation("dataset", "readVersionManifest")
    def manifest(self, dataset_id: str, version_id: str) -> bytes:
        """The published version's manifest as stored (JSON Lines: a sample per line, with its labels)."""
        return self._c.request("GET", f"/api/datasets/{dataset_id}/versions/{version_id}/manifest").content

    @operation("dataset", "setCurrentVersion")
    def set_current(self, dataset_id: str, version_id: str) -> Version:
        return self._c.json("POST", f"/api/datasets/{dataset_id}/versions/{version_id}/current", Version)

    @operation("dataset", "deleteVersion")
    def delete(self, dataset_id: str, version_id: str) -> None:
        self._c.request("DELETE", f"/api/datasets/{dataset_id}/versions/{version_id}")

    def wait(
        self, dataset_id: str, version_id: str, *, on_progress: Callable[[Version], None] | None = None,
        timeout_s: float | None = None,
    ) -> Version:  # fmt: skip
        """The version once published; `Failed` when publishing failed."""
        return wait_for(
            lambda: self.get(dataset_id, version_id), ended=lambda v: v.status != "publishing",
            failure=lambda v: None if v.status == "published" else (v.error or v.status),
            on_progress=on_progress, timeout_s=timeout_s, what=f"version {version_id}",
        )  # fmt: skip


class Exports:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @operation("dataset", "listExportFormats")
    def formats(self) -> FormatList:
        return self._c.json("GET", "/api/exports/formats", FormatList)

    @operation("dataset", "exportVersion")
    def of_version(
        self, dataset_id: str, version_id: str, *, format: str, options: ExportOptions | None = None
    ) -> Export:
        """Export a published version (202: `queued`; follow it with `wait`); retried safely (Idempotency-Key)."""
        body = ExportCreate(format=format, options=options or ExportOptions()).model_dump(mode="json")
        path = f"/api/datasets/{dataset_id}/versions/{version_id}/exports"
        return self._c.json("POST", path, Export, json=body, headers=idempotent_post())

    @operation("dataset", "exportCurrentData")
    def of_current_data(
        self, dataset_id: str, *, format: str, options: ExportOptions | None = None,
        selection: ExportSelection | None = None,
    ) -> Export:  # fmt: skip
        """Export the samples as they are now (optionally a selection of them); retried safely (Idempotency-Key)."""
        body = CurrentExportCreate(
            format=format, options=options or ExportOptions(), selection=selection or ExportSelection()
        ).model_dump(mode="json")
        path = f"/api/datasets/{dataset_id}/exports"
        return self._c.json("POST", path, Export, json=body, headers=idempotent_post())

    @operation("dataset", "getExport")
    def get(self, dataset_id: str, export_id: str) -> Export:
        return self._c.json("GET", f"/api/datasets/{dataset_id}/exports/{export_id}", Export)

    @operation("dataset", "listExports")
    def list(self, dataset_id: str, *, version_id: str | None = None) -> Iterator[Export]:
        return self._c.pages(f"/api/datasets/{dataset_id}/exports", Export, params={"version_id": version_id})

    def wait(
        self, dataset_id: str, export_id: str, *, on_progress: Callable[[Export], None] | None = None,
        timeout_s: float | None = None,
    ) -> Export:  # fmt: skip
        return wait_for(
            lambda: self.get(dataset_id, export_id), ended=lambda e: e.status in ("completed", "failed"),
            failure=lambda e: (e.error or "no reason given") if e.status == "failed" else None,
            on_progress=on_progress, timeout_s=timeout_s, what=f"export {export_id}",
        )  # fmt: skip

    @operation("dataset", "downloadExport")
    def download(
        self, export: Export, folder: Path, *, on_bytes: Callable[[int, int | None], None] | None = None
    ) -> Path:
        """The completed export's archive, written into `folder` under its own name once its size and SHA-256
        equal what the API states (`ChecksumMismatch` otherwise, and nothing is left behind)."""
        archive = export.archive
        if archive is None:
            raise Conflict(409, "not_completed", f"export {export.id} is {export.status}: no archive yet")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / archive.location.key.rsplit("/", 1)[-1]
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as out:
            size = self._c.download(archive.download, out, on_bytes=on_bytes)
        digest = file_sha256(partial)
        if size != archive.size or digest != archive.sha256:
            partial.unlink()
            raise ChecksumMismatch(
                f"export {export.id}: got {size} bytes with SHA-256 {digest}, the API states {archive.size} bytes "
                f"with {archive.sha256}"
            )
        partial.replace(target)
        return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
