"""What labeling's use cases and handlers need from storage."""

from __future__ import annotations

from typing import Protocol

from labelstream_shared.uow import Transaction

from labeling_svc.domain.datasets import LabelingDataset


class LabelingDatasetRepository(Protocol):
    async def save(self, dataset: LabelingDataset) -> None:
        """Insert or replace the dataset."""

    async def get(self, dataset_id: str) -> LabelingDataset | None: ...

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]: ...


class LabelingTransaction(Transaction):
    datasets: LabelingDatasetRepository
