"""What the use cases need from storage and the outside world: repository interfaces and the dataset transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from labelstream_shared.uow import Transaction

from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.samples import MediaResult, Sample, SampleCounts, SamplePosition, SampleQuery


class DatasetRepository(Protocol):
    async def add(self, dataset: Dataset) -> None:
        """Store a new dataset; raises ConflictError when its name is taken."""

    async def replace(self, dataset: Dataset) -> None:
        """Store a changed dataset; raises ConflictError when another dataset has its name."""

    async def remove(self, dataset_id: str) -> None: ...

    async def get(self, dataset_id: str) -> Dataset | None: ...

    async def get_by_name(self, name: str) -> Dataset | None: ...

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        """Datasets ordered by id, starting after the cursor `after`."""


class SampleRepository(Protocol):
    async def add_new(self, samples: Sequence[Sample]) -> list[Sample]:
        """Insert (in bulk) the samples whose id is not stored yet; returns those. Stored ones stay untouched."""

    async def save_all(self, samples: Sequence[Sample]) -> None:
        """Replace stored samples (in bulk). Their status must not change here: tab counters follow adds only."""

    async def get(self, dataset_id: str, sample_id: str) -> Sample | None: ...

    async def get_many(self, sample_ids: Iterable[str]) -> list[Sample]:
        """The stored samples among these ids, whatever their dataset."""

    async def find_objects(self, dataset_id: str, objects: Iterable[tuple[str, str]]) -> list[Sample]:
        """The dataset's samples of these (bucket, key) objects."""

    async def find(
        self, dataset_id: str, *, query: SampleQuery, limit: int, after: SamplePosition | None = None
    ) -> list[Sample]:
        """Samples matching `query`, ordered by key then id, starting after `after` (stable keyset pagination)."""

    async def count(self, dataset_id: str, *, query: SampleQuery) -> SampleCounts:
        """How many samples match `query` in each tab (the query's own tab is ignored)."""

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        """Remove up to `limit` samples of the dataset; returns how many (0 once none are left)."""


class SampleCountRepository(Protocol):
    """Per-dataset tab counters, changed in the transactions that add or remove samples, so an unfiltered
    listing does not count a million samples on every request."""

    async def get(self, dataset_id: str) -> SampleCounts: ...

    async def add(self, dataset_id: str, counts: SampleCounts) -> None:
        """Add to the dataset's counters (creating them at zero first)."""

    async def remove(self, dataset_id: str) -> None: ...


class EarlyMediaRepository(Protocol):
    """Media results that arrived before their sample: MediaProcessed travels on another topic than DataAdded,
    so the consumer may read it first. They wait here until the sample is added (and expire if it never is)."""

    async def hold(self, *, dataset_id: str, sample_id: str, result: MediaResult) -> None:
        """Keep the result (the latest one per sample wins)."""

    async def take(self, sample_ids: Iterable[str]) -> dict[str, MediaResult]:
        """The results held for these samples, which are then forgotten."""


class BucketDirectory(Protocol):
    """Which buckets the object storage holds."""

    async def exists(self, bucket: str) -> bool: ...


class DatasetTransaction(Transaction):
    """A transaction of dataset-svc: its repositories plus `emit` for events."""

    datasets: DatasetRepository
    samples: SampleRepository
    sample_counts: SampleCountRepository
    early_media: EarlyMediaRepository
