"""REST API of labeling-svc: the datasets it knows and their label sets. Annotations and jobs have their own
routers (annotations.py, jobs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from labelstream_shared.errors import NotFoundError
from labelstream_shared.events.contracts import LabelDefinition
from labelstream_shared.uow import TransactionRunner
from labelstream_shared.web import IdCursorQuery, LimitQuery, Page, app_deps, error_responses, page_of
from pydantic import BaseModel, ConfigDict, Field

from labeling_svc.app import labels as label_cases
from labeling_svc.app.ports import (
    AnnotationRepository,
    HistoryRepository,
    JobRepository,
    LabelingDatasetRepository,
    LabelingTransaction,
    SampleRepository,
)
from labeling_svc.domain.annotations import Labeler
from labeling_svc.domain.datasets import LabelingDataset

router = APIRouter(prefix="/api/labeling", tags=["labeling"])


@dataclass(frozen=True)
class LabelingDeps:
    datasets: LabelingDatasetRepository
    annotations: AnnotationRepository
    samples: SampleRepository
    history: HistoryRepository
    jobs: JobRepository
    run: TransactionRunner[LabelingTransaction]


Deps = Annotated[LabelingDeps, Depends(app_deps)]
User = Annotated[str, Header(alias="X-User", max_length=200, description="who makes the change")]


async def current_dataset(dataset_id: str, deps: Deps) -> LabelingDataset:
    dataset = await deps.datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to labeling (yet)")
    return dataset


CurrentDataset = Annotated[LabelingDataset, Depends(current_dataset)]


@router.get("/datasets", operation_id="listLabelingDatasets")
async def list_datasets(deps: Deps, limit: LimitQuery = 50, cursor: IdCursorQuery = None) -> Page[LabelingDataset]:
    """Datasets labeling-svc knows of (learnt from DatasetCreated events)."""
    found = await deps.datasets.list(limit=limit + 1, after=cursor)
    return page_of(found, limit=limit, cursor_of=lambda d: d.id)


@router.get("/datasets/{dataset_id}", operation_id="getLabelingDataset")
async def get_dataset(dataset: CurrentDataset) -> LabelingDataset:
    return dataset


class LabelerList(BaseModel):
    items: list[Labeler]


@router.get("/datasets/{dataset_id}/labelers", operation_id="listLabelers")
async def list_labelers(dataset: CurrentDataset, deps: Deps) -> LabelerList:
    """Who labeled in the dataset (the Labeled By filter's choices), by username, each with the number of labeled
    samples they changed last."""
    return LabelerList(items=await deps.annotations.labelers(dataset.id))


class LabelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class LabelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class LabelChangeResult(BaseModel):
    dataset: LabelingDataset
    samples_changed: int


@router.post("/datasets/{dataset_id}/labels", operation_id="addLabel", status_code=201, responses=error_responses(409))
async def add_label(dataset_id: str, body: LabelCreate, deps: Deps, user: User = "anonymous") -> LabelingDataset:
    """Add a label to the dataset's label set (409 when the name exists)."""
    label = LabelDefinition(name=body.name, color=body.color)
    return await deps.run(lambda tx: label_cases.add_label(tx, dataset_id=dataset_id, label=label, by=user))


@router.patch("/datasets/{dataset_id}/labels/{name}", operation_id="changeLabel", responses=error_responses(409))
async def change_label(
    dataset_id: str, name: str, body: LabelUpdate, deps: Deps, user: User = "anonymous"
) -> LabelChangeResult:
    """Rename and/or recolour a label everywhere: every shape of it is renamed (a new revision per sample)."""
    dataset, changed = await label_cases.change_label(
        deps.run, dataset_id=dataset_id, name=name, new_name=body.name, color=body.color, by=user
    )
    return LabelChangeResult(dataset=dataset, samples_changed=changed)


@router.delete("/datasets/{dataset_id}/labels/{name}", operation_id="deleteLabel")
async def delete_label(dataset_id: str, name: str, deps: Deps, user: User = "anonymous") -> LabelChangeResult:
    """Delete a label from the whole dataset: it leaves the label set and its shapes are deleted from every sample
    (a sample left without shapes is unlabeled again)."""
    dataset, changed = await label_cases.delete_label(deps.run, dataset_id=dataset_id, name=name, by=user)
    return LabelChangeResult(dataset=dataset, samples_changed=changed)
