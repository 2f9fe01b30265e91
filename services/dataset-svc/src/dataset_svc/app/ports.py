"""What the use cases need from storage: repository interfaces and the dataset transaction."""

from __future__ import annotations

from typing import Protocol

from labelstream_shared.uow import Transaction

from dataset_svc.domain.datasets import Dataset


class DatasetRepository(Protocol):
    async def add(self, dataset: Dataset) -> None:
        """Store a new dataset; raises ConflictError when its name is taken."""

    async def get(self, dataset_id: str) -> Dataset | None: ...

    async def get_by_name(self, name: str) -> Dataset | None: ...

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        """Datasets ordered by id, starting after the cursor `after`."""


class DatasetTransaction(Transaction):
    """A transaction of dataset-svc: its repositories plus `emit` for events."""

    datasets: DatasetRepository
