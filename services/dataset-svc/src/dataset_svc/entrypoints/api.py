"""REST API of dataset-svc (thin: validate, call a use case, shape the response)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from labelstream_shared.events.contracts import BucketPath, LabelDefinition, LabelingType
from labelstream_shared.uow import TransactionRunner
from labelstream_shared.web import CursorQuery, LimitQuery, Page, app_deps, page_of
from pydantic import BaseModel, Field

from dataset_svc.app import use_cases
from dataset_svc.app.ports import DatasetRepository, DatasetTransaction
from dataset_svc.domain.datasets import Dataset

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@dataclass(frozen=True)
class DatasetDeps:
    run: TransactionRunner[DatasetTransaction]
    datasets: DatasetRepository


Deps = Annotated[DatasetDeps, Depends(app_deps)]


class DatasetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: list[LabelDefinition] = Field(default_factory=list, max_length=500)


class DatasetPublic(BaseModel):
    id: str
    name: str
    description: str
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: list[LabelDefinition]
    created_at: datetime

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetPublic:
        return cls.model_validate(dataset.model_dump())


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createDataset")
async def create_dataset(body: DatasetCreate, deps: Deps) -> DatasetPublic:
    command = use_cases.CreateDataset(**body.model_dump(exclude={"labels"}), labels=tuple(body.labels))
    return DatasetPublic.of(await use_cases.create_dataset(deps.run, command))


@router.get("", operation_id="listDatasets")
async def list_datasets(deps: Deps, limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[DatasetPublic]:
    found = await deps.datasets.list(limit=limit + 1, after=cursor)
    return page_of([DatasetPublic.of(d) for d in found], limit=limit, cursor_of=lambda d: d.id)


@router.get("/{dataset_id}", operation_id="getDataset")
async def get_dataset(dataset_id: str, deps: Deps) -> DatasetPublic:
    return DatasetPublic.of(await use_cases.get_dataset(deps.datasets, dataset_id))
