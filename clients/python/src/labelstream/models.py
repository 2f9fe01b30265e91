"""The API's request and response bodies, mirroring the platform's OpenAPI documents (the `API_SCHEMAS` table names
each model's schema; tests/unit/test_client_models_match_openapi.py fails when a model and its schema differ).

Responses are read tolerantly (unknown fields ignored, statuses kept as strings), so a newer platform's additions
do not break an older client; the test is what notices them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the gateway: users and sessions ---------------------------------------------------------------------------
class User(ApiModel):
    username: str
    role: str  # admin, annotator, viewer
    disabled: bool = False  # cannot log in; their tokens are refused


class Session(ApiModel):
    token: str
    token_type: str = "bearer"  # noqa: S105
    expires_at: int  # seconds since the epoch
    user: User


class Login(RequestModel):
    username: str
    password: str


class UserCreate(RequestModel):
    username: str
    password: str
    role: str


class UserUpdate(RequestModel):
    password: str | None = None
    role: str | None = None
    disabled: bool | None = None


# --- datasets and samples (dataset-svc) -----------------------------------------------------------------------
class BucketPath(ApiModel):
    bucket: str
    prefix: str = ""


class LabelDefinition(ApiModel):
    name: str
    color: str


class Dataset(ApiModel):
    id: str
    name: str
    description: str
    labeling_type: str  # image_segmentation, video_labeling, object_detection
    input_path: BucketPath
    output_path: BucketPath
    labels: list[LabelDefinition]
    label_set_revision: int
    created_at: datetime
    updated_at: datetime | None


class DatasetCreate(RequestModel):
    name: str
    description: str = ""
    labeling_type: str
    input_path: BucketPath
    output_path: BucketPath
    labels: list[LabelDefinition] = Field(default_factory=list)


class DatasetUpdate(RequestModel):
    name: str | None = None
    description: str | None = None
    labels: list[LabelDefinition] | None = None


class MediaMetadata(ApiModel):
    kind: str
    width: int | None = None
    height: int | None = None
    format: str | None = None
    exif_orientation: int | None = None
    size: int | None = None
    duration_s: float | None = None
    fps: float | None = None
    frame_count: int | None = None
    codec: str | None = None
    container: str | None = None
    rotation: int | None = None
    keyframe_interval_s: float | None = None
    variable_frame_rate: bool | None = None


class MediaPlayback(ApiModel):
    mode: str
    status: str
    bucket: str | None = None
    key: str | None = None
    codec: str | None = None
    failure_reason: str | None = None


class Sample(ApiModel):
    id: str
    dataset_id: str
    bucket: str
    key: str
    file_name: str
    size: int
    etag: str
    media_kind: str  # image, video
    status: str  # unlabeled, labeled
    hard_example: bool
    labeled_by: str | None
    label_counts: dict[str, int]
    media: MediaMetadata | None
    media_status: str
    media_failure_reason: str | None
    thumbnail_key: str | None
    poster_key: str | None
    timeline_key: str | None
    derived_bucket: str | None
    playback: MediaPlayback | None
    source_missing: bool
    added_at: datetime
    updated_at: datetime


class SampleCounts(ApiModel):
    all: int
    unlabeled: int
    labeled: int


class SamplePage(ApiModel):
    items: list[Sample]
    next_cursor: str | None
    counts: SampleCounts


class SampleFilter(ApiModel):
    tab: str = "all"
    hard_example: bool | None = None
    labels: list[str] = Field(default_factory=list)
    name: str | None = None
    labeled_by: str | None = None


class SampleDeletionCreate(RequestModel):
    sample_ids: list[str] | None = None
    filter: SampleFilter | None = None
    delete_source: bool = False


class SampleDeletion(ApiModel):
    id: str
    dataset_id: str
    status: str  # queued, running, succeeded, failed
    selected_by: str
    selected_ids: int | None
    filter: SampleFilter | None
    delete_source: bool
    deleted: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None


# --- versions and exports (dataset-svc) -----------------------------------------------------------------------
class ObjectLocation(ApiModel):
    bucket: str
    key: str
    url: str  # s3://bucket/key


class LabelStatistic(ApiModel):
    label: str
    shapes: int
    samples: int


class Statistics(ApiModel):
    samples: int
    labeled_samples: int
    shapes: int
    labels: list[LabelStatistic]


class Version(ApiModel):
    id: str
    dataset_id: str
    name: str  # V001, V002, ...
    number: int
    description: str
    status: str  # publishing, published, failed, deleting
    is_current: bool
    sample_count: int
    statistics: Statistics
    manifest: ObjectLocation
    statistics_file: ObjectLocation
    error: str | None
    created_at: datetime
    published_at: datetime | None


class VersionCreate(RequestModel):
    description: str = ""


class ExportOptions(ApiModel):
    include_media: bool = False
    interpolated: bool = False
    yolo_task: str = "detect"


class ExportSelection(ApiModel):
    tab: str = "all"
    hard_example: bool | None = None
    labels: list[str] = Field(default_factory=list)
    name: str | None = None
    labeled_by: str | None = None


class ExportCreate(RequestModel):
    format: str
    options: ExportOptions = Field(default_factory=ExportOptions)


class CurrentExportCreate(ExportCreate):
    selection: ExportSelection = Field(default_factory=ExportSelection)


class Progress(ApiModel):
    items_done: int
    items_total: int
    percent: float


class Archive(ApiModel):
    location: ObjectLocation
    size: int
    sha256: str
    download: str  # the path to GET it through the gateway


class ExportOutcome(ApiModel):
    items: int = 0
    shapes: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    converted: dict[str, int] = Field(default_factory=dict)


class Export(ApiModel):
    id: str
    dataset_id: str
    version_id: str | None
    version_name: str
    selection: ExportSelection | None
    format: str
    options: ExportOptions
    status: str  # queued, running, completed, failed
    progress: Progress
    outcome: ExportOutcome
    archive: Archive | None
    error: str | None
    requested_by: str | None
    created_at: datetime
    finished_at: datetime | None


class ExportFormat(ApiModel):
    name: str
    title: str
    media_kinds: list[str]
    shape_kinds: list[str]


class FormatList(ApiModel):
    formats: list[ExportFormat]
    options: dict[str, Any]


# --- synchronization, imports, uploads (sync-svc) -------------------------------------------------------------
class RunCounts(ApiModel):
    listed: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


class SkippedObject(ApiModel):
    key: str
    reason: str


class SyncRun(ApiModel):
    id: str
    dataset_id: str
    trigger: str = "api"
    status: str = "queued"  # queued, running, succeeded, failed
    counts: RunCounts = Field(default_factory=RunCounts)
    skipped_examples: list[SkippedObject] = Field(default_factory=list)
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class BucketSource(ApiModel):
    kind: Literal["bucket"] = "bucket"
    bucket: str
    prefix: str = ""


class ManifestSource(ApiModel):
    kind: Literal["manifest"] = "manifest"
    bucket: str
    key: str


class ArchiveSource(ApiModel):
    kind: Literal["archive"] = "archive"
    bucket: str
    key: str
    format: str | None = None


class UploadSource(ApiModel):
    kind: Literal["upload"] = "upload"
    file_name: str


ImportSource = Annotated[BucketSource | ManifestSource | ArchiveSource, Field(discriminator="kind")]
TaskSource = Annotated[BucketSource | ManifestSource | ArchiveSource | UploadSource, Field(discriminator="kind")]


class ImportCounts(ApiModel):
    total: int = 0
    imported: int = 0
    already_present: int = 0
    skipped: int = 0
    failed: int = 0
    annotated: int = 0
    annotations_applied: int = 0
    annotations_rejected: int = 0
    annotations_waiting: int = 0


class ShapeRuleBroken(ApiModel):
    rule: str
    message: str
    shape_index: int | None = None
    shape_id: str | None = None


class ItemError(ApiModel):
    item: str
    error: str
    line: int | None = None
    sample_id: str | None = None
    problems: list[ShapeRuleBroken] = Field(default_factory=list)


class ImportTask(ApiModel):
    id: str
    dataset_id: str
    source: TaskSource
    mode: str = "copy"  # copy, reference
    labeled: bool = False
    status: str = "queued"  # queued, running, succeeded, failed
    counts: ImportCounts = Field(default_factory=ImportCounts)
    errors: list[ItemError] = Field(default_factory=list)
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ImportCreate(RequestModel):
    source: ImportSource
    mode: str = "copy"
    labeled: bool = False


# --- annotations (labeling-svc) -------------------------------------------------------------------------------
Point = tuple[float, float]


class Shape(ApiModel):
    shape_id: str
    kind: str  # polygon, rectangle, circle, polyline, point, rotated_rectangle
    label: str
    points: list[Point]
    rotation: float | None = None
    time_point_s: float | None = None
    frame_index: int | None = None
    object_id: str | None = None


class ShapeIn(RequestModel):
    kind: str
    label: str
    points: list[Point]
    shape_id: str | None = None
    rotation: float | None = None
    time_point_s: float | None = None
    frame_index: int | None = None
    object_id: str | None = None


class Annotation(ApiModel):
    sample_id: str
    dataset_id: str
    revision: int
    status: str
    shapes: list[Shape]
    labeled_by: str | None
    hard_example: bool
    media_kind: str | None = None
    updated_at: datetime
    bounds_checked: bool


class AnnotationWrite(RequestModel):
    shapes: list[ShapeIn]
    base_revision: int | None = None


# Model -> (OpenAPI document, schema name): what the drift test compares.
API_SCHEMAS: dict[type[BaseModel], tuple[str, str]] = {
    User: ("gateway", "UserPublic"),
    Session: ("gateway", "Session"),
    Login: ("gateway", "Login"),
    UserCreate: ("gateway", "UserCreate"),
    UserUpdate: ("gateway", "UserUpdate"),
    BucketPath: ("dataset", "BucketPath"),
    LabelDefinition: ("dataset", "LabelDefinition"),
    Dataset: ("dataset", "DatasetPublic"),
    DatasetCreate: ("dataset", "DatasetCreate"),
    DatasetUpdate: ("dataset", "DatasetUpdate"),
    MediaMetadata: ("dataset", "MediaMetadata"),
    MediaPlayback: ("dataset", "MediaPlayback"),
    Sample: ("dataset", "SamplePublic"),
    SampleCounts: ("dataset", "SampleCountsPublic"),
    SamplePage: ("dataset", "SamplePage"),
    SampleFilter: ("dataset", "SampleFilter"),
    SampleDeletionCreate: ("dataset", "SampleDeletionCreate"),
    SampleDeletion: ("dataset", "SampleDeletionPublic"),
    ObjectLocation: ("dataset", "ObjectLocationPublic"),
    LabelStatistic: ("dataset", "LabelStatistic"),
    Statistics: ("dataset", "StatisticsPublic"),
    Version: ("dataset", "VersionPublic"),
    VersionCreate: ("dataset", "VersionCreate"),
    ExportOptions: ("dataset", "ExportOptions"),
    ExportSelection: ("dataset", "ExportSelection"),
    ExportCreate: ("dataset", "ExportCreate"),
    CurrentExportCreate: ("dataset", "CurrentExportCreate"),
    Progress: ("dataset", "ProgressPublic"),
    Archive: ("dataset", "ArchivePublic"),
    ExportOutcome: ("dataset", "ExportOutcome"),
    Export: ("dataset", "ExportPublic"),
    ExportFormat: ("dataset", "FormatPublic"),
    FormatList: ("dataset", "FormatList"),
    RunCounts: ("sync", "RunCounts"),
    SkippedObject: ("sync", "SkippedObject"),
    SyncRun: ("sync", "SyncRun"),
    BucketSource: ("sync", "BucketSource"),
    ManifestSource: ("sync", "ManifestSource"),
    ArchiveSource: ("sync", "ArchiveSource"),
    UploadSource: ("sync", "UploadSource"),
    ImportCounts: ("sync", "ImportCounts"),
    ShapeRuleBroken: ("sync", "ShapeRuleBroken"),
    ItemError: ("sync", "ItemError"),
    ImportTask: ("sync", "ImportTask"),
    ImportCreate: ("sync", "ImportCreate"),
    Shape: ("labeling", "Shape"),
    ShapeIn: ("labeling", "ShapeIn"),
    Annotation: ("labeling", "AnnotationPublic"),
    AnnotationWrite: ("labeling", "AnnotationWrite"),
}
