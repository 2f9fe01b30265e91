"""In-memory fakes of dataset-svc's adapters, for unit tests; same behaviour as adapters/mongo.py."""

from __future__ import annotations

from labelstream_shared.errors import ConflictError
from labelstream_shared.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner, page_rows

from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.domain.datasets import Dataset


class InMemoryDatasetRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("datasets")

    async def add(self, dataset: Dataset) -> None:
        if await self.get_by_name(dataset.name) is not None:
            raise ConflictError(f"name: a dataset named {dataset.name!r} already exists")
        self._rows[dataset.id] = dataset.model_dump()

    async def get(self, dataset_id: str) -> Dataset | None:
        row = self._rows.get(dataset_id)
        return Dataset.model_validate(row) if row else None

    async def get_by_name(self, name: str) -> Dataset | None:
        key = name.strip().casefold()
        for row in self._rows.values():
            if row["name"].casefold() == key:
                return Dataset.model_validate(row)
        return None

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        return page_rows(self._rows, Dataset, limit=limit, after=after)


class InMemoryDatasetTransaction(InMemoryTransaction, DatasetTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.datasets = InMemoryDatasetRepository(state)


def in_memory_runner(state: InMemoryState | None = None) -> InMemoryTransactionRunner[InMemoryDatasetTransaction]:
    return InMemoryTransactionRunner(
        lambda s: InMemoryDatasetTransaction(source="/labelstream/dataset-svc", state=s), state
    )
