"""REST API of labeling-svc: labeling jobs, their counts, their samples (tabs and filters), synchronization."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from labelstream_shared.errors import NotFoundError
from labelstream_shared.events.contracts import LabelingType, MediaKind, MediaMetadata
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.web import IdCursorQuery, LimitQuery, Page, page_of
from pydantic import BaseModel, ConfigDict, Field

from labeling_svc.app import jobs as job_cases
from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.jobs import JobDetails, LabelingJob
from labeling_svc.domain.samples import LabelingSample, SampleCounts, SampleQuery, Tab
from labeling_svc.entrypoints.api import Deps

router = APIRouter(prefix="/api/labeling/jobs", tags=["jobs"])
SampleCursorQuery = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    labeling_type: LabelingType | None = None  # the dataset's when left out


async def current_job(job_id: str, deps: Deps) -> LabelingJob:
    job = await deps.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"labeling job {job_id!r} not found")
    return job


CurrentJob = Annotated[LabelingJob, Depends(current_job)]


@router.post("", operation_id="createLabelingJob", status_code=201)
async def create_job(body: JobCreate, deps: Deps) -> LabelingJob:
    async def work(tx: LabelingTransaction) -> LabelingJob:
        return await job_cases.create_job(
            tx, dataset_id=body.dataset_id, name=body.name, labeling_type=body.labeling_type
        )

    return await deps.run(work)


@router.get("", operation_id="listLabelingJobs")
async def list_jobs(
    deps: Deps,
    labeling_type: LabelingType | None = None,
    dataset_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: LimitQuery = 50,
    cursor: IdCursorQuery = None,
) -> Page[LabelingJob]:
    """Jobs, oldest first, optionally of one labeling type or dataset."""
    found = await deps.jobs.list(limit=limit + 1, after=cursor, labeling_type=labeling_type, dataset_id=dataset_id)
    return page_of(found, limit=limit, cursor_of=lambda j: j.id)


@router.get("/{job_id}", operation_id="getLabelingJob")
async def get_job(job: CurrentJob, deps: Deps) -> JobDetails:
    """The job with All / Unlabeled / Labeled counts and per label the samples having it."""
    dataset = await deps.datasets.get(job.dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {job.dataset_id!r} of job {job.id!r} is gone")
    return await job_cases.job_details(job, dataset, deps.samples)


class Synchronized(BaseModel):
    job: LabelingJob
    new_samples: int


@router.post("/{job_id}/synchronize", operation_id="synchronizeLabelingJob")
async def synchronize(job: CurrentJob, deps: Deps) -> Synchronized:
    """Synchronize new data: the samples that arrived since the last synchronization (they are in the job as their
    events come; this reports them and moves the job's mark)."""

    async def work(tx: LabelingTransaction) -> tuple[LabelingJob, int]:
        return await job_cases.synchronize(tx, job_id=job.id)

    synced, new = await deps.run(work)
    return Synchronized(job=synced, new_samples=new)


class JobSamplePublic(BaseModel):
    id: str
    dataset_id: str
    key: str
    file_name: str
    media_kind: MediaKind
    media: MediaMetadata | None
    status: str
    labeled_by: str | None
    label_counts: dict[str, int]
    hard_example: bool
    revision: int
    added_at: datetime

    @classmethod
    def of(cls, sample: LabelingSample) -> JobSamplePublic:
        return cls.model_validate(sample.model_dump())


class JobSamplePage(Page[JobSamplePublic]):
    counts: SampleCounts | None = None


@router.get("/{job_id}/samples", operation_id="listLabelingJobSamples")
async def list_samples(
    job: CurrentJob,
    deps: Deps,
    tab: Tab = "all",
    hard_example: bool | None = None,
    label: Annotated[list[str] | None, Query(max_length=50, description="repeatable: samples with any of them")] = None,
    name: Annotated[str | None, Query(max_length=200, description="part of the file name or path")] = None,
    labeled_by: Annotated[str | None, Query(max_length=200)] = None,
    with_counts: bool = False,
    limit: LimitQuery = 50,
    cursor: SampleCursorQuery = None,
) -> JobSamplePage:
    """The job's samples in object key order, one tab, filters combined; `with_counts` adds the tab counts for the
    same filters (counted: costs more on large jobs)."""
    query = SampleQuery(tab=tab, hard_example=hard_example, labels=tuple(label or ()), name=name, labeled_by=labeled_by)
    after = SamplePosition.from_cursor(cursor) if cursor else None
    found = await deps.samples.find(job.dataset_id, query=query, limit=limit + 1, after=after)
    page = page_of(found, limit=limit, cursor_of=lambda s: SamplePosition.of(s).to_cursor())
    counts = await deps.samples.count(job.dataset_id, query=query) if with_counts else None
    return JobSamplePage(items=[JobSamplePublic.of(s) for s in page.items], next_cursor=page.next_cursor, counts=counts)
