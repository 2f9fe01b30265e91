"""Import tasks ("Add data"): where the data comes from, how it is brought in, and what came of each item."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime
from typing import Annotated, Literal

from labelstream_shared.clock import time_ordered_id, utc_now
from labelstream_shared.events.contracts import Shape
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_ITEM_ERRORS = 1000


class BucketSource(BaseModel):
    """Every object under another bucket path."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["bucket"] = "bucket"
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = ""


class ManifestSource(BaseModel):
    """A JSON Lines manifest in a bucket: one object per line, `source` (s3://bucket/key) and optional `shapes`."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["manifest"] = "manifest"
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1)


class ArchiveSource(BaseModel):
    """A zip of an annotated dataset in a training format (COCO, YOLO, Pascal VOC, CVAT, Datumaro, the manifest), in a
    bucket; `format` None: recognised from its files. Its pictures, where it holds them, are copied into the input
    path; its annotations go to the samples of the same name."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["archive"] = "archive"
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1)
    format: str | None = Field(
        default=None, max_length=40, description="one of GET /api/exports/formats; None: detected"
    )


class UploadSource(BaseModel):
    """A file sent through the API (browser upload), stored into the input path."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["upload"] = "upload"
    file_name: str


ImportSource = Annotated[BucketSource | ManifestSource | ArchiveSource, Field(discriminator="kind")]
TaskSource = Annotated[BucketSource | ManifestSource | ArchiveSource | UploadSource, Field(discriminator="kind")]
ImportMode = Literal["copy", "reference"]


class ImportCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int = 0
    imported: int = 0
    already_present: int = 0
    skipped: int = 0
    failed: int = 0
    annotated: int = 0  # items whose shapes went to labeling-svc
    # what labeling-svc made of them (ImportedAnnotationsApplied): stored, refused by a rule, waiting for media
    annotations_applied: int = 0
    annotations_rejected: int = 0
    annotations_waiting: int = 0


class ShapeRuleBroken(BaseModel):
    """A rule an item's shape breaks (labeling-svc's validation); `shape_index` None: the item as a whole."""

    model_config = ConfigDict(frozen=True)

    shape_index: int | None = None
    shape_id: str | None = None
    rule: str
    message: str


class ItemError(BaseModel):
    model_config = ConfigDict(frozen=True)

    item: str
    line: int | None = None
    error: str
    sample_id: str | None = None
    problems: tuple[ShapeRuleBroken, ...] = ()  # the rules its shapes break, when labeling-svc refused them


class ImportTask(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    source: TaskSource
    mode: ImportMode = "copy"
    labeled: bool = False
    status: Literal["queued", "running", "succeeded", "failed"] = "queued"
    counts: ImportCounts = Field(default_factory=ImportCounts)
    errors: tuple[ItemError, ...] = ()
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def queue(
        cls,
        *,
        dataset_id: str,
        source: BucketSource | ManifestSource | ArchiveSource | UploadSource,
        mode: ImportMode,
        labeled: bool,
    ) -> ImportTask:
        now = utc_now()
        return cls(
            id=time_ordered_id(now), dataset_id=dataset_id, source=source, mode=mode, labeled=labeled, created_at=now
        )


class ManifestShape(BaseModel):
    """A shape as a manifest gives it; the id is made up when absent."""

    model_config = ConfigDict(extra="forbid")
    shape_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: Literal["polygon", "rectangle", "circle", "polyline", "point", "rotated_rectangle"]
    label: str = Field(min_length=1)
    points: tuple[tuple[float, float], ...] = Field(min_length=1)
    rotation: float | None = None
    time_point_s: float | None = None
    frame_index: int | None = None

    @field_validator("points", "rotation", "time_point_s")
    @classmethod
    def _finite(cls, value: object) -> object:
        """JSON events cannot carry NaN or Infinity (Python's json reads them): refused here, per line."""
        numbers = [c for p in value for c in p] if isinstance(value, tuple) else [value]
        if not all(math.isfinite(n) for n in numbers if isinstance(n, float)):
            raise ValueError("not_finite: numbers must be finite (no NaN or Infinity)")
        return value

    def as_shape(self) -> Shape:
        return Shape.model_validate(self.model_dump())


class ManifestLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    source: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+")
    shapes: tuple[ManifestShape, ...] = ()
    labeled_by: str | None = None

    @property
    def location(self) -> tuple[str, str]:
        bucket, key = self.source.removeprefix("s3://").split("/", 1)
        return bucket, key


def parse_manifest_line(text: str) -> ManifestLine:
    """One manifest line, or ValueError saying what is wrong with it."""
    try:
        return ManifestLine.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "line"
        raise ValueError(f"{where}: {first['msg']}") from exc


MAX_NAME_PART_BYTES = 255  # per path segment, as file systems (and MinIO, which stores objects as files) allow
MAX_KEY_BYTES = 1024  # S3's limit on an object key, in UTF-8 bytes


def check_upload_name(name: str) -> str:
    """A file name as the path under the input prefix: relative, no `..`, no control characters."""
    if not name:
        raise ValueError("file name must not be empty")
    if name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"file name {name!r} must be a relative path without '.', '..' or empty parts")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError("file name must not contain control characters")
    if any(len(part.encode()) > MAX_NAME_PART_BYTES for part in name.split("/")):
        raise ValueError(
            f"each part of a file name must be at most {MAX_NAME_PART_BYTES} bytes (object storage's limit)"
        )
    return name


def upload_key(prefix: str, name: str) -> str:
    """The object key an uploaded file gets: under the input prefix, at most MAX_KEY_BYTES."""
    key = f"{prefix}{check_upload_name(name)}"
    if len(key.encode()) > MAX_KEY_BYTES:
        raise ValueError(
            f"file name is too long: its object key {prefix!r} + name would be {len(key.encode())} bytes, "
            f"object storage allows {MAX_KEY_BYTES}"
        )
    return key
