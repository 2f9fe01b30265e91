"""In-memory fakes of dataset-svc's adapters, for unit tests; same behaviour as adapters/mongo*.py and storage.py
(the contract tests run one suite against both)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.deletion import ObjectReference, SourceObject
from dataset_svc.domain.samples import MediaResult, Sample, SampleCounts, SampleQuery, distinct_by_id
from labelstream_shared.errors import ConflictError
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.samples import STATUSES

from labelstream_testing.dataset_fakes_versions import (
    InMemoryDatasetPurgeRepository,
    InMemoryExportRepository,
    InMemoryRows,
    InMemorySampleDeletionRepository,
    InMemorySampleLabelRepository,
    InMemoryVersionHeadRepository,
    InMemoryVersionObjectRepository,
    InMemoryVersionRepository,
)
from labelstream_testing.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner, page_rows


class InMemoryDatasetRepository(InMemoryRows):
    collection = "datasets"

    async def add(self, dataset: Dataset) -> None:
        await self._check_name_free(dataset)
        self._rows[dataset.id] = dataset.model_dump()

    async def replace(self, dataset: Dataset) -> None:
        await self._check_name_free(dataset)
        self._rows[dataset.id] = dataset.model_dump()

    async def remove(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)

    async def get(self, dataset_id: str) -> Dataset | None:
        row = self._rows.get(dataset_id)
        return Dataset.model_validate(row) if row else None

    async def existing_ids(self, dataset_ids: Iterable[str]) -> set[str]:
        return {i for i in dataset_ids if i in self._rows}

    async def get_by_name(self, name: str) -> Dataset | None:
        key = name.strip().casefold()
        for row in self._rows.values():
            if row["name"].casefold() == key:
                return Dataset.model_validate(row)
        return None

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        return page_rows(self._rows, Dataset, limit=limit, after=after)

    async def _check_name_free(self, dataset: Dataset) -> None:
        holder = await self.get_by_name(dataset.name)
        if holder is not None and holder.id != dataset.id:
            raise ConflictError(f"name: a dataset named {dataset.name!r} already exists")


class InMemorySampleRepository(InMemoryRows):
    collection = "samples"

    async def add_new(self, samples: Sequence[Sample]) -> list[Sample]:
        inserted = [s for s in distinct_by_id(samples) if s.id not in self._rows]
        for sample in inserted:
            self._rows[sample.id] = sample.model_dump()
        return inserted

    async def save_all(self, samples: Sequence[Sample]) -> None:
        for sample in samples:
            if sample.id in self._rows:
                self._rows[sample.id] = sample.model_dump()

    async def get(self, dataset_id: str, sample_id: str) -> Sample | None:
        row = self._rows.get(sample_id)
        return Sample.model_validate(row) if row and row["dataset_id"] == dataset_id else None

    async def get_many(self, sample_ids: Iterable[str]) -> list[Sample]:
        return [Sample.model_validate(self._rows[i]) for i in dict.fromkeys(sample_ids) if i in self._rows]

    async def find_objects(self, dataset_id: str, objects: Iterable[tuple[str, str]]) -> list[Sample]:
        wanted = set(objects)
        return [s for s in self._of(dataset_id) if (s.bucket, s.key) in wanted]

    async def users_of(self, objects: Sequence[SourceObject], *, other_than: str) -> list[ObjectReference]:
        wanted = set(objects)
        rows = self._rows.values()
        return [
            ObjectReference(r["dataset_id"], SourceObject(r["bucket"], r["key"]))
            for r in rows
            if r["dataset_id"] != other_than and (r["bucket"], r["key"]) in wanted
        ]

    async def find(
        self, dataset_id: str, *, query: SampleQuery, limit: int, after: SamplePosition | None = None
    ) -> list[Sample]:
        found = [s for s in self._of(dataset_id) if query.matches(s) and (after is None or after.is_before(s))]
        return sorted(found, key=lambda s: (s.key, s.id))[:limit]

    async def count(self, dataset_id: str, *, query: SampleQuery) -> SampleCounts:
        return SampleCounts.of(s for s in self._of(dataset_id) if query.for_tab("all").matches(s))

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        doomed = [s.id for s in self._of(dataset_id)][:limit]
        for sample_id in doomed:
            del self._rows[sample_id]
        return len(doomed)

    async def remove(self, dataset_id: str, sample_ids: Sequence[str]) -> None:
        for sample_id in sample_ids:
            if (row := self._rows.get(sample_id)) and row["dataset_id"] == dataset_id:
                del self._rows[sample_id]

    async def existing_ids(self, dataset_id: str, sample_ids: Sequence[str]) -> set[str]:
        return {i for i in sample_ids if (row := self._rows.get(i)) and row["dataset_id"] == dataset_id}

    def _of(self, dataset_id: str) -> list[Sample]:
        return [Sample.model_validate(r) for r in self._rows.values() if r["dataset_id"] == dataset_id]


class InMemorySampleCountRepository(InMemoryRows):
    collection = "sample_counts"

    async def get(self, dataset_id: str) -> SampleCounts:
        row = self._rows.get(dataset_id)
        return SampleCounts.model_validate(row) if row else SampleCounts()

    async def add(self, dataset_id: str, counts: SampleCounts) -> None:
        row = self._rows.setdefault(dataset_id, dict.fromkeys(STATUSES, 0))
        for status in STATUSES:
            row[status] += getattr(counts, status)

    async def remove(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)

    async def touch(self, dataset_id: str) -> None:
        """Nothing to do: the in-memory runner runs one transaction at a time."""


class InMemoryEarlyMediaRepository(InMemoryRows):
    collection = "early_media"

    async def hold(self, results: Mapping[str, tuple[str, MediaResult]]) -> None:
        for sample_id, (dataset_id, result) in results.items():
            self._rows[sample_id] = {"dataset_id": dataset_id, "result": result.model_dump()}

    async def take(self, sample_ids: Iterable[str]) -> dict[str, MediaResult]:
        held = {i: self._rows.pop(i) for i in set(sample_ids) if i in self._rows}
        return {i: MediaResult.model_validate(row["result"]) for i, row in held.items()}


class InMemoryBucketDirectory:
    def __init__(self, buckets: Iterable[str] = ()) -> None:
        self.buckets = set(buckets)

    async def exists(self, bucket: str) -> bool:
        return bucket in self.buckets


class InMemoryDatasetTransaction(InMemoryTransaction, DatasetTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.datasets = InMemoryDatasetRepository(state)
        self.samples = InMemorySampleRepository(state)
        self.sample_counts = InMemorySampleCountRepository(state)
        self.early_media = InMemoryEarlyMediaRepository(state)
        self.sample_labels = InMemorySampleLabelRepository(state)
        self.deletions = InMemorySampleDeletionRepository(state)
        self.purges = InMemoryDatasetPurgeRepository(state)
        self.versions = InMemoryVersionRepository(state)
        self.version_heads = InMemoryVersionHeadRepository(state)
        self.version_objects = InMemoryVersionObjectRepository(state)
        self.exports = InMemoryExportRepository(state)


def in_memory_runner(state: InMemoryState | None = None) -> InMemoryTransactionRunner[InMemoryDatasetTransaction]:
    return InMemoryTransactionRunner(
        lambda s: InMemoryDatasetTransaction(source="/labelstream/dataset-svc", state=s), state
    )
