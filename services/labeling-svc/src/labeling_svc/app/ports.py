"""What labeling's use cases and handlers need from storage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from labelstream_shared.events.contracts import LabelingType
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.uow import Transaction

from labeling_svc.domain.annotations import Annotation, HistoryEntry, Labeler
from labeling_svc.domain.datasets import LabelingDataset
from labeling_svc.domain.imports import ImportedShapes
from labeling_svc.domain.jobs import LabelingJob
from labeling_svc.domain.samples import LabelingSample, MediaResult, SampleCounts, SampleQuery


class LabelingDatasetRepository(Protocol):
    async def save(self, dataset: LabelingDataset) -> None:
        """Insert or replace the dataset."""

    async def get(self, dataset_id: str) -> LabelingDataset | None: ...

    async def existing_ids(self, dataset_ids: Iterable[str]) -> set[str]:
        """Which of these datasets are known."""

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]: ...

    async def remove(self, dataset_id: str) -> None: ...


class SampleRepository(Protocol):
    """Samples with their annotation summary. A sample is listed once its DataAdded came; media learnt earlier is
    kept for it."""

    async def add_new(self, samples: Sequence[LabelingSample]) -> list[LabelingSample]:
        """Insert the samples not added yet; returns those inserted."""

    async def set_media_results(self, results: Sequence[MediaResult]) -> None:
        """Record the results in order (in bulk), whether or not the samples were added yet; a failed result keeps
        what was known of the media."""

    async def hold_import(self, imported: ImportedShapes) -> None:
        """Keep an imported annotation on its (added) sample until the sample's media is known."""

    async def take_held_imports(self, sample_id: str) -> list[ImportedShapes]:
        """The imported annotations held on the sample, in the order they came; they are no longer held."""

    async def holding_imports(self, sample_ids: Iterable[str]) -> set[str]:
        """Which of these samples hold imported annotations."""

    async def get(self, sample_id: str) -> LabelingSample | None:
        """The sample, once added."""

    async def get_with_annotation(self, sample_id: str) -> tuple[LabelingSample, Annotation] | None:
        """The sample and its annotation, in one read (what a write needs)."""

    async def find(
        self, dataset_id: str, *, query: SampleQuery, limit: int, after: SamplePosition | None = None
    ) -> list[LabelingSample]: ...

    async def count(self, dataset_id: str, *, query: SampleQuery) -> SampleCounts: ...

    async def count_with_label(self, dataset_id: str, label: str) -> int: ...

    async def count_added_since(self, dataset_id: str, since: datetime) -> int: ...

    async def remove(self, dataset_id: str, sample_ids: Sequence[str]) -> dict[str, int]:
        """Remove the samples and their shapes; returns each removed id with the revision its annotation now
        has: one more than before when it had any (the deletion is a change), so that a sample added again
        continues its revisions and readers that keep the newest revision take what follows."""

    async def dataset_ids(self) -> list[str]:
        """The datasets that have samples (or media results) stored."""

    async def remove_some(self, dataset_id: str, *, limit: int) -> dict[str, int]:
        """Remove up to `limit` samples of the dataset for good; returns each removed id with its revision."""


class AnnotationRepository(Protocol):
    async def get_many(self, sample_ids: Sequence[str]) -> dict[str, Annotation]: ...

    async def get(self, sample_id: str) -> Annotation | None:
        """The annotation of an added sample (revision 0 and no shapes before its first change)."""

    async def save(self, annotation: Annotation, *, expected_revision: int) -> bool:
        """Store the annotation (and the sample's summary) if the stored revision is still `expected_revision`."""

    async def with_label(self, dataset_id: str, label: str, *, limit: int) -> list[Annotation]: ...

    async def labelers(self, dataset_id: str) -> list[Labeler]:
        """Who labeled the dataset's labeled samples (the last to change each), by username."""


class HistoryRepository(Protocol):
    async def add(self, entry: HistoryEntry) -> None: ...

    async def list(self, sample_id: str, *, limit: int, after: str | None = None) -> list[HistoryEntry]: ...

    async def remove(self, sample_ids: Sequence[str]) -> None: ...


class JobRepository(Protocol):
    async def save(self, job: LabelingJob) -> None: ...

    async def get(self, job_id: str) -> LabelingJob | None: ...

    async def list(
        self,
        *,
        limit: int,
        after: str | None = None,
        labeling_type: LabelingType | None = None,
        dataset_id: str | None = None,
    ) -> list[LabelingJob]: ...

    async def remove_dataset(self, dataset_id: str) -> None: ...


class LabelingTransaction(Transaction):
    datasets: LabelingDatasetRepository
    samples: SampleRepository
    annotations: AnnotationRepository
    history: HistoryRepository
    jobs: JobRepository
