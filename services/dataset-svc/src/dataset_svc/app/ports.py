"""What the use cases need from storage and the outside world: repository interfaces and the dataset transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from labelstream_shared.jobs import JobQueue
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.uow import Transaction

from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.deletion import ObjectReference, SampleDeletion, SourceObject
from dataset_svc.domain.exports import Export
from dataset_svc.domain.labels import SampleLabels
from dataset_svc.domain.samples import MediaResult, Sample, SampleCounts, SampleQuery
from dataset_svc.domain.versions import ObjectLocation, Version


class DatasetRepository(Protocol):
    async def add(self, dataset: Dataset) -> None:
        """Store a new dataset; raises ConflictError when its name is taken."""

    async def replace(self, dataset: Dataset) -> None:
        """Store a changed dataset; raises ConflictError when another dataset has its name."""

    async def remove(self, dataset_id: str) -> None: ...

    async def get(self, dataset_id: str) -> Dataset | None: ...

    async def existing_ids(self, dataset_ids: Iterable[str]) -> set[str]:
        """Which of these datasets exist."""

    async def get_by_name(self, name: str) -> Dataset | None: ...

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        """Datasets ordered by id, starting after the cursor `after`."""


class SampleRepository(Protocol):
    async def add_new(self, samples: Sequence[Sample]) -> list[Sample]:
        """Insert (in bulk) the samples whose id is not stored yet; returns those. Stored ones stay untouched."""

    async def save_all(self, samples: Sequence[Sample]) -> None:
        """Replace stored samples (in bulk). Whoever changes a status changes the tab counters too."""

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

    async def remove(self, dataset_id: str, sample_ids: Sequence[str]) -> None:
        """Remove these samples of the dataset (ids of other datasets are left alone)."""

    async def existing_ids(self, dataset_id: str, sample_ids: Sequence[str]) -> set[str]:
        """Which of these ids are samples of the dataset."""

    async def users_of(self, objects: Sequence[SourceObject], *, other_than: str) -> list[ObjectReference]:
        """The datasets (other than `other_than`) having a sample on one of these objects, per object."""


class SampleCountRepository(Protocol):
    """Per-dataset tab counters, changed in the transactions that add or remove samples, so an unfiltered
    listing does not count a million samples on every request."""

    async def get(self, dataset_id: str) -> SampleCounts: ...

    async def add(self, dataset_id: str, counts: SampleCounts) -> None:
        """Add to the dataset's counters (creating them at zero first)."""

    async def remove(self, dataset_id: str) -> None: ...

    async def touch(self, dataset_id: str) -> None:
        """Write the dataset's counters without changing the counts. A transaction that holds an event for a sample
        not added yet touches them, so it conflicts with a concurrent one adding samples (which writes them too):
        one of the two retries and sees the other. Snapshot isolation would otherwise let both commit, each
        blind to the other's write (the held event would never be applied)."""


class EarlyMediaRepository(Protocol):
    """Media results that arrived before their sample: MediaProcessed travels on another topic than DataAdded,
    so the consumer may read it first. They wait here until the sample is added (and expire if it never is)."""

    async def hold(self, results: Mapping[str, tuple[str, MediaResult]]) -> None:
        """Keep the results, by sample id, each with its dataset id (the latest one per sample wins)."""

    async def take(self, sample_ids: Iterable[str]) -> dict[str, MediaResult]:
        """The results held for these samples, which are then forgotten."""


class SampleLabelRepository(Protocol):
    """The latest labels of each sample (from LabelChanged), kept whether or not the sample is stored: labels
    of a sample not added yet wait here, and a sample deleted and added again finds its labels."""

    async def get(self, sample_id: str) -> SampleLabels | None: ...

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, SampleLabels]: ...

    async def save_all(self, labels: Sequence[SampleLabels]) -> None:
        """Store each sample's labels in place of what was stored (in bulk)."""

    async def remove_some(self, dataset_id: str, *, limit: int) -> int: ...


class SampleDeletionRepository(JobQueue, Protocol):
    async def add(self, deletion: SampleDeletion) -> None: ...

    async def save(self, deletion: SampleDeletion) -> None: ...

    async def get(self, deletion_id: str) -> SampleDeletion | None: ...

    async def remove_some(self, dataset_id: str, *, limit: int) -> int: ...


class DatasetPurgeRepository(JobQueue, Protocol):
    """Deleted datasets whose samples are still to be removed: queued in the deleting transaction, so a purge
    survives a restart; a purge's job id is the dataset id."""

    async def add(self, dataset_id: str) -> None: ...

    async def finish(self, dataset_id: str) -> None: ...


class VersionRepository(JobQueue, Protocol):
    """Versions, and the jobs of publishing and deleting them (a version being published or deleted)."""

    async def add(self, version: Version) -> None: ...

    async def save(self, version: Version) -> None: ...

    async def get(self, version_id: str) -> Version | None:
        """The version, whatever its status."""

    async def list(self, dataset_id: str, *, limit: int, before: int | None = None) -> list[Version]:
        """The dataset's visible versions, newest (highest number) first, with numbers below `before`."""

    async def latest_published(self, dataset_id: str) -> Version | None: ...

    async def visible(self, version_ids: Iterable[str]) -> set[str]:
        """Which of these versions exist and are not being deleted."""

    async def remove(self, version_id: str) -> None: ...

    async def remove_some(self, dataset_id: str, *, limit: int) -> int: ...


class VersionHeadRepository(Protocol):
    """Per dataset: the last version number given out and the current version. Every write changes the
    dataset's one head document, so concurrent publications, "set to current" and deletions conflict and retry
    instead of giving out a number twice or leaving two current versions."""

    async def next_number(self, dataset_id: str) -> int:
        """The next version number (1, 2, ...): numbers are never given out twice."""

    async def current(self, dataset_id: str) -> str | None:
        """The id of the dataset's current version."""

    async def set_current(self, dataset_id: str, version_id: str | None) -> None: ...

    async def remove(self, dataset_id: str) -> None: ...


class VersionObjectRepository(Protocol):
    """Which source objects each version uses: what reference counting needs when samples are deleted."""

    async def add(self, *, dataset_id: str, version_id: str, objects: Sequence[SourceObject]) -> None: ...

    async def users_of(self, objects: Sequence[SourceObject]) -> list[ObjectReference]:
        """The versions using one of these objects, per object."""

    async def remove_some(self, *, dataset_id: str, version_id: str, limit: int) -> int: ...

    async def remove_some_of_dataset(self, dataset_id: str, *, limit: int) -> int: ...


class VersionFiles(Protocol):
    """The files of versions in the output bucket (derived files; never source objects)."""

    async def write(self, *, bucket: str, key: str, data: bytes, content_type: str) -> None: ...

    async def write_stream(self, *, bucket: str, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        """Write the object from chunks as they come (uploaded in parts, memory flat); returns its size."""

    async def remove(self, *, bucket: str, keys: Sequence[str]) -> None:
        """Remove these objects (a missing one is not an error)."""


class ExportRepository(JobQueue, Protocol):
    """Exports of versions, and the jobs of writing their archives (an export queued or running)."""

    async def add(self, export: Export) -> None: ...

    async def save(self, export: Export) -> None: ...

    async def get(self, export_id: str) -> Export | None: ...

    async def list(
        self, dataset_id: str, *, version_id: str | None, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[Export]:
        """The dataset's exports (of one version when given), newest first, older than `before` (created_at, id)."""

    async def remove(self, export_ids: Sequence[str]) -> None: ...

    async def remove_some(self, dataset_id: str, *, limit: int) -> int: ...


class ExportStorage(Protocol):
    """Object storage as an export uses it. Blocking: called from the export's worker thread (the archive is
    built by synchronous generators), and from the API's download streams of archives and version files (run in a
    thread pool)."""

    def lines(self, location: ObjectLocation) -> Iterator[bytes]:
        """The object's lines (a version's manifest), streamed."""

    def read(self, bucket: str, key: str) -> Iterator[bytes]:
        """The object's bytes, streamed."""

    def write(self, location: ObjectLocation, chunks: Iterator[bytes], *, content_type: str) -> int:
        """Store the object from chunks as they come (uploaded in parts, memory flat); returns its size. The
        object appears only once the last part is stored."""


class FrameSource(Protocol):
    """The frames of a video sample as JPEG, extracted in one pass (blocking: the export's thread)."""

    def frames(self, dataset_id: str, sample_id: str, frames: list[int]) -> Iterator[tuple[int, bytes]]:
        """(index, JPEG) of the given frames, ascending."""


class BucketDirectory(Protocol):
    """Which buckets the object storage holds."""

    async def exists(self, bucket: str) -> bool: ...


class DatasetTransaction(Transaction):
    """A transaction of dataset-svc: its repositories plus `emit` for events."""

    datasets: DatasetRepository
    samples: SampleRepository
    sample_counts: SampleCountRepository
    early_media: EarlyMediaRepository
    sample_labels: SampleLabelRepository
    deletions: SampleDeletionRepository
    purges: DatasetPurgeRepository
    versions: VersionRepository
    version_heads: VersionHeadRepository
    version_objects: VersionObjectRepository
    exports: ExportRepository
