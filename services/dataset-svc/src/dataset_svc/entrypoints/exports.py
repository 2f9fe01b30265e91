"""REST API of dataset-svc, exports: the formats offered; export a published version; list, read and download
exports (the archive streamed from object storage)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse
from labelstream_formats.model import ExportOptions
from labelstream_formats.registry import EXPORTS
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.web import CursorQuery, LimitQuery, Page, error_responses, page_of
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.app import exports as export_cases
from dataset_svc.domain.exports import Export, ExportOutcome, ExportStatus
from dataset_svc.domain.samples import SampleQuery
from dataset_svc.entrypoints.api import CurrentDataset, Deps, IdempotencyKey
from dataset_svc.entrypoints.versions import ObjectLocationPublic, stored_file

formats_router = APIRouter(prefix="/api/exports", tags=["exports"])
router = APIRouter(prefix="/api/datasets/{dataset_id}", tags=["exports"])
User = Annotated[str | None, Header(alias="X-User", max_length=200, description="who asks (set by the gateway)")]


class FormatPublic(BaseModel):
    name: str
    title: str
    media_kinds: list[str]
    shape_kinds: list[str]


class FormatList(BaseModel):
    formats: list[FormatPublic]
    options: dict[str, object]  # the JSON schema of `options`


class ExportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = Field(min_length=1, max_length=40, description="one of GET /api/exports/formats")
    options: ExportOptions = ExportOptions()


class ExportSelection(BaseModel):
    """Which of the dataset's samples, as the samples listing filters them (a labeling job's view)."""

    model_config = ConfigDict(extra="forbid")

    tab: Literal["all", "unlabeled", "labeled"] = "all"
    hard_example: bool | None = None
    labels: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    labeled_by: str | None = Field(default=None, max_length=200)

    def query(self) -> SampleQuery:
        return SampleQuery(
            tab=self.tab, hard_example=self.hard_example, labels=tuple(self.labels), name=self.name,
            labeled_by=self.labeled_by,
        )  # fmt: skip


class CurrentExportCreate(ExportCreate):
    selection: ExportSelection = ExportSelection()


class ProgressPublic(BaseModel):
    items_done: int
    items_total: int
    percent: float


class ArchivePublic(BaseModel):
    location: ObjectLocationPublic
    size: int
    sha256: str
    download: str  # the path to GET it (through the gateway)


class ExportPublic(BaseModel):
    id: str
    dataset_id: str
    version_id: str | None  # None: the current data (`selection`)
    version_name: str  # V001, ... or "current"
    selection: ExportSelection | None
    format: str
    options: ExportOptions
    status: ExportStatus
    progress: ProgressPublic
    outcome: ExportOutcome
    archive: ArchivePublic | None
    error: str | None
    requested_by: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, e: Export) -> ExportPublic:
        archive = None
        if e.archive is not None:
            download = f"/api/datasets/{e.dataset_id}/exports/{e.id}/archive"
            location = ObjectLocationPublic.of(e.archive.location)
            archive = ArchivePublic(location=location, size=e.archive.size, sha256=e.archive.sha256, download=download)
        progress = ProgressPublic(**e.progress.model_dump(), percent=e.progress.percent)
        return cls(
            **e.model_dump(
                include={"id", "dataset_id", "version_id", "version_name", "format", "status", "error", "requested_by"}
            ),
            options=e.options,
            selection=ExportSelection(**{**e.selection.model_dump(), "labels": list(e.selection.labels)})
            if e.selection
            else None,
            progress=progress,
            outcome=e.outcome,
            archive=archive,
            created_at=e.created_at,
            finished_at=e.finished_at,
        )


@formats_router.get("/formats", operation_id="listExportFormats")
async def list_formats() -> FormatList:
    """The formats a version can be exported to, and the options an export takes."""
    found = [
        FormatPublic(name=f.name, title=f.title, media_kinds=sorted(f.media_kinds), shape_kinds=sorted(f.shape_kinds))
        for f in EXPORTS.values()
    ]
    return FormatList(formats=found, options=ExportOptions.model_json_schema())


@router.post(
    "/versions/{version_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="exportVersion",
    responses=error_responses(409),
)
async def export_version(
    dataset: CurrentDataset,
    version_id: str,
    body: ExportCreate,
    deps: Deps,
    response: Response,
    user: User = None,
    idempotency_key: IdempotencyKey = None,
) -> ExportPublic:
    """Export a published version: 202 with the export `queued`; follow it (`Location`, or the live stream's
    ExportCompleted) until it is `completed`, then download `archive.download`. 409 unless the version is
    published; 422 for an unknown format. With an `Idempotency-Key`, the same request again answers the export it
    queued; the key with another request is 409."""
    export = await export_cases.request_export(
        dataset.id, version_id, format=body.format, options=body.options, requested_by=user, run=deps.run,
        key=idempotency_key,
    )  # fmt: skip
    response.headers["Location"] = f"/api/datasets/{dataset.id}/exports/{export.id}"
    return ExportPublic.of(export)


@router.post(
    "/exports", status_code=status.HTTP_202_ACCEPTED, operation_id="exportCurrentData", responses=error_responses(404)
)
async def export_current_data(
    dataset: CurrentDataset,
    body: CurrentExportCreate,
    deps: Deps,
    response: Response,
    user: User = None,
    idempotency_key: IdempotencyKey = None,
) -> ExportPublic:
    """Export the dataset's samples matching `selection` as they are now (a labeling job's view, a filter): 202
    with the export `queued`. Not reproducible as a version's export is: publish a version for that. With an
    `Idempotency-Key`, the same request again answers the export it queued; the key with another request is 409."""
    export = await export_cases.request_current_export(
        dataset.id, selection=body.selection.query(), format=body.format, options=body.options, requested_by=user,
        run=deps.run, key=idempotency_key,
    )  # fmt: skip
    response.headers["Location"] = f"/api/datasets/{dataset.id}/exports/{export.id}"
    return ExportPublic.of(export)


@router.get("/exports", operation_id="listExports")
async def list_exports(
    dataset: CurrentDataset,
    deps: Deps,
    version_id: Annotated[str | None, Query(max_length=64, description="only the exports of this version")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ExportPublic]:
    """The dataset's exports, newest first."""
    found = await export_cases.list_exports(
        dataset.id, exports=deps.exports, version_id=version_id, limit=limit + 1, before=_before(cursor)
    )
    return page_of([ExportPublic.of(e) for e in found], limit=limit, cursor_of=_cursor_of)


@router.get("/exports/{export_id}", operation_id="getExport")
async def get_export(dataset: CurrentDataset, export_id: str, deps: Deps) -> ExportPublic:
    return ExportPublic.of(await export_cases.get_export(dataset.id, export_id, exports=deps.exports))


@router.get(
    "/exports/{export_id}/archive",
    operation_id="downloadExport",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, **error_responses(409)},
)
async def download_export(dataset: CurrentDataset, export_id: str, deps: Deps) -> StreamingResponse:
    """The archive of a completed export (zip), streamed; 409 while the export is not completed."""
    archive = await export_cases.completed_export(dataset.id, export_id, exports=deps.exports)
    headers = {"Content-Length": str(archive.size), "ETag": f'"{archive.sha256}"', "X-Checksum-SHA256": archive.sha256}
    return stored_file(deps, archive.location, media_type="application/zip", disposition="attachment", headers=headers)


def _cursor_of(e: ExportPublic) -> str:
    return f"{e.id}:{int(e.created_at.timestamp() * 1_000_000)}"


_CURSOR = re.compile(r"^([0-9a-f]{32}):([0-9]{1,20})$")


def _before(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    found = _CURSOR.match(cursor)
    if found is None:
        raise InvalidInputError("cursor: not a cursor of this listing (pass next_cursor back as is)")
    return datetime.fromtimestamp(int(found[2]) / 1_000_000, tz=UTC), found[1]
