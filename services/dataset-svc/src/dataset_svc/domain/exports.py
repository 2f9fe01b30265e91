"""Exports of a published version into a training format (COCO, YOLO, ...): what an export is, where its archive
goes, how its progress reads, and how a version's manifest line becomes an item of the formats. Pure.

An export is a job: queued → running → completed | failed. Its archive is written to the dataset's output path as
`exports/<version>/<export id>.<format>.zip`; it is `completed` only once the whole archive is stored, with its size
and SHA-256. A version is immutable, so two exports of it with the same format and options are the same bytes. An
export of the current data (`version_id` None, e.g. what a labeling job's page shows) takes the samples matching its
`selection` as they are while it runs, and goes to `exports/current/`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from labelstream_formats.model import ExportOptions, Item
from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import BucketPath, Shape
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from dataset_svc.domain.samples import SampleQuery
from dataset_svc.domain.versions import ObjectLocation, Version, output_folder

ExportStatus = Literal["queued", "running", "completed", "failed"]
MAX_ATTEMPTS = 3  # an export whose worker died this often fails
CURRENT = "current"  # the version name of an export of the current data
_SHAPES = TypeAdapter(tuple[Shape, ...])  # a line's shapes validated in one call (the cost of a large export)


class ExportProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    items_done: int = Field(default=0, ge=0)
    items_total: int = Field(default=0, ge=0)

    @property
    def percent(self) -> float:
        if not self.items_total:
            return 100.0 if self.items_done else 0.0
        return round(min(100.0, 100.0 * self.items_done / self.items_total), 1)


class ExportArchive(BaseModel):
    """The stored archive: where it is, its size and its SHA-256 (hex)."""

    model_config = ConfigDict(frozen=True)

    location: ObjectLocation
    size: int = Field(ge=0)
    sha256: str


class ExportOutcome(BaseModel):
    """What went in and what the format could not hold (reason → count) or held as another kind."""

    model_config = ConfigDict(frozen=True)

    items: int = 0
    shapes: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    converted: dict[str, int] = Field(default_factory=dict)


class Export(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    version_id: str | None  # None: the current data, `selection` of it
    version_name: str
    selection: SampleQuery | None = None
    format: str
    options: ExportOptions = ExportOptions()
    status: ExportStatus = "queued"
    progress: ExportProgress = ExportProgress()
    outcome: ExportOutcome = ExportOutcome()
    archive: ExportArchive | None = None
    error: str | None = None
    requested_by: str | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        version: Version,
        format: str,
        options: ExportOptions,
        requested_by: str | None = None,
        id: str | None = None,
    ) -> Export:
        return cls(
            id=id or uuid.uuid4().hex,
            dataset_id=version.dataset_id,
            version_id=version.id,
            version_name=version.name,
            format=format,
            options=options,
            progress=ExportProgress(items_total=version.sample_count),
            requested_by=requested_by,
            created_at=utc_now(),
        )

    @classmethod
    def of_current(
        cls,
        *,
        dataset_id: str,
        selection: SampleQuery,
        total: int,
        format: str,
        options: ExportOptions,
        requested_by: str | None = None,
        id: str | None = None,
    ) -> Export:
        return cls(
            id=id or uuid.uuid4().hex,
            dataset_id=dataset_id,
            version_id=None,
            version_name=CURRENT,
            selection=selection,
            format=format,
            options=options,
            progress=ExportProgress(items_total=total),
            requested_by=requested_by,
            created_at=utc_now(),
        )

    def target(self, output_path: BucketPath) -> ObjectLocation:
        """Where the archive goes: `<output prefix>exports/V001/<id>.<format>.zip`."""
        folder = output_folder(output_path, "exports", self.version_name)
        return ObjectLocation(bucket=output_path.bucket, key=folder + self.file_name)

    @property
    def file_name(self) -> str:
        return f"{self.id}.{self.format}.zip"

    @property
    def is_finished(self) -> bool:
        return self.status in ("completed", "failed")

    def running(self, items_done: int) -> Export:
        progress = self.progress.model_copy(update={"items_done": items_done})
        return self.model_copy(update={"status": "running", "progress": progress})

    def completed(self, archive: ExportArchive, outcome: ExportOutcome) -> Export:
        progress = self.progress.model_copy(update={"items_done": outcome.items})
        update = {"status": "completed", "archive": archive, "outcome": outcome, "progress": progress}
        return self.model_copy(update={**update, "error": None, "finished_at": utc_now()})

    def failed(self, error: str) -> Export:
        return self.model_copy(update={"status": "failed", "error": error[:2000], "finished_at": utc_now()})


def item_of(line: dict[str, Any], *, input_prefix: str) -> Item:
    """An item of the formats from one line of a version's manifest; its name is the object key under the
    dataset's input prefix (the key itself for an object elsewhere)."""
    source = str(line["source"])
    key = source.removeprefix("s3://").split("/", 1)[-1]
    media = line.get("media") or {}
    return Item(
        sample_id=line["sample_id"],
        name=key.removeprefix(input_prefix) if input_prefix and key.startswith(input_prefix) else key,
        media_kind=line["media_kind"],
        width=media.get("width"),
        height=media.get("height"),
        fps=media.get("fps"),
        frame_count=media.get("frame_count"),
        shapes=_SHAPES.validate_python(line.get("shapes", ())),
        status=line.get("status", "unlabeled"),
        hard_example=bool(line.get("hard_example", False)),
        source=source,
    )


def parse_line(raw: bytes) -> dict[str, Any]:
    """One manifest line; orjson reads valid JSON as json does, three times faster, and json reads the rest (a
    non-finite number written as NaN or Infinity)."""
    try:
        line: dict[str, Any] = orjson.loads(raw)
    except orjson.JSONDecodeError:
        line = json.loads(raw)
    return line
