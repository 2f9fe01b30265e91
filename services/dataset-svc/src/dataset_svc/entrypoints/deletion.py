"""REST API of dataset-svc, deleting samples: the preview, the deletion and its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.app import deletion as deletions
from dataset_svc.domain.deletion import MAX_SELECTED_IDS, DeletionStatus, SampleDeletion, SampleSelection
from dataset_svc.domain.samples import SampleQuery, Tab
from dataset_svc.entrypoints.api import CurrentDataset, Deps

router = APIRouter(prefix="/api/datasets/{dataset_id}/samples", tags=["samples"])


class SampleFilter(BaseModel):
    """The listing's tab and filters (`labels`: samples with shapes of any of them)."""

    model_config = ConfigDict(extra="forbid")

    tab: Tab = "all"
    hard_example: bool | None = None
    labels: list[str] = Field(default_factory=list, max_length=50)
    name: str | None = Field(default=None, max_length=200)
    labeled_by: str | None = Field(default=None, max_length=200)

    def query(self) -> SampleQuery:
        return SampleQuery(**self.model_dump(exclude={"labels"}), labels=tuple(self.labels))

    @classmethod
    def of(cls, query: SampleQuery) -> SampleFilter:
        return cls(**query.model_dump(exclude={"labels"}), labels=list(query.labels))


class SampleSelectionIn(BaseModel):
    """Either `sample_ids` (one, several, all on a page) or `filter` (all samples matching it)."""

    model_config = ConfigDict(extra="forbid")

    sample_ids: list[Annotated[str, Field(max_length=128)]] | None = Field(default=None, max_length=MAX_SELECTED_IDS)
    filter: SampleFilter | None = None

    def selection(self) -> SampleSelection:
        query = self.filter.query() if self.filter is not None else None
        return SampleSelection.of(sample_ids=self.sample_ids, query=query)


class SampleDeletionCreate(SampleSelectionIn):
    delete_source: bool = False  # also delete the source objects from the bucket (sync-svc does it)


class DeletionPreviewPublic(BaseModel):
    samples: int
    other_datasets: int
    versions: int
    shared_objects: int


class SampleDeletionPublic(BaseModel):
    id: str
    dataset_id: str
    status: DeletionStatus
    selected_by: Literal["sample_ids", "filter"]
    selected_ids: int | None  # how many ids were selected (by ids)
    filter: SampleFilter | None
    delete_source: bool
    deleted: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, deletion: SampleDeletion) -> SampleDeletionPublic:
        ids, query = deletion.selection.sample_ids, deletion.selection.query
        return cls(
            **deletion.model_dump(include={"id", "dataset_id", "status", "delete_source", "deleted", "error"}),
            selected_by="sample_ids" if ids is not None else "filter",
            selected_ids=len(ids) if ids is not None else None,
            filter=SampleFilter.of(query) if query is not None else None,
            created_at=deletion.created_at,
            finished_at=deletion.finished_at,
        )


@router.post("/deletion-preview", operation_id="previewSampleDeletion")
async def preview_sample_deletion(
    dataset: CurrentDataset, body: SampleSelectionIn, deps: Deps
) -> DeletionPreviewPublic:
    """How many samples the selection deletes, and how many other datasets and versions use the same source
    objects (bucket and key), with the number of such shared objects: what deleting the sources would break."""
    preview = await deletions.preview_deletion(dataset.id, body.selection(), run=deps.run)
    return DeletionPreviewPublic.model_validate(preview.model_dump())


@router.post(
    "/deletions",
    operation_id="deleteSamples",
    responses={status.HTTP_202_ACCEPTED: {"model": SampleDeletionPublic, "description": "queued: poll it"}},
)
async def delete_samples(
    dataset: CurrentDataset, body: SampleDeletionCreate, deps: Deps, response: Response
) -> SampleDeletionPublic:
    """Delete the selected samples (and with `delete_source` their source objects). Up to 1,000 samples are
    deleted at once (200, status `succeeded`); more are deleted in the background (202, status `queued`, the
    `Location` to poll)."""
    deletion = await deletions.delete_samples(
        dataset.id, body.selection(), delete_source=body.delete_source, run=deps.run
    )
    if not deletion.is_finished:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"/api/datasets/{dataset.id}/samples/deletions/{deletion.id}"
    return SampleDeletionPublic.of(deletion)


@router.get("/deletions/{deletion_id}", operation_id="getSampleDeletion")
async def get_sample_deletion(dataset: CurrentDataset, deletion_id: str, deps: Deps) -> SampleDeletionPublic:
    found = await deletions.get_deletion(deps.deletions, dataset_id=dataset.id, deletion_id=deletion_id)
    return SampleDeletionPublic.of(found)
