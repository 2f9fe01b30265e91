"""Dataset versions: immutable snapshots (V001, V002, ...) of a dataset's samples and their labels, written to its
output path as a manifest in JSON Lines and label statistics. Pure: no IO, no framework."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Literal

from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import BucketPath, MediaKind, MediaMetadata, Shape
from labelstream_shared.samples import SampleStatus
from pydantic import BaseModel, ConfigDict, Field

from dataset_svc.domain.labels import LabelStatistics, SampleLabels
from dataset_svc.domain.samples import Sample

# publishing -> published | failed; published | failed -> deleting (then gone). Only `published` is ever current.
VersionStatus = Literal["publishing", "published", "failed", "deleting"]
MANIFEST_FILE = "manifest.jsonl"
STATISTICS_FILE = "statistics.json"
MAX_ATTEMPTS = 3  # a version whose publication broke off this often (the worker died) fails


class ObjectLocation(BaseModel):
    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def version_name(number: int) -> str:
    return f"V{number:03d}"


def output_folder(output_path: BucketPath, *parts: str) -> str:
    """A folder under the output prefix (`<output prefix>versions/V001/`, `<output prefix>exports/V001/`)."""
    prefix = output_path.prefix
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix + "".join(f"{part}/" for part in parts)


def version_folder(output_path: BucketPath, name: str) -> str:
    """Where a version's files go: `<output prefix>versions/V001/`."""
    return output_folder(output_path, "versions", name)


class Version(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    number: int = Field(ge=1)
    name: str
    description: str = ""
    status: VersionStatus = "publishing"
    manifest: ObjectLocation
    statistics_file: ObjectLocation
    sample_count: int = Field(default=0, ge=0)
    statistics: LabelStatistics = LabelStatistics()
    label_set: tuple[str, ...] = ()  # the dataset's labels in order when it was published (exports' class ids)
    error: str | None = None
    created_at: datetime
    published_at: datetime | None = None

    @classmethod
    def create(
        cls, *, dataset_id: str, number: int, output_path: BucketPath, description: str = "", id: str | None = None
    ) -> Version:
        name = version_name(number)
        folder = version_folder(output_path, name)
        return cls(
            id=id or uuid.uuid4().hex,
            dataset_id=dataset_id,
            number=number,
            name=name,
            description=description,
            manifest=ObjectLocation(bucket=output_path.bucket, key=folder + MANIFEST_FILE),
            statistics_file=ObjectLocation(bucket=output_path.bucket, key=folder + STATISTICS_FILE),
            created_at=utc_now(),
        )

    @property
    def is_visible(self) -> bool:
        """A version being deleted is gone for the API already."""
        return self.status != "deleting"

    def published(self, *, statistics: LabelStatistics, label_set: tuple[str, ...]) -> Version:
        """Published with its statistics and the label set in its order, followed by any label a shape uses
        that the set no longer has (sorted)."""
        extra = sorted({s.label for s in statistics.labels} - set(label_set))
        update = {"status": "published", "sample_count": statistics.samples, "statistics": statistics}
        update["label_set"] = (*label_set, *extra)
        return self.model_copy(update={**update, "published_at": utc_now(), "error": None})

    def failed(self, error: str) -> Version:
        return self.model_copy(update={"status": "failed", "error": error[:2000]})

    def deleting(self) -> Version:
        return self.model_copy(update={"status": "deleting"})


class ManifestLine(BaseModel):
    """One sample of a version's manifest (one JSON object per line)."""

    model_config = ConfigDict(frozen=True)

    sample_id: str
    source: str  # s3://bucket/key
    media_kind: MediaKind
    media: MediaMetadata | None = None
    status: SampleStatus
    hard_example: bool = False
    labeled_by: str | None = None
    label_revision: int = 0
    shapes: tuple[Shape, ...] = ()

    @classmethod
    def of(cls, sample: Sample, labels: SampleLabels | None) -> ManifestLine:
        return cls(
            sample_id=sample.id,
            source=ObjectLocation(bucket=sample.bucket, key=sample.key).url,
            media_kind=sample.media_kind,
            media=sample.media,
            status=sample.status,
            hard_example=sample.hard_example,
            labeled_by=sample.labeled_by,
            label_revision=labels.revision if labels else 0,
            shapes=labels.shapes if labels else (),
        )

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)


def statistics_document(version: Version, statistics: LabelStatistics) -> bytes:
    """statistics.json: the version's label statistics, per label and in total."""
    document = {"dataset_id": version.dataset_id, "version": version.name, **statistics.model_dump(mode="json")}
    return json.dumps(document, indent=2).encode()
