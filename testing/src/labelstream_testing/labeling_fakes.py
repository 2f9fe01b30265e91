"""In-memory fakes of labeling-svc's adapters, for unit tests (the contract tests hold them to MongoDB's behaviour).

A sample row holds the sample, its annotation and the annotation's summary, like the MongoDB document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation, HistoryEntry, Labeler
from labeling_svc.domain.datasets import LabelingDataset
from labeling_svc.domain.imports import ImportedShapes
from labeling_svc.domain.jobs import LabelingJob
from labeling_svc.domain.samples import LabelingSample, MediaResult, SampleCounts, SampleQuery
from labelstream_shared.events.contracts import LabelingType, MediaMetadata
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.samples import STATUSES

from labelstream_testing.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner, page_rows

ANNOTATION_FIELDS = ("shapes", "revision", "labeled_by", "hard_example", "updated_at")


class InMemoryLabelingDatasetRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("datasets")

    async def save(self, dataset: LabelingDataset) -> None:
        self._rows[dataset.id] = dataset.model_dump()

    async def get(self, dataset_id: str) -> LabelingDataset | None:
        row = self._rows.get(dataset_id)
        return LabelingDataset.model_validate(row) if row else None

    async def existing_ids(self, dataset_ids: Iterable[str]) -> set[str]:
        return {i for i in dataset_ids if i in self._rows}

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]:
        return page_rows(self._rows, LabelingDataset, limit=limit, after=after)

    async def remove(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)


def _sample(row: dict[str, Any]) -> LabelingSample:
    return LabelingSample.model_validate(row)


def _annotation(row: dict[str, Any]) -> Annotation:
    return Annotation.model_validate({k: row[k] for k in ("id", "dataset_id", *ANNOTATION_FIELDS)})


class InMemorySampleRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("samples")

    def _added(self) -> list[dict[str, Any]]:
        return [r for r in self._rows.values() if "status" in r]

    async def add_new(self, samples: Sequence[LabelingSample]) -> list[LabelingSample]:
        inserted: list[LabelingSample] = []
        for sample in samples:
            row = self._rows.get(sample.id)
            if (row is not None and "status" in row) or any(s.id == sample.id for s in inserted):
                continue
            media = row.get("media") if row else None
            failed = bool(row.get("media_failed")) if row else False
            revision = row.get("revision", 0) if row else 0  # a sample added again continues its revisions
            metadata = MediaMetadata.model_validate(media) if media else None
            new = sample.model_copy(update={"media": metadata, "media_failed": failed, "revision": revision})
            annotation = Annotation.empty(sample_id=sample.id, dataset_id=sample.dataset_id)
            fields = annotation.model_dump(include=set(ANNOTATION_FIELDS))
            self._rows[sample.id] = {**new.model_dump(), **fields, "revision": revision, "updated_at": sample.added_at}
            inserted.append(new)
        return inserted

    async def set_media_results(self, results: Sequence[MediaResult]) -> None:
        for r in results:
            row = self._rows.setdefault(r.sample_id, {"id": r.sample_id, "dataset_id": r.dataset_id})
            if r.media is not None:
                row.update(media=r.media.model_dump(), media_failed=False)
            else:
                row["media_failed"] = True

    async def holding_imports(self, sample_ids: Iterable[str]) -> set[str]:
        return {i for i in sample_ids if self._rows.get(i, {}).get("held_imports")}

    async def hold_import(self, imported: ImportedShapes) -> None:
        row = self._rows.get(imported.sample_id)
        if row is not None and "status" in row:
            row.setdefault("held_imports", []).append(imported.model_dump())

    async def take_held_imports(self, sample_id: str) -> list[ImportedShapes]:
        row = self._rows.get(sample_id) or {}
        return [ImportedShapes.model_validate(held) for held in row.pop("held_imports", [])]

    async def get(self, sample_id: str) -> LabelingSample | None:
        row = self._rows.get(sample_id)
        return _sample(row) if row and "status" in row else None

    async def get_with_annotation(self, sample_id: str) -> tuple[LabelingSample, Annotation] | None:
        row = self._rows.get(sample_id)
        return (_sample(row), _annotation(row)) if row and "status" in row else None

    async def find(
        self, dataset_id: str, *, query: SampleQuery, limit: int, after: SamplePosition | None = None
    ) -> list[LabelingSample]:
        samples = [_sample(r) for r in self._added() if r["dataset_id"] == dataset_id]
        found = [s for s in samples if query.matches(s) and (after is None or after.is_before(s))]
        return sorted(found, key=lambda s: (s.key, s.id))[:limit]

    async def count(self, dataset_id: str, *, query: SampleQuery) -> SampleCounts:
        samples = [_sample(r) for r in self._added() if r["dataset_id"] == dataset_id]
        counts = {status: sum(1 for s in samples if query.for_tab(status).matches(s)) for status in STATUSES}
        return SampleCounts.model_validate(counts)

    async def count_with_label(self, dataset_id: str, label: str) -> int:
        rows = [r for r in self._added() if r["dataset_id"] == dataset_id]
        return sum(1 for r in rows if r["label_counts"].get(label, 0) > 0)

    async def count_added_since(self, dataset_id: str, since: datetime) -> int:
        return sum(1 for r in self._added() if r["dataset_id"] == dataset_id and r["added_at"] > since)

    async def remove(self, dataset_id: str, sample_ids: Sequence[str]) -> dict[str, int]:
        removed: dict[str, int] = {}
        for sample_id in dict.fromkeys(sample_ids):
            row = self._rows.get(sample_id)
            if row is None or row["dataset_id"] != dataset_id or "status" not in row:
                continue
            revision = row["revision"] + 1 if row["revision"] else 0
            self._rows[sample_id] = {
                "id": sample_id,
                "dataset_id": dataset_id,
                "media": row.get("media"),
                "media_failed": row.get("media_failed", False),
                "revision": revision,
            }
            removed[sample_id] = revision
        return removed

    async def dataset_ids(self) -> list[str]:
        return sorted({str(r["dataset_id"]) for r in self._rows.values()})

    async def remove_some(self, dataset_id: str, *, limit: int) -> dict[str, int]:
        rows = [r for r in self._rows.values() if r["dataset_id"] == dataset_id][:limit]
        for row in rows:
            del self._rows[row["id"]]
        return {str(r["id"]): int(r.get("revision", 0)) for r in rows}


class InMemoryAnnotationRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("samples")

    async def get_many(self, sample_ids: Sequence[str]) -> dict[str, Annotation]:
        rows = {i: self._rows[i] for i in sample_ids if i in self._rows and "status" in self._rows[i]}
        return {i: _annotation(row) for i, row in rows.items()}

    async def get(self, sample_id: str) -> Annotation | None:
        return (await self.get_many([sample_id])).get(sample_id)

    async def save(self, annotation: Annotation, *, expected_revision: int) -> bool:
        row = self._rows.get(annotation.id)
        if row is None or "status" not in row or row["revision"] != expected_revision:
            return False
        sample = _sample(row).annotated(annotation)
        row.update({**sample.model_dump(), **annotation.model_dump(include=set(ANNOTATION_FIELDS))})
        return True

    async def with_label(self, dataset_id: str, label: str, *, limit: int) -> list[Annotation]:
        rows = [r for r in self._rows.values() if r["dataset_id"] == dataset_id and "status" in r]
        found = sorted((r for r in rows if r["label_counts"].get(label, 0) > 0), key=lambda r: str(r["id"]))
        return [_annotation(r) for r in found[:limit]]

    async def labelers(self, dataset_id: str) -> list[Labeler]:
        rows = [r for r in self._rows.values() if r["dataset_id"] == dataset_id and r.get("status") == "labeled"]
        counts = Counter(str(r["labeled_by"]) for r in rows if r.get("labeled_by") is not None)
        return [Labeler(username=name, samples=n) for name, n in sorted(counts.items())]


class InMemoryHistoryRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("history")

    async def add(self, entry: HistoryEntry) -> None:
        self._rows[entry.id] = entry.model_dump()

    async def list(self, sample_id: str, *, limit: int, after: str | None = None) -> list[HistoryEntry]:
        rows = sorted((r for r in self._rows.values() if r["sample_id"] == sample_id), key=lambda r: str(r["id"]))
        return [HistoryEntry.model_validate(r) for r in rows if after is None or r["id"] > after][:limit]

    async def remove(self, sample_ids: Sequence[str]) -> None:
        gone = set(sample_ids)
        for entry_id in [i for i, r in self._rows.items() if r["sample_id"] in gone]:
            del self._rows[entry_id]


class InMemoryJobRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("jobs")

    async def save(self, job: LabelingJob) -> None:
        self._rows[job.id] = job.model_dump()

    async def get(self, job_id: str) -> LabelingJob | None:
        row = self._rows.get(job_id)
        return LabelingJob.model_validate(row) if row else None

    async def list(
        self,
        *,
        limit: int,
        after: str | None = None,
        labeling_type: LabelingType | None = None,
        dataset_id: str | None = None,
    ) -> list[LabelingJob]:
        rows = {
            i: r
            for i, r in self._rows.items()
            if (labeling_type is None or r["labeling_type"] == labeling_type)
            and (dataset_id is None or r["dataset_id"] == dataset_id)
        }
        return page_rows(rows, LabelingJob, limit=limit, after=after)

    async def remove_dataset(self, dataset_id: str) -> None:
        for job_id in [i for i, r in self._rows.items() if r["dataset_id"] == dataset_id]:
            del self._rows[job_id]


class InMemoryLabelingTransaction(InMemoryTransaction, LabelingTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.datasets = InMemoryLabelingDatasetRepository(state)
        self.samples = InMemorySampleRepository(state)
        self.annotations = InMemoryAnnotationRepository(state)
        self.history = InMemoryHistoryRepository(state)
        self.jobs = InMemoryJobRepository(state)


def in_memory_runner(state: InMemoryState | None = None) -> InMemoryTransactionRunner[InMemoryLabelingTransaction]:
    return InMemoryTransactionRunner(
        lambda s: InMemoryLabelingTransaction(source="/labelstream/labeling-svc", state=s), state
    )
