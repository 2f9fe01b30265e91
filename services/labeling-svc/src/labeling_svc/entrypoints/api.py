"""REST API of labeling-svc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from labelstream_shared.errors import NotFoundError
from labelstream_shared.web import CursorQuery, LimitQuery, Page, app_deps, page_of

from labeling_svc.app.ports import AnnotationRepository, LabelingDatasetRepository
from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.datasets import LabelingDataset

router = APIRouter(prefix="/api/labeling", tags=["labeling"])


@dataclass(frozen=True)
class LabelingDeps:
    datasets: LabelingDatasetRepository
    annotations: AnnotationRepository


Deps = Annotated[LabelingDeps, Depends(app_deps)]


@router.get("/datasets", operation_id="listLabelingDatasets")
async def list_datasets(deps: Deps, limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[LabelingDataset]:
    """Datasets labeling-svc knows of (learnt from DatasetCreated events)."""
    found = await deps.datasets.list(limit=limit + 1, after=cursor)
    return page_of(found, limit=limit, cursor_of=lambda d: d.id)


@router.get("/datasets/{dataset_id}", operation_id="getLabelingDataset")
async def get_dataset(dataset_id: str, deps: Deps) -> LabelingDataset:
    dataset = await deps.datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to labeling (yet)")
    return dataset


@router.get("/datasets/{dataset_id}/samples/{sample_id}/annotation", operation_id="getAnnotation")
async def get_annotation(dataset_id: str, sample_id: str, deps: Deps) -> Annotation:
    """A sample's current annotation (revision 0 and no shapes when it has none)."""
    annotation = await deps.annotations.get(sample_id)
    if annotation is not None and annotation.dataset_id != dataset_id:
        annotation = None
    return annotation or Annotation.empty(sample_id=sample_id, dataset_id=dataset_id)
