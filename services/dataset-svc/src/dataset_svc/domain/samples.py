"""Samples: one per source object of a dataset, learnt from sync and media events. Pure: no IO, no framework."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from labelstream_shared.events.contracts import AddedSample, MediaKind, MediaMetadata, MediaPlayback, MediaProcessed
from labelstream_shared.samples import STATUSES, SampleStatus
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.domain.labels import SampleLabels

MediaStatus = Literal["pending", "ready", "failed"]
Tab = Literal["all", "unlabeled", "labeled"]


class MediaResult(BaseModel):
    """What media processing found out about a sample's source object."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ready", "failed"]
    metadata: MediaMetadata | None = None
    failure_reason: str | None = None
    thumbnail_key: str | None = None
    poster_key: str | None = None
    timeline_key: str | None = None
    derived_bucket: str | None = None
    playback: MediaPlayback | None = None
    etag: str | None = None  # the source version it was made from; None: unknown (applies to any)

    @classmethod
    def of(cls, event: MediaProcessed) -> MediaResult:
        return cls(
            status=event.status,
            metadata=event.metadata,
            failure_reason=event.failure_reason,
            thumbnail_key=event.thumbnail_key,
            poster_key=event.poster_key,
            timeline_key=event.timeline_key,
            derived_bucket=event.derived_bucket,
            playback=event.playback,
            etag=event.etag,
        )


def file_name_of(key: str) -> str:
    """The last segment of an object key: `a/b/cat.jpg` -> `cat.jpg`."""
    return key.rsplit("/", 1)[-1]


class Sample(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    bucket: str
    key: str
    file_name: str
    size: int = Field(ge=0)
    etag: str
    media_kind: MediaKind
    status: SampleStatus = "unlabeled"
    hard_example: bool = False
    labeled_by: str | None = None
    label_counts: dict[str, int] = Field(default_factory=dict)  # label name -> shapes; only labels in use
    label_revision: int = 0  # the revision of the annotation (LabelChanged) the sample reflects; 0: none yet
    media: MediaMetadata | None = None
    media_status: MediaStatus = "pending"
    media_failure_reason: str | None = None
    thumbnail_key: str | None = None
    poster_key: str | None = None
    timeline_key: str | None = None
    derived_bucket: str | None = None
    playback: MediaPlayback | None = None  # video: what the browser plays (the source, or a transcode)
    source_missing: bool = False
    added_at: datetime
    updated_at: datetime

    @classmethod
    def from_added(cls, added: AddedSample, *, dataset_id: str, at: datetime) -> Sample:
        return cls(
            id=added.sample_id,
            dataset_id=dataset_id,
            bucket=added.bucket,
            key=added.key,
            file_name=file_name_of(added.key),
            size=added.size,
            etag=added.etag,
            media_kind=added.media_kind,
            added_at=at,
            updated_at=at,
        )

    def source_restored(self, *, at: datetime) -> Sample:
        """The source object is back (added again): the sample keeps everything else."""
        return self.model_copy(update={"source_missing": False, "updated_at": at})

    def source_replaced(self, *, size: int, etag: str, at: datetime) -> Sample:
        """The source object was replaced: its media must be processed again."""
        update = {"size": size, "etag": etag, "media_status": "pending", "media_failure_reason": None}
        return self.model_copy(update={**update, "source_missing": False, "updated_at": at})

    def source_gone(self, *, at: datetime) -> Sample:
        return self.model_copy(update={"source_missing": True, "updated_at": at})

    def media_processed(self, result: MediaResult, *, at: datetime) -> Sample:
        """The result of media processing; a result of another source version than the sample's is stale and
        changes nothing (a replaced source is processed again)."""
        if result.etag is not None and result.etag != self.etag:
            return self
        update = {
            "media_status": result.status,
            "media": result.metadata,
            "media_failure_reason": result.failure_reason if result.status == "failed" else None,
            "thumbnail_key": result.thumbnail_key,
            "poster_key": result.poster_key,
            "timeline_key": result.timeline_key,
            "derived_bucket": result.derived_bucket,
            "playback": result.playback,
            "updated_at": at,
        }
        return self.model_copy(update=update)

    def labels_changed(self, labels: SampleLabels, *, at: datetime) -> Sample:
        """The sample as its new labels make it: labeled with at least one shape, else unlabeled (a sample whose
        last label is removed returns to Unlabeled, and is then labeled by nobody). The hard-example flag follows
        labeling-svc's when the event carries it."""
        counts = labels.label_counts
        update = {
            "status": "labeled" if counts else "unlabeled",
            "labeled_by": labels.labeled_by if counts else None,
            "label_counts": counts,
            "label_revision": labels.revision,
            "updated_at": at,
        }
        if labels.hard_example is not None:
            update["hard_example"] = labels.hard_example
        return self.model_copy(update=update)


def new_samples(added: Iterable[AddedSample], *, dataset_id: str, at: datetime) -> list[Sample]:
    """Samples for the objects of a DataAdded event, one per sample id (the first wins)."""
    return distinct_by_id(Sample.from_added(item, dataset_id=dataset_id, at=at) for item in added)


def distinct_by_id(samples: Iterable[Sample]) -> list[Sample]:
    """The samples without repeated ids (the first of each wins)."""
    by_id: dict[str, Sample] = {}
    for sample in samples:
        by_id.setdefault(sample.id, sample)
    return list(by_id.values())


class SampleQuery(BaseModel):
    """Which samples of a dataset a listing shows: a tab and filters, all combinable."""

    model_config = ConfigDict(frozen=True)

    tab: Tab = "all"
    hard_example: bool | None = None
    labels: tuple[str, ...] = ()  # a sample matches when it has shapes of any of them
    name: str | None = None  # substring of the file name or path (object key), ignoring case
    labeled_by: str | None = None

    @property
    def statuses(self) -> tuple[SampleStatus, ...]:
        return STATUSES if self.tab == "all" else (self.tab,)

    @property
    def is_filtered(self) -> bool:
        """Whether anything but the tab narrows the samples (the tab counts then need counting)."""
        return self.hard_example is not None or bool(self.labels) or bool(self.name) or self.labeled_by is not None

    def for_tab(self, tab: Tab) -> SampleQuery:
        return self.model_copy(update={"tab": tab})

    def matches(self, sample: Sample) -> bool:
        return (
            sample.status in self.statuses
            and (self.hard_example is None or sample.hard_example == self.hard_example)
            and (not self.labels or any(sample.label_counts.get(label, 0) > 0 for label in self.labels))
            and (not self.name or self.name.lower() in sample.key.lower())
            and (self.labeled_by is None or sample.labeled_by == self.labeled_by)
        )


class SampleCounts(BaseModel):
    """How many samples each tab holds."""

    model_config = ConfigDict(frozen=True)

    unlabeled: int = 0
    labeled: int = 0

    @property
    def all(self) -> int:
        return self.unlabeled + self.labeled

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> SampleCounts:
        statuses = [s.status for s in samples]
        return cls(unlabeled=statuses.count("unlabeled"), labeled=statuses.count("labeled"))

    @classmethod
    def change(cls, before: Iterable[Sample], after: Iterable[Sample]) -> SampleCounts:
        """What the counters gain (or lose: negative) when samples `before` become `after`."""
        was, now = cls.of(before), cls.of(after)
        return cls(unlabeled=now.unlabeled - was.unlabeled, labeled=now.labeled - was.labeled)

    @property
    def is_zero(self) -> bool:
        return self.unlabeled == 0 and self.labeled == 0
