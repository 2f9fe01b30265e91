"""REST API of dataset-svc, versions of a dataset: publish, list, get, read its manifest and statistics, set to
current, delete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, Response, status
from fastapi.responses import StreamingResponse
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import LabelStatistic
from labelstream_shared.web import CursorQuery, LimitQuery, Page, error_responses, page_of
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.app import versions as version_cases
from dataset_svc.app.versions import VersionView
from dataset_svc.domain.versions import ObjectLocation, VersionStatus
from dataset_svc.entrypoints.api import CurrentDataset, Deps, IdempotencyKey

router = APIRouter(prefix="/api/datasets/{dataset_id}/versions", tags=["versions"])


class VersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)


class ObjectLocationPublic(BaseModel):
    bucket: str
    key: str
    url: str  # s3://bucket/key

    @classmethod
    def of(cls, location: ObjectLocation) -> ObjectLocationPublic:
        return cls(bucket=location.bucket, key=location.key, url=location.url)


class StatisticsPublic(BaseModel):
    samples: int
    labeled_samples: int
    shapes: int
    labels: list[LabelStatistic]


class VersionPublic(BaseModel):
    id: str
    dataset_id: str
    name: str  # V001, V002, ...
    number: int
    description: str
    status: VersionStatus
    is_current: bool
    sample_count: int
    statistics: StatisticsPublic
    manifest: ObjectLocationPublic
    statistics_file: ObjectLocationPublic
    error: str | None
    created_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, view: VersionView) -> VersionPublic:
        v = view.version
        return cls(
            **v.model_dump(include={"id", "dataset_id", "name", "number", "description", "status", "sample_count"}),
            is_current=view.is_current,
            statistics=StatisticsPublic.model_validate(v.statistics.model_dump()),
            manifest=ObjectLocationPublic.of(v.manifest),
            statistics_file=ObjectLocationPublic.of(v.statistics_file),
            error=v.error,
            created_at=v.created_at,
            published_at=v.published_at,
        )


@router.post("", status_code=status.HTTP_202_ACCEPTED, operation_id="publishVersion")
async def publish_version(
    dataset: CurrentDataset,
    deps: Deps,
    response: Response,
    body: VersionCreate | None = None,
    idempotency_key: IdempotencyKey = None,
) -> VersionPublic:
    """Publish a new version (the next number, even when nothing changed since the last): 202 with the version
    `publishing`; poll it (`Location`) until it is `published` (or `failed`, with `error`). With an
    `Idempotency-Key`, the same request again answers the version it created; the key with another description is
    409."""
    version = await version_cases.publish_version(
        dataset.id, run=deps.run, description=body.description if body else "", key=idempotency_key
    )
    response.headers["Location"] = f"/api/datasets/{dataset.id}/versions/{version.id}"
    return VersionPublic.of(VersionView(version, is_current=False))


@router.get("", operation_id="listVersions")
async def list_versions(
    dataset: CurrentDataset, deps: Deps, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[VersionPublic]:
    """The dataset's versions, newest first."""
    before = _number_of(cursor)
    views = await version_cases.list_versions(
        dataset.id, versions=deps.versions, heads=deps.version_heads, limit=limit + 1, before=before
    )
    return page_of([VersionPublic.of(v) for v in views], limit=limit, cursor_of=lambda v: str(v.number))


@router.get("/{version_id}", operation_id="getVersion")
async def get_version(dataset: CurrentDataset, version_id: str, deps: Deps) -> VersionPublic:
    view = await version_cases.get_version(dataset.id, version_id, versions=deps.versions, heads=deps.version_heads)
    return VersionPublic.of(view)


@router.get(
    "/{version_id}/manifest",
    operation_id="readVersionManifest",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}, **error_responses(409)},
)
async def read_manifest(dataset: CurrentDataset, version_id: str, deps: Deps) -> StreamingResponse:
    """The published version's manifest, streamed as it is stored (JSON Lines, one sample per line with its labels
    as published), so training code needs a token, not object storage credentials; 409 until it is published."""
    version = await version_cases.published_version(dataset.id, version_id, versions=deps.versions)
    return stored_file(deps, version.manifest, media_type="application/x-ndjson")


@router.get(
    "/{version_id}/statistics",
    operation_id="readVersionStatistics",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}}}, **error_responses(409)},
)
async def read_statistics(dataset: CurrentDataset, version_id: str, deps: Deps) -> StreamingResponse:
    """The published version's statistics file (JSON), as stored; 409 until it is published."""
    version = await version_cases.published_version(dataset.id, version_id, versions=deps.versions)
    return stored_file(deps, version.statistics_file, media_type="application/json")


def stored_file(
    deps: Deps,
    location: ObjectLocation,
    *,
    media_type: str,
    disposition: str = "inline",
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    """An object of the output path (a version's file, an export's archive) streamed as it is stored."""
    name = location.key.rsplit("/", 1)[-1]
    body: Iterator[bytes] = deps.export_storage.read(location.bucket, location.key)
    named = {"Content-Disposition": f'{disposition}; filename="{name}"', **(headers or {})}
    return StreamingResponse(body, media_type=media_type, headers=named)


@router.post("/{version_id}/current", operation_id="setCurrentVersion", responses=error_responses(409))
async def set_current_version(dataset: CurrentDataset, version_id: str, deps: Deps) -> VersionPublic:
    """ "Set to current version": exactly one current version per dataset; 409 unless the version is published."""
    return VersionPublic.of(await version_cases.set_current_version(dataset.id, version_id, run=deps.run))


@router.delete(
    "/{version_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteVersion",
    responses=error_responses(409),
)
async def delete_version(dataset: CurrentDataset, version_id: str, deps: Deps) -> Response:
    """Delete a version and its files (manifest, statistics); source objects are never touched. 409 while it
    is being published."""
    await version_cases.delete_version(dataset.id, version_id, run=deps.run)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _number_of(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit():
        raise InvalidInputError("cursor: not a cursor of this listing (pass next_cursor back as is)")
    return int(cursor)
