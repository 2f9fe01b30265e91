"""REST API of labeling-svc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from labelstream_shared.errors import NotFoundError
from pydantic import BaseModel

from labeling_svc.app.ports import LabelingDatasetRepository
from labeling_svc.domain.datasets import LabelingDataset

router = APIRouter(prefix="/api/labeling", tags=["labeling"])


@dataclass(frozen=True)
class LabelingDeps:
    datasets: LabelingDatasetRepository


def get_deps(request: Request) -> LabelingDeps:
    deps: LabelingDeps = request.app.state.deps
    return deps


Deps = Annotated[LabelingDeps, Depends(get_deps)]


class LabelingDatasetPage(BaseModel):
    items: list[LabelingDataset]
    next_cursor: str | None


@router.get("/datasets", operation_id="listLabelingDatasets")
async def list_datasets(
    deps: Deps,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> LabelingDatasetPage:
    """Datasets labeling-svc knows of (learnt from DatasetCreated events)."""
    found = await deps.datasets.list(limit=limit + 1, after=cursor)
    page = found[:limit]
    return LabelingDatasetPage(items=page, next_cursor=page[-1].id if len(found) > limit else None)


@router.get("/datasets/{dataset_id}", operation_id="getLabelingDataset")
async def get_dataset(dataset_id: str, deps: Deps) -> LabelingDataset:
    dataset = await deps.datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to labeling (yet)")
    return dataset
