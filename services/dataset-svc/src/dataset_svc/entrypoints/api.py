"""REST API of dataset-svc, datasets (thin: validate, call a use case, shape the response); samples: samples.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status
from labelstream_shared.events.contracts import BucketPath, LabelDefinition, LabelingType
from labelstream_shared.uow import TransactionRunner
from labelstream_shared.web import IdCursorQuery, LimitQuery, Page, app_deps, error_responses, page_of
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.app import use_cases
from dataset_svc.app.ports import (
    BucketDirectory,
    DatasetPurgeRepository,
    DatasetRepository,
    DatasetTransaction,
    ExportRepository,
    ExportStorage,
    SampleCountRepository,
    SampleDeletionRepository,
    SampleRepository,
    VersionHeadRepository,
    VersionRepository,
)
from dataset_svc.domain.datasets import Dataset

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@dataclass(frozen=True)
class DatasetDeps:
    run: TransactionRunner[DatasetTransaction]
    datasets: DatasetRepository
    samples: SampleRepository
    sample_counts: SampleCountRepository
    buckets: BucketDirectory
    deletions: SampleDeletionRepository
    purges: DatasetPurgeRepository
    versions: VersionRepository
    version_heads: VersionHeadRepository
    exports: ExportRepository
    export_storage: ExportStorage


Deps = Annotated[DatasetDeps, Depends(app_deps)]


async def current_dataset(dataset_id: str, deps: Deps) -> Dataset:
    """The dataset named in the path; 404 when there is none."""
    return await use_cases.get_dataset(deps.datasets, dataset_id)


CurrentDataset = Annotated[Dataset, Depends(current_dataset)]
# A POST that creates a version or an export may carry one: sent again with the same key, the request answers what
# the first one created (a client retrying after a lost answer creates nothing twice); another request with a used
# key is 409 (dataset_svc.domain.requests).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="a key of the client's choosing (e.g. a UUID) that makes a retry of this request safe",
    ),
]
LabelList = Annotated[list[LabelDefinition], Field(max_length=500)]


class DatasetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: LabelList = Field(default_factory=list)


class DatasetUpdate(BaseModel):
    """The editable fields; those left out keep their value. Labeling type and paths are fixed at creation."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    labels: LabelList | None = Field(
        default=None,
        description="Accepted only when equal to the current set (nothing changes); the label set is edited through "
        "/api/labeling/datasets/{id}/labels, which owns it",
    )


class DatasetPublic(BaseModel):
    id: str
    name: str
    description: str
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: list[LabelDefinition] = Field(
        description="The label set as labeling-svc, its owner, last announced it (LabelSetChanged); edit it there"
    )
    label_set_revision: int = Field(description="The revision of labeling-svc's label set that `labels` shows")
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetPublic:
        return cls.model_validate(dataset.model_dump())


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createDataset", responses=error_responses(409))
async def create_dataset(body: DatasetCreate, deps: Deps) -> DatasetPublic:
    command = use_cases.CreateDataset(**body.model_dump(exclude={"labels"}), labels=tuple(body.labels))
    return DatasetPublic.of(await use_cases.create_dataset(command, run=deps.run, buckets=deps.buckets))


@router.get("", operation_id="listDatasets")
async def list_datasets(deps: Deps, limit: LimitQuery = 50, cursor: IdCursorQuery = None) -> Page[DatasetPublic]:
    found = await deps.datasets.list(limit=limit + 1, after=cursor)
    return page_of([DatasetPublic.of(d) for d in found], limit=limit, cursor_of=lambda d: d.id)


@router.get("/{dataset_id}", operation_id="getDataset")
async def get_dataset(dataset: CurrentDataset) -> DatasetPublic:
    return DatasetPublic.of(dataset)


@router.patch("/{dataset_id}", operation_id="updateDataset", responses=error_responses(409))
async def update_dataset(dataset_id: str, body: DatasetUpdate, deps: Deps) -> DatasetPublic:
    labels = tuple(body.labels) if body.labels is not None else None
    command = use_cases.UpdateDataset(name=body.name, description=body.description, labels=labels)
    return DatasetPublic.of(await use_cases.update_dataset(dataset_id, command, run=deps.run))


@router.delete("/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteDataset")
async def delete_dataset(dataset_id: str, deps: Deps) -> Response:
    """Delete the dataset and its samples (never the objects in the buckets). The samples are gone from the API
    at once; a background job removes them from the database in batches."""
    await use_cases.delete_dataset(dataset_id, run=deps.run)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
