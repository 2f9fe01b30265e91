"""Samples as labeling sees them (learnt from DataAdded and MediaProcessed), and which of them a job listing shows.
Pure: no IO, no framework."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from labelstream_shared.events import MediaProcessed
from labelstream_shared.events.contracts import AddedSample, MediaKind, MediaMetadata
from labelstream_shared.samples import STATUSES, SampleStatus
from pydantic import BaseModel, ConfigDict, Field, computed_field

from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.shapes import MediaInfo


class MediaResult(BaseModel):
    """What media processing told of a sample: its metadata, or None when it could not be read (what was known of
    it then stays, and validation goes on without it)."""

    model_config = ConfigDict(frozen=True)

    dataset_id: str
    sample_id: str
    media: MediaMetadata | None

    @classmethod
    def of(cls, event: MediaProcessed) -> MediaResult:
        media = event.metadata if event.status == "ready" else None
        return cls(dataset_id=event.dataset_id, sample_id=event.sample_id, media=media)


Tab = Literal["all", "unlabeled", "labeled"]


def media_info(kind: MediaKind, metadata: MediaMetadata | None) -> MediaInfo:
    if metadata is None:
        return MediaInfo(kind=kind)
    return MediaInfo(
        kind=kind,
        width=metadata.width,
        height=metadata.height,
        duration_s=metadata.duration_s,
        fps=metadata.fps,
        frame_count=metadata.frame_count,
    )


class LabelingSample(BaseModel):
    """A sample of a dataset with the summary of its annotation (what listings filter on)."""

    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    key: str
    file_name: str
    media_kind: MediaKind
    media: MediaMetadata | None = None  # None until MediaProcessed (ready) came
    media_failed: bool = False  # a MediaProcessed said the media could not be read (its size stays unknown)
    status: SampleStatus = "unlabeled"
    labeled_by: str | None = None
    label_counts: dict[str, int] = Field(default_factory=dict)
    hard_example: bool = False
    revision: int = 0
    added_at: datetime

    @classmethod
    def from_added(cls, added: AddedSample, *, dataset_id: str, at: datetime) -> LabelingSample:
        return cls(
            id=added.sample_id,
            dataset_id=dataset_id,
            key=added.key,
            file_name=added.key.rsplit("/", 1)[-1],
            media_kind=added.media_kind,
            added_at=at,
        )

    @property
    def media_settled(self) -> bool:
        """Whether a media result came (ready or failed): what validation will learn of the media is known."""
        return self.media is not None or self.media_failed

    @property
    def media_info(self) -> MediaInfo:
        return media_info(self.media_kind, self.media)

    def annotated(self, annotation: Annotation) -> LabelingSample:
        """The sample's summary as its annotation makes it."""
        counts = annotation.label_counts
        return self.model_copy(
            update={
                "status": annotation.status,
                "labeled_by": annotation.labeled_by if counts else None,
                "label_counts": counts,
                "hard_example": annotation.hard_example,
                "revision": annotation.revision,
            }
        )


class SampleQuery(BaseModel):
    """Which samples of a job a listing shows: a tab and filters, all combinable."""

    model_config = ConfigDict(frozen=True)

    tab: Tab = "all"
    hard_example: bool | None = None
    labels: tuple[str, ...] = ()  # a sample matches when it has shapes of any of them
    name: str | None = None  # substring of the file name or path (object key), ignoring case
    labeled_by: str | None = None

    @property
    def statuses(self) -> tuple[SampleStatus, ...]:
        return STATUSES if self.tab == "all" else (self.tab,)

    def for_tab(self, tab: Tab) -> SampleQuery:
        return self.model_copy(update={"tab": tab})

    def matches(self, sample: LabelingSample) -> bool:
        return (
            sample.status in self.statuses
            and (self.hard_example is None or sample.hard_example == self.hard_example)
            and (not self.labels or any(sample.label_counts.get(label, 0) > 0 for label in self.labels))
            and (not self.name or self.name.lower() in sample.key.lower())
            and (self.labeled_by is None or sample.labeled_by == self.labeled_by)
        )


class SampleCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    unlabeled: int = 0
    labeled: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def all(self) -> int:
        return self.unlabeled + self.labeled
