"""REST API of dataset-svc, samples of a dataset: the listing with tabs, filters and counts, and one sample."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from labelstream_shared.events.contracts import MediaKind, MediaMetadata, MediaPlayback
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.samples import SampleStatus
from labelstream_shared.web import LimitQuery, Page, page_of
from pydantic import BaseModel

from dataset_svc.app import samples as sample_queries
from dataset_svc.domain.samples import MediaStatus, Sample, SampleCounts, SampleQuery, Tab
from dataset_svc.entrypoints.api import CurrentDataset, Deps

router = APIRouter(prefix="/api/datasets/{dataset_id}/samples", tags=["samples"])

# A sample cursor carries the last object key (up to 1024 bytes in S3), so it is longer than other cursors.
SampleCursorQuery = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]


class SamplePublic(BaseModel):
    id: str
    dataset_id: str
    bucket: str
    key: str
    file_name: str
    size: int
    etag: str
    media_kind: MediaKind
    status: SampleStatus
    hard_example: bool
    labeled_by: str | None
    label_counts: dict[str, int]
    media: MediaMetadata | None
    media_status: MediaStatus
    media_failure_reason: str | None
    thumbnail_key: str | None
    poster_key: str | None
    timeline_key: str | None
    derived_bucket: str | None
    playback: MediaPlayback | None
    source_missing: bool
    added_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, sample: Sample) -> SamplePublic:
        return cls.model_validate(sample.model_dump())


class SampleCountsPublic(BaseModel):
    all: int
    unlabeled: int
    labeled: int

    @classmethod
    def of(cls, counts: SampleCounts) -> SampleCountsPublic:
        return cls(all=counts.all, unlabeled=counts.unlabeled, labeled=counts.labeled)


class SamplePage(Page[SamplePublic]):
    """A page of samples and how many samples each tab holds with the same filters."""

    counts: SampleCountsPublic


@router.get("", operation_id="listSamples")
async def list_samples(
    dataset: CurrentDataset,
    deps: Deps,
    tab: Tab = "all",
    hard_example: bool | None = None,
    label: Annotated[list[str] | None, Query(max_length=50, description="repeatable: samples with any of them")] = None,
    name: Annotated[str | None, Query(max_length=200, description="part of the file name or path")] = None,
    labeled_by: Annotated[str | None, Query(max_length=200)] = None,
    limit: LimitQuery = 50,
    cursor: SampleCursorQuery = None,
) -> SamplePage:
    """Samples in object key order, one tab, filters combined (all must hold); stable cursor pagination."""
    query = SampleQuery(tab=tab, hard_example=hard_example, labels=tuple(label or ()), name=name, labeled_by=labeled_by)
    listing = await sample_queries.list_samples(
        dataset.id, samples=deps.samples, counters=deps.sample_counts, query=query, limit=limit, cursor=cursor
    )
    page = page_of(listing.samples, limit=limit, cursor_of=lambda s: SamplePosition.of(s).to_cursor())
    items = [SamplePublic.of(s) for s in page.items]
    return SamplePage(items=items, next_cursor=page.next_cursor, counts=SampleCountsPublic.of(listing.counts))


@router.get("/{sample_id}", operation_id="getSample")
async def get_sample(dataset: CurrentDataset, sample_id: str, deps: Deps) -> SamplePublic:
    return SamplePublic.of(await sample_queries.get_sample(deps.samples, dataset_id=dataset.id, sample_id=sample_id))
