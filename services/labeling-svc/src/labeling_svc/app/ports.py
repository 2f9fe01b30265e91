"""What labeling's use cases and handlers need from storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from labelstream_shared.uow import Transaction

from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.datasets import LabelingDataset


class LabelingDatasetRepository(Protocol):
    async def save(self, dataset: LabelingDataset) -> None:
        """Insert or replace the dataset."""

    async def get(self, dataset_id: str) -> LabelingDataset | None: ...

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]: ...


class AnnotationRepository(Protocol):
    async def get_many(self, sample_ids: Sequence[str]) -> dict[str, Annotation]: ...

    async def save_many(self, annotations: Sequence[Annotation]) -> None:
        """Insert or replace."""

    async def get(self, sample_id: str) -> Annotation | None: ...


class LabelingTransaction(Transaction):
    datasets: LabelingDatasetRepository
    annotations: AnnotationRepository
