"""Deleting samples: which samples a deletion selects, the deletion itself (done at once when it fits one batch,
else run in batches by the worker), and what a preview tells before it: who else uses the same source objects.
Pure: no IO, no framework."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, NamedTuple

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.sample_listing import SamplePosition
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.domain.samples import Sample, SampleQuery

MAX_SELECTED_IDS = 10_000  # a selection by ids is what a person picks on pages; more is a filter's job
DELETION_BATCH = 1000  # samples deleted per transaction (and per SampleDeleted event)
DeletionStatus = Literal["queued", "running", "succeeded", "failed"]


class SourceObject(NamedTuple):
    """An object in a bucket, which samples of several datasets and versions may share."""

    bucket: str
    key: str

    @classmethod
    def of(cls, sample: Sample) -> SourceObject:
        return cls(sample.bucket, sample.key)


class ObjectReference(NamedTuple):
    """`holder` (a dataset or a version, by id) uses `object`."""

    holder: str
    object: SourceObject


class SampleSelection(BaseModel):
    """Samples of one dataset picked either by id (one, several, all on a page) or by a filter (all matching it)."""

    model_config = ConfigDict(frozen=True)

    sample_ids: tuple[str, ...] | None = None
    query: SampleQuery | None = None

    @classmethod
    def of(cls, *, sample_ids: list[str] | None, query: SampleQuery | None) -> SampleSelection:
        if (sample_ids is None) == (query is None):
            raise InvalidInputError("selection: give either sample_ids or filter (not both, not neither)")
        if sample_ids is None:
            return cls(query=query)
        ids = tuple(dict.fromkeys(sample_ids))
        if not ids:
            raise InvalidInputError("sample_ids: select at least one sample")
        if len(ids) > MAX_SELECTED_IDS:
            raise InvalidInputError(
                f"sample_ids: {len(ids)} ids is more than {MAX_SELECTED_IDS}; select by filter instead"
            )
        return cls(sample_ids=ids)

    def id_batches(self, *, size: int) -> list[tuple[str, ...]]:
        ids = self.sample_ids or ()
        return [ids[i : i + size] for i in range(0, len(ids), size)]


def missing_ids_error(missing: list[str], *, selected: int, dataset_id: str) -> InvalidInputError:
    """A selection naming samples the dataset does not have (deleted meanwhile, or never there)."""
    return InvalidInputError(
        f"sample_ids: {len(missing)} of {selected} samples not found in dataset {dataset_id!r}",
        details={"not_found": len(missing), "sample_ids": missing[:100]},
    )


class DeletionPreview(BaseModel):
    """What deleting a selection would do: how many samples go, and who else uses their source objects (other
    datasets' samples, versions of any dataset), which deleting the source objects would break."""

    model_config = ConfigDict(frozen=True)

    samples: int = 0
    other_datasets: int = 0
    versions: int = 0
    shared_objects: int = 0  # source objects of the selection used by another dataset or by a version


class ReferenceTally:
    """Adds up, page by page of a selection, who else uses the selection's source objects. Within a dataset an
    object has one sample (the sample id is derived from dataset and object), so pages never share objects."""

    def __init__(self) -> None:
        self._samples = 0
        self._datasets: set[str] = set()
        self._versions: set[str] = set()
        self._shared = 0

    def add(self, *, samples: int, datasets: list[ObjectReference], versions: list[ObjectReference]) -> None:
        self._samples += samples
        self._datasets.update(r.holder for r in datasets)
        self._versions.update(r.holder for r in versions)
        self._shared += len({r.object for r in datasets} | {r.object for r in versions})

    def result(self) -> DeletionPreview:
        return DeletionPreview(
            samples=self._samples,
            other_datasets=len(self._datasets),
            versions=len(self._versions),
            shared_objects=self._shared,
        )


class SampleDeletion(BaseModel):
    """A deletion of selected samples, with its progress. Each batch deletes its samples, fixes the counters,
    emits SampleDeleted and moves the progress on in one transaction, so a resumed deletion repeats nothing."""

    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    selection: SampleSelection
    delete_source: bool = False
    batch_size: int = Field(default=DELETION_BATCH, ge=1)
    status: DeletionStatus = "queued"
    deleted: int = Field(default=0, ge=0)
    batches_done: int = Field(default=0, ge=0)  # by ids: batches of `selection.id_batches()` done
    position: SamplePosition | None = None  # by filter: where the walk through the matching samples is
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def create(
        cls, *, dataset_id: str, selection: SampleSelection, delete_source: bool, batch_size: int = DELETION_BATCH
    ) -> SampleDeletion:
        return cls(
            id=uuid.uuid4().hex,
            dataset_id=dataset_id,
            selection=selection,
            delete_source=delete_source,
            batch_size=batch_size,
            created_at=utc_now(),
        )

    @property
    def is_finished(self) -> bool:
        return self.status in ("succeeded", "failed")

    def selects(self, sample: Sample) -> bool:
        """Whether a sample found by the selection is to be deleted: a filter spares samples added after the
        deletion was asked for (it deletes what the user saw)."""
        return sample.dataset_id == self.dataset_id and (
            self.selection.query is None or sample.added_at <= self.created_at
        )

    def advanced(self, *, deleted: int, position: SamplePosition | None = None) -> SampleDeletion:
        update: dict[str, object] = {"deleted": self.deleted + deleted, "batches_done": self.batches_done + 1}
        if position is not None:
            update["position"] = position
        return self.model_copy(update={**update, "status": "running"})

    def succeeded(self) -> SampleDeletion:
        return self.model_copy(update={"status": "succeeded", "finished_at": utc_now()})

    def failed(self, error: str) -> SampleDeletion:
        return self.model_copy(update={"status": "failed", "error": error[:2000], "finished_at": utc_now()})
