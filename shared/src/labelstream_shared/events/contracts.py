"""Versioned event payloads. Within a version only additive changes; a breaking change is a new version.

Each payload names its CloudEvents type, the topic it travels on and the entity id it is keyed by.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelstream_shared.events import topics

LabelingType = Literal["image_segmentation", "video_labeling", "object_detection"]
MediaKind = Literal["image", "video"]


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")  # tolerant reader: newer minor fields pass


class EventPayload(Contract):
    """Base of every event's `data`."""

    event_name: ClassVar[str]
    version: ClassVar[int] = 1
    topic: ClassVar[str]

    @classmethod
    def event_type(cls) -> str:
        return f"io.labelstream.{cls.event_name}.v{cls.version}"

    def partition_key(self) -> str:
        """The entity id the event is keyed by (also the CloudEvents subject)."""
        raise NotImplementedError


class BucketPath(Contract):
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = ""


class LabelDefinition(Contract):
    name: str
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class DatasetCreated(EventPayload):
    event_name: ClassVar[str] = "DatasetCreated"
    topic: ClassVar[str] = topics.DATASETS

    dataset_id: str
    name: str
    description: str = ""
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: tuple[LabelDefinition, ...] = ()
    created_at: datetime

    def partition_key(self) -> str:
        return self.dataset_id


class DatasetUpdated(EventPayload):
    """The name or description of a dataset changed; carries their new values (input and output paths are fixed).
    `labels` is dataset-svc's projection of the label set, for readers of this event only: the label set's owner is
    labeling-svc and its changes travel as `LabelSetChanged`."""

    event_name: ClassVar[str] = "DatasetUpdated"
    topic: ClassVar[str] = topics.DATASETS

    dataset_id: str
    name: str
    description: str = ""
    labels: tuple[LabelDefinition, ...] = ()
    updated_at: datetime

    def partition_key(self) -> str:
        return self.dataset_id


class LabelRename(Contract):
    old: str
    new: str


class LabelSetChange(Contract):
    """What one edit of a label set did, by label name (a rename is not a removal and an addition)."""

    added: tuple[str, ...] = ()
    renamed: tuple[LabelRename, ...] = ()
    recoloured: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class LabelSetChanged(EventPayload):
    """The label set of a dataset changed. Emitted by its one owner, labeling-svc, in the transaction of the edit:
    `labels` is the whole new set, `revision` counts the edits (the set of `DatasetCreated` is revision 0), so a
    projection applies an event only when it is newer than what it holds. Shapes of a renamed or removed label are
    rewritten afterwards, each with its own `LabelChanged`."""

    event_name: ClassVar[str] = "LabelSetChanged"
    topic: ClassVar[str] = topics.DATASETS

    dataset_id: str
    revision: int = Field(ge=1)
    labels: tuple[LabelDefinition, ...]
    change: LabelSetChange
    changed_by: str | None = None
    changed_at: datetime

    def partition_key(self) -> str:
        return self.dataset_id


class DatasetDeleted(EventPayload):
    """The dataset and its samples are gone; its source objects are untouched."""

    event_name: ClassVar[str] = "DatasetDeleted"
    topic: ClassVar[str] = topics.DATASETS

    dataset_id: str
    deleted_at: datetime

    def partition_key(self) -> str:
        return self.dataset_id


class AddedSample(Contract):
    """A sample's source object. `sample_id` is derived from dataset and key, so re-adding keeps the id."""

    sample_id: str
    bucket: str
    key: str
    size: int = Field(ge=0)
    etag: str
    media_kind: MediaKind
    last_modified: datetime | None = None


class DataAdded(EventPayload):
    """New samples of one dataset, in batches (a sync run emits one event per page of new objects)."""

    event_name: ClassVar[str] = "DataAdded"
    topic: ClassVar[str] = topics.SAMPLES

    dataset_id: str
    origin: Literal["sync", "notification", "import"]
    samples: tuple[AddedSample, ...] = Field(min_length=1)

    def partition_key(self) -> str:
        return self.dataset_id


class SourceChanged(EventPayload):
    """Source objects were replaced (new etag): their samples' media must be processed again."""

    event_name: ClassVar[str] = "SourceChanged"
    topic: ClassVar[str] = topics.SAMPLES

    dataset_id: str
    samples: tuple[AddedSample, ...] = Field(min_length=1)

    def partition_key(self) -> str:
        return self.dataset_id


class ObjectRef(Contract):
    bucket: str
    key: str
    sample_id: str | None = None


class SampleDeleted(EventPayload):
    """Samples were deleted from a dataset. With `delete_source`, sync-svc deletes `objects` from the bucket
    (and announces it with SourceDeleted); otherwise the objects stay and a later sync may add them again."""

    event_name: ClassVar[str] = "SampleDeleted"
    topic: ClassVar[str] = topics.SAMPLES

    dataset_id: str
    sample_ids: tuple[str, ...] = Field(min_length=1)
    delete_source: bool = False
    objects: tuple[ObjectRef, ...] = ()

    def partition_key(self) -> str:
        return self.dataset_id


class SourceDeleted(EventPayload):
    """Source objects are gone: vanished from the bucket, or deleted on request by sync-svc."""

    event_name: ClassVar[str] = "SourceDeleted"
    topic: ClassVar[str] = topics.SAMPLES

    dataset_id: str
    reason: Literal["vanished", "deleted_on_request"]
    objects: tuple[ObjectRef, ...] = Field(min_length=1)

    def partition_key(self) -> str:
        return self.dataset_id


class MediaMetadata(Contract):
    kind: MediaKind
    format: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    fps: float | None = None
    frame_count: int | None = None
    codec: str | None = None
    rotation: int | None = None  # degrees counterclockwise a player turns the decoded frames (display matrix)
    container: str | None = None  # video: the demuxer's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    keyframe_interval_s: float | None = None  # video: the longest gap between keyframes
    variable_frame_rate: bool | None = None  # video: frame durations differ
    exif_orientation: int | None = None  # image: the EXIF orientation tag (applied to width/height and derived files)


class MediaPlayback(Contract):
    """How a browser plays a video sample: its source as is, or an H.264/MP4 transcode made in the background."""

    mode: Literal["source", "transcode"]
    status: Literal["ready", "pending", "failed"]
    bucket: str | None = None  # where the playable file is (the source object, or the transcode when ready)
    key: str | None = None
    codec: str | None = None
    failure_reason: str | None = None


class MediaProcessed(EventPayload):
    event_name: ClassVar[str] = "MediaProcessed"
    topic: ClassVar[str] = topics.MEDIA

    dataset_id: str
    sample_id: str
    status: Literal["ready", "failed"]
    failure_reason: str | None = None
    metadata: MediaMetadata | None = None
    thumbnail_key: str | None = None
    poster_key: str | None = None
    timeline_key: str | None = None
    etag: str | None = None  # the source version processed: a result for an older version is stale
    derived_bucket: str | None = None  # the bucket of thumbnail_key, poster_key and timeline_key
    playback: MediaPlayback | None = None  # video: what the browser plays

    def partition_key(self) -> str:
        return self.sample_id


class Shape(Contract):
    """One labeled shape; `points` are pixel coordinates, `time_point` is set for video samples."""

    shape_id: str
    kind: Literal["polygon", "rectangle", "circle", "polyline", "point", "rotated_rectangle"]
    label: str
    points: tuple[tuple[float, float], ...]
    rotation: float | None = None
    time_point_s: float | None = None
    frame_index: int | None = None
    object_id: str | None = None  # the same object across a video's time points (keyframe interpolation)


class AnnotationChange(Contract):
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class LabelChanged(EventPayload):
    """The complete new annotation of a sample plus what changed; keyed by sample for a compacted topic."""

    event_name: ClassVar[str] = "LabelChanged"
    topic: ClassVar[str] = topics.LABELS

    dataset_id: str
    sample_id: str
    revision: int = Field(ge=1)
    shapes: tuple[Shape, ...]
    change: AnnotationChange
    labeled_by: str | None = None
    changed_at: datetime
    hard_example: bool | None = None  # the sample's hard-example flag (None: not told, from older producers)
    summary: str | None = None  # what changed, in words (e.g. "shape 3 removed")

    def partition_key(self) -> str:
        return self.sample_id


class ImportedAnnotation(Contract):
    sample_id: str
    shapes: tuple[Shape, ...]
    labeled_by: str | None = None
    line: int | None = None  # the manifest line it came from
    item: str | None = None  # the import's name for the item (a manifest's `source`)


class AnnotationsImported(EventPayload):
    """Annotations that came with imported samples (a labeled import); labeling-svc takes them over.
    On the samples topic, keyed by dataset, so it follows the DataAdded of the same samples."""

    event_name: ClassVar[str] = "AnnotationsImported"
    topic: ClassVar[str] = topics.SAMPLES

    dataset_id: str
    import_id: str
    annotations: tuple[ImportedAnnotation, ...] = Field(min_length=1)

    def partition_key(self) -> str:
        return self.dataset_id


class ImportedShapeProblem(Contract):
    """A rule an imported shape breaks; `shape_index` None: the annotation as a whole (e.g. its sample is gone)."""

    shape_index: int | None = None
    shape_id: str | None = None
    rule: str
    message: str


class RejectedAnnotation(Contract):
    """An imported annotation labeling-svc refused: nothing of it was stored or announced."""

    sample_id: str
    line: int | None = None
    item: str | None = None
    problems: tuple[ImportedShapeProblem, ...] = Field(min_length=1)


class ImportedAnnotationsApplied(EventPayload):
    """What labeling-svc made of a labeled import's annotations (of one AnnotationsImported, or of those it held
    until their samples' media was known): how many it applied, which it rejected and why, how many wait for media.
    On the samples topic, keyed by dataset, like the AnnotationsImported it answers."""

    event_name: ClassVar[str] = "ImportedAnnotationsApplied"
    topic: ClassVar[str] = topics.SAMPLES

    dataset_id: str
    import_id: str
    applied: int = Field(default=0, ge=0)
    rejected: tuple[RejectedAnnotation, ...] = ()
    held: int = Field(default=0, ge=0)  # held until the sample's media is known; answered by a later event
    released: int = Field(default=0, ge=0)  # of those held before, how many this event answers

    def partition_key(self) -> str:
        return self.dataset_id


class LabelStatistic(Contract):
    label: str
    shapes: int = Field(ge=0)
    samples: int = Field(ge=0)


class VersionPublished(EventPayload):
    event_name: ClassVar[str] = "VersionPublished"
    topic: ClassVar[str] = topics.DATASETS

    dataset_id: str
    version_id: str
    name: str = Field(pattern=r"^V\d{3,}$")
    manifest: BucketPath
    sample_count: int = Field(ge=0)
    statistics: tuple[LabelStatistic, ...] = ()
    published_at: datetime

    def partition_key(self) -> str:
        return self.dataset_id


class ExportCompleted(EventPayload):
    """An export of a published version is stored whole: its archive (`archive`: bucket and key), size and
    SHA-256, and what went in; shapes the format could not hold are counted by reason in `skipped`."""

    event_name: ClassVar[str] = "ExportCompleted"
    topic: ClassVar[str] = topics.DATASETS

    dataset_id: str
    version_id: str | None = None  # None: an export of the current data (a labeling job's view, a filter)
    export_id: str
    format: str
    archive: BucketPath
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    items: int = Field(ge=0)
    shapes: int = Field(ge=0)
    skipped: dict[str, int] = Field(default_factory=dict)
    completed_at: datetime

    def partition_key(self) -> str:
        return self.dataset_id


class ProjectedSample(Contract):
    sample_id: str
    revision: int | None = Field(default=None, ge=0)  # the label revision the projection holds now, when it keeps one


class SamplesProjected(EventPayload):
    """A projecting service applied events to these samples of a dataset: what it serves shows them now (one
    announcement per transaction, written with it, so never before it is visible). For the browsers following the
    dataset (read-your-writes without polling); on a short-lived topic, consumed by no service."""

    event_name: ClassVar[str] = "SamplesProjected"
    topic: ClassVar[str] = topics.PROJECTIONS

    service: str
    dataset_id: str
    samples: tuple[ProjectedSample, ...] = Field(min_length=1)

    def partition_key(self) -> str:
        return self.dataset_id


class DatasetProjected(EventPayload):
    """A service applied a dataset's DatasetCreated: its API knows the dataset now. For the browsers (a dataset's
    "Synchronize data source" right after its creation waits for sync-svc's); on the short-lived projections topic."""

    event_name: ClassVar[str] = "DatasetProjected"
    topic: ClassVar[str] = topics.PROJECTIONS

    service: str
    dataset_id: str

    def partition_key(self) -> str:
        return self.dataset_id


EVENT_TYPES: dict[str, type[EventPayload]] = {
    cls.event_type(): cls
    for cls in (
        DatasetCreated,
        DatasetUpdated,
        LabelSetChanged,
        DatasetDeleted,
        DataAdded,
        SourceChanged,
        SampleDeleted,
        SourceDeleted,
        MediaProcessed,
        LabelChanged,
        AnnotationsImported,
        ImportedAnnotationsApplied,
        VersionPublished,
        ExportCompleted,
        SamplesProjected,
        DatasetProjected,
    )
}


def payload_class(event_type: str) -> type[EventPayload] | None:
    return EVENT_TYPES.get(event_type)
