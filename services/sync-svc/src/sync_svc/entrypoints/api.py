"""REST API of sync-svc: synchronization runs (imports and deletions come next)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Annotated, BinaryIO, cast

from fastapi import APIRouter, Depends, Query, Request, status
from labelstream_shared.errors import InvalidInputError, NotFoundError, TooLargeError
from labelstream_shared.uow import TransactionRunner
from labelstream_shared.web import IdCursorQuery, LimitQuery, Page, app_deps, error_responses, page_of
from pydantic import BaseModel, Field

from sync_svc.app import imports, runs, uploads
from sync_svc.app.archive_imports import checked_format
from sync_svc.app.ports import ObjectStore, SyncTransaction
from sync_svc.app.sync_run import SyncReads
from sync_svc.domain.imports import ImportMode, ImportSource, ImportTask
from sync_svc.domain.runs import SyncRun

router = APIRouter(prefix="/api/sync", tags=["sync"])


SPOOL_IN_MEMORY = 8 * 1024 * 1024  # an upload is held in memory up to this size, then in a temporary file


@dataclass(frozen=True)
class SyncDeps:
    run: TransactionRunner[SyncTransaction]
    reads: SyncReads
    store: ObjectStore
    max_upload_bytes: int = 5 * 1024**3


Deps = Annotated[SyncDeps, Depends(app_deps)]


@router.post("/datasets/{dataset_id}/runs", status_code=status.HTTP_202_ACCEPTED, operation_id="startSyncRun")
async def start_sync_run(dataset_id: str, deps: Deps) -> SyncRun:
    """Synchronize the data source: queue a run that diffs the dataset's input path against its samples."""
    return await runs.start_sync_run(deps.run, dataset_id=dataset_id)


@router.get("/datasets/{dataset_id}/runs", operation_id="listSyncRuns")
async def list_sync_runs(
    dataset_id: str, deps: Deps, limit: LimitQuery = 20, cursor: IdCursorQuery = None
) -> Page[SyncRun]:
    """A dataset's runs, newest first."""
    await runs.require_dataset(deps.reads.datasets, dataset_id)
    found = await deps.reads.runs.list_for(dataset_id, limit=limit + 1, before=cursor)
    return page_of(found, limit=limit, cursor_of=lambda r: r.id)


@router.get("/runs/{run_id}", operation_id="getSyncRun")
async def get_sync_run(run_id: str, deps: Deps) -> SyncRun:
    return await runs.get_sync_run(deps.reads.runs, run_id)


class ImportCreate(BaseModel):
    source: ImportSource
    mode: ImportMode = "copy"
    labeled: bool = Field(
        default=False, description="take the manifest's (or the archive's) shapes as the samples' annotations"
    )


@router.post("/datasets/{dataset_id}/imports", status_code=status.HTTP_202_ACCEPTED, operation_id="startImport")
async def start_import(dataset_id: str, body: ImportCreate, deps: Deps) -> ImportTask:
    """Add data: import from another bucket path, a manifest or an annotated archive (COCO, YOLO, Pascal VOC, CVAT,
    Datumaro zip), copying into the input path or referencing."""
    if body.labeled and body.source.kind not in ("manifest", "archive"):
        raise InvalidInputError("labeled: only a manifest or an archive import carries annotations")
    if body.source.kind == "archive":
        checked_format(body.source.format, field="source.format")
    return await imports.start_import(
        deps.run, dataset_id=dataset_id, source=body.source, mode=body.mode, labeled=body.labeled
    )


@router.get("/datasets/{dataset_id}/imports", operation_id="listImports")
async def list_imports(
    dataset_id: str, deps: Deps, limit: LimitQuery = 20, cursor: IdCursorQuery = None
) -> Page[ImportTask]:
    """The history of a dataset's import tasks, newest first."""
    await runs.require_dataset(deps.reads.datasets, dataset_id)
    found = await deps.reads.imports.list_for(dataset_id, limit=limit + 1, before=cursor)
    return page_of(found, limit=limit, cursor_of=lambda t: t.id)


@router.get("/imports/{task_id}", operation_id="getImport")
async def get_import(task_id: str, deps: Deps) -> ImportTask:
    task = await deps.reads.imports.get(task_id)
    if task is None:
        raise NotFoundError(f"import task {task_id!r} not found")
    return task


@router.put(
    "/datasets/{dataset_id}/uploads/{name:path}",
    status_code=status.HTTP_201_CREATED,
    operation_id="uploadFile",
    responses=error_responses(409, 413),
)
async def upload_file(dataset_id: str, name: str, request: Request, deps: Deps) -> ImportTask:
    """Add data from the browser: the request body is the file; `name` is its path under the input path."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        size = await _spooled(request, spool, limit=deps.max_upload_bytes)
        return await uploads.upload_file(
            deps.run,
            store=deps.store,
            dataset_id=dataset_id,
            name=name,
            content=cast(BinaryIO, spool),
            size=size,
        )


@router.put(
    "/datasets/{dataset_id}/archives/{name:path}",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="uploadArchive",
    responses=error_responses(413),
)
async def upload_archive(
    dataset_id: str,
    name: str,
    request: Request,
    deps: Deps,
    format: Annotated[str | None, Query(max_length=40, description="the archive's format; none: recognised")] = None,
    labeled: Annotated[bool, Query(description="take the archive's shapes as the samples' annotations")] = True,
) -> ImportTask:
    """Add data from an annotated archive on this computer (a COCO, YOLO, Pascal VOC, CVAT, MOT or Datumaro zip):
    the body is the zip; it is stored in the input bucket under `.labelstream-imports/` and imported (202: follow
    the import task)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        size = await _spooled(request, spool, limit=deps.max_upload_bytes)
        return await uploads.upload_archive(
            deps.run, store=deps.store, dataset_id=dataset_id, name=name, content=cast(BinaryIO, spool), size=size,
            format=format, labeled=labeled,
        )  # fmt: skip


async def _spooled(request: Request, spool: IO[bytes], *, limit: int) -> int:
    """The request's body written into `spool` (rewound); its size. 413 past `limit`, 422 when empty."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"file: larger than the limit of {limit} bytes")
        spool.write(chunk)
    if size == 0:
        raise InvalidInputError("file: the body is empty")
    spool.seek(0)
    return size
