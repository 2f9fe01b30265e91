"""A sample's annotation: its shapes, with a revision that grows with every change."""

from __future__ import annotations

from datetime import datetime

from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import AnnotationChange, Shape
from pydantic import BaseModel, ConfigDict


class Annotation(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # the sample id
    dataset_id: str
    shapes: tuple[Shape, ...] = ()
    revision: int = 0
    labeled_by: str | None = None
    updated_at: datetime

    @classmethod
    def empty(cls, *, sample_id: str, dataset_id: str) -> Annotation:
        return cls(id=sample_id, dataset_id=dataset_id, updated_at=utc_now())

    def replaced(self, shapes: tuple[Shape, ...], *, labeled_by: str | None) -> tuple[Annotation, AnnotationChange]:
        """All shapes replaced (e.g. by an import); returns the new annotation and what changed."""
        before = {s.shape_id: s for s in self.shapes}
        after = {s.shape_id: s for s in shapes}
        change = AnnotationChange(
            added=tuple(i for i in after if i not in before),
            updated=tuple(i for i in after if i in before and before[i] != after[i]),
            removed=tuple(i for i in before if i not in after),
        )
        updated = self.model_copy(
            update={"shapes": shapes, "revision": self.revision + 1, "labeled_by": labeled_by, "updated_at": utc_now()}
        )
        return updated, change
