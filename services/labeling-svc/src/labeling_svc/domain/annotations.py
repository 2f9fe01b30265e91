"""A sample's annotation: its shapes, with a revision that grows with every change. Pure: no IO.

Every change makes a new annotation (revision + 1) and says what changed (`AnnotationChange` and a summary in
words); the caller stores it, records it in the history and announces it (LabelChanged)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import ConflictError
from labelstream_shared.events.contracts import AnnotationChange, Shape
from labelstream_shared.samples import SampleStatus
from pydantic import BaseModel, ConfigDict


class StaleRevisionError(ConflictError):
    """A write based on an older revision than the current one: 409 with the current revision."""

    code = "stale_revision"

    def __init__(self, *, sample_id: str, based_on: int, current: int) -> None:
        super().__init__(
            f"sample {sample_id!r} is at revision {current}; the write was based on revision {based_on}",
            details={"current_revision": current, "based_on_revision": based_on},
        )
        self.current = current


class Annotation(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # the sample id
    dataset_id: str
    shapes: tuple[Shape, ...] = ()
    revision: int = 0
    labeled_by: str | None = None
    hard_example: bool = False
    updated_at: datetime

    @classmethod
    def empty(cls, *, sample_id: str, dataset_id: str) -> Annotation:
        return cls(id=sample_id, dataset_id=dataset_id, updated_at=utc_now())

    @property
    def status(self) -> SampleStatus:
        """A sample with at least one shape is labeled; one whose last shape is removed is unlabeled again."""
        return "labeled" if self.shapes else "unlabeled"

    @property
    def label_counts(self) -> dict[str, int]:
        return dict(Counter(s.label for s in self.shapes))

    def check_revision(self, based_on: int | None) -> None:
        """Optimistic concurrency: a write names the revision it read; None skips the check (imports only)."""
        if based_on is not None and based_on != self.revision:
            raise StaleRevisionError(sample_id=self.id, based_on=based_on, current=self.revision)

    def replaced(self, shapes: tuple[Shape, ...], *, labeled_by: str | None) -> tuple[Annotation, AnnotationChange]:
        """All shapes replaced (e.g. by an import or a save); returns the new annotation and what changed."""
        before = {s.shape_id: s for s in self.shapes}
        after = {s.shape_id: s for s in shapes}
        change = AnnotationChange(
            added=tuple(i for i in after if i not in before),
            updated=tuple(i for i in after if i in before and before[i] != after[i]),
            removed=tuple(i for i in before if i not in after),
        )
        who = labeled_by if shapes else None
        updated = self.model_copy(
            update={"shapes": shapes, "revision": self.revision + 1, "labeled_by": who, "updated_at": utc_now()}
        )
        return updated, change

    def without(self, unwanted: Callable[[Shape], bool], *, by: str | None) -> tuple[Annotation, AnnotationChange]:
        """The shapes `unwanted` picks removed."""
        return self.replaced(tuple(s for s in self.shapes if not unwanted(s)), labeled_by=by or self.labeled_by)

    def relabeled(self, old: str, new: str) -> tuple[Annotation, AnnotationChange]:
        """Shapes of label `old` now have label `new` (a label renamed everywhere); the labeler stays."""
        shapes = tuple(s.model_copy(update={"label": new}) if s.label == old else s for s in self.shapes)
        return self.replaced(shapes, labeled_by=self.labeled_by)

    def flagged(self, hard_example: bool) -> tuple[Annotation, AnnotationChange]:
        updated = self.model_copy(
            update={"hard_example": hard_example, "revision": self.revision + 1, "updated_at": utc_now()}
        )
        return updated, AnnotationChange()


def summary_of(change: AnnotationChange, *, operation: str) -> str:
    """What changed, in words, e.g. `save: 2 added, 1 removed`."""
    parts = [f"{len(ids)} {word}" for word, ids in (("added", change.added), ("updated", change.updated))]
    parts.append(f"{len(change.removed)} removed")
    counted = [p for p in parts if not p.startswith("0 ")]
    return f"{operation}: {', '.join(counted) or 'no shape changed'}"


class Labeler(BaseModel):
    """Someone who labeled in a dataset, with how many of its samples they labeled last (the Labeled By filter's
    choices)."""

    model_config = ConfigDict(frozen=True)

    username: str
    samples: int


class RevisionSummary(BaseModel):
    """An annotation at one revision, summarised: shapes per label."""

    model_config = ConfigDict(frozen=True)

    revision: int
    shapes: int
    labels: dict[str, int]
    hard_example: bool

    @classmethod
    def of(cls, annotation: Annotation) -> RevisionSummary:
        return cls(
            revision=annotation.revision,
            shapes=len(annotation.shapes),
            labels=annotation.label_counts,
            hard_example=annotation.hard_example,
        )


class HistoryEntry(BaseModel):
    """One accepted change of a sample's annotation: who, when, what, before and after."""

    model_config = ConfigDict(frozen=True)

    id: str  # the sample id and the revision: one entry per revision, in revision order
    sample_id: str
    dataset_id: str
    revision: int
    by: str | None
    at: datetime
    operation: str
    summary: str
    change: AnnotationChange
    before: RevisionSummary
    after: RevisionSummary

    @staticmethod
    def id_for(sample_id: str, revision: int) -> str:
        return f"{sample_id}:{revision:010d}"
