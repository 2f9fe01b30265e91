"""In-memory fakes of labeling-svc's adapters, for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from labelstream_shared.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner, page_rows

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.datasets import LabelingDataset


class InMemoryLabelingDatasetRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("datasets")

    async def save(self, dataset: LabelingDataset) -> None:
        self._rows[dataset.id] = dataset.model_dump()

    async def get(self, dataset_id: str) -> LabelingDataset | None:
        row = self._rows.get(dataset_id)
        return LabelingDataset.model_validate(row) if row else None

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]:
        return page_rows(self._rows, LabelingDataset, limit=limit, after=after)


class InMemoryAnnotationRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("annotations")

    async def get_many(self, sample_ids: Sequence[str]) -> dict[str, Annotation]:
        return {i: Annotation.model_validate(self._rows[i]) for i in sample_ids if i in self._rows}

    async def save_many(self, annotations: Sequence[Annotation]) -> None:
        self._rows.update({a.id: a.model_dump() for a in annotations})

    async def get(self, sample_id: str) -> Annotation | None:
        row = self._rows.get(sample_id)
        return Annotation.model_validate(row) if row else None


class InMemoryLabelingTransaction(InMemoryTransaction, LabelingTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.datasets = InMemoryLabelingDatasetRepository(state)
        self.annotations = InMemoryAnnotationRepository(state)


def in_memory_runner(state: InMemoryState | None = None) -> InMemoryTransactionRunner[InMemoryLabelingTransaction]:
    return InMemoryTransactionRunner(
        lambda s: InMemoryLabelingTransaction(source="/labelstream/labeling-svc", state=s), state
    )
