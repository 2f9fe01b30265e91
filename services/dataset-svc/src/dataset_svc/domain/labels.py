"""A sample's current labels as labeling-svc last announced them (LabelChanged), and the label statistics of a
set of samples. Pure: no IO, no framework."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from labelstream_shared.events import LabelChanged
from labelstream_shared.events.contracts import LabelStatistic, Shape
from pydantic import BaseModel, ConfigDict, Field


class SampleLabels(BaseModel):
    """The complete shapes of one sample at a revision of its annotation. dataset-svc keeps the latest one per
    sample (it may not ask labeling-svc) for the sample's status and counts and for the manifests of versions."""

    model_config = ConfigDict(frozen=True)

    id: str  # the sample id
    dataset_id: str
    revision: int = Field(ge=1)
    shapes: tuple[Shape, ...] = ()
    labeled_by: str | None = None
    changed_at: datetime
    hard_example: bool | None = None  # set and cleared in labeling-svc; None: the event did not say

    @classmethod
    def of(cls, event: LabelChanged) -> SampleLabels:
        return cls(
            id=event.sample_id,
            dataset_id=event.dataset_id,
            revision=event.revision,
            shapes=event.shapes,
            labeled_by=event.labeled_by,
            changed_at=event.changed_at,
            hard_example=event.hard_example,
        )

    def supersedes(self, other: SampleLabels | None) -> bool:
        """Whether these labels are newer than `other` (events may arrive late, twice, or out of order)."""
        return other is None or self.revision > other.revision

    @property
    def label_counts(self) -> dict[str, int]:
        return shape_counts(self.shapes)


def shape_counts(shapes: Iterable[Shape]) -> dict[str, int]:
    """Shapes per label name, only the labels in use."""
    return dict(Counter(shape.label for shape in shapes))


class LabelStatistics(BaseModel):
    """Label statistics of a set of samples: per label the shapes and the samples having at least one of them."""

    model_config = ConfigDict(frozen=True)

    samples: int = 0
    labeled_samples: int = 0
    shapes: int = 0
    labels: tuple[LabelStatistic, ...] = ()


class LabelTally:
    """Counts labels sample by sample (a version's manifest is written a page at a time), in constant memory per
    label. Labels of the label set are listed even when no shape uses them."""

    def __init__(self, label_set: Iterable[str] = ()) -> None:
        self._samples = 0
        self._labeled = 0
        self._shapes: Counter[str] = Counter(dict.fromkeys(label_set, 0))
        self._holders: Counter[str] = Counter(dict.fromkeys(label_set, 0))

    def add(self, shapes: Iterable[Shape]) -> None:
        counts = shape_counts(shapes)
        self._samples += 1
        self._labeled += 1 if counts else 0
        self._shapes.update(counts)
        self._holders.update(counts.keys())

    def result(self) -> LabelStatistics:
        labels = tuple(
            LabelStatistic(label=name, shapes=self._shapes[name], samples=self._holders[name])
            for name in sorted(self._shapes)
        )
        return LabelStatistics(
            samples=self._samples, labeled_samples=self._labeled, shapes=sum(self._shapes.values()), labels=labels
        )
