"""Datasets: what a dataset is and the rules it keeps. Pure: no IO, no framework."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import BucketPath, LabelDefinition, LabelingType, LabelSetChanged
from labelstream_shared.label_sets import check_label_set
from pydantic import BaseModel, ConfigDict

# S3 bucket naming rules: 3-63 chars, lowercase letters, digits, dots and hyphens, start/end alphanumeric.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class Dataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str = ""
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: tuple[LabelDefinition, ...] = ()
    label_set_revision: int = 0  # of labeling-svc's set, which `labels` projects (0: the set given at creation)
    created_at: datetime
    updated_at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        name: str,
        description: str,
        labeling_type: LabelingType,
        input_path: BucketPath,
        output_path: BucketPath,
        labels: tuple[LabelDefinition, ...],
    ) -> Dataset:
        name = checked_name(name)
        for field, path in (("input_path", input_path), ("output_path", output_path)):
            check_bucket_path(field, path)
        check_label_set(labels)
        return cls(
            id=uuid.uuid4().hex,
            name=name,
            description=description,
            labeling_type=labeling_type,
            input_path=input_path,
            output_path=output_path,
            labels=labels,
            created_at=utc_now(),
        )

    def edited(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        labels: tuple[LabelDefinition, ...] | None = None,
    ) -> Dataset:
        """The dataset with new values for the fields given (None keeps a field); its paths never change.

        The label set is labeling-svc's (this is a projection of it): `labels` equal to the current set are accepted
        and change nothing (a client sending back what it read); any other set is refused, pointing to the owner."""
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = checked_name(name)
        if description is not None:
            changes["description"] = description
        if labels is not None and labels != self.labels:
            raise LabelSetOwnedElsewhereError(self.id)
        changes = {field: value for field, value in changes.items() if getattr(self, field) != value}
        return self.model_copy(update={**changes, "updated_at": utc_now()}) if changes else self

    def label_set_changed(self, event: LabelSetChanged) -> Dataset:
        """The projection follows the owner's set; an event not newer than the revision held is stale."""
        if event.revision <= self.label_set_revision:
            return self
        return self.model_copy(
            update={"labels": event.labels, "label_set_revision": event.revision, "updated_at": event.changed_at}
        )


class LabelSetOwnedElsewhereError(InvalidInputError):
    code = "label_set_owned_by_labeling"

    def __init__(self, dataset_id: str) -> None:
        super().__init__(
            "labels: the label set is edited through labeling, which owns it: "
            f"POST /api/labeling/datasets/{dataset_id}/labels to add a label, "
            f"PATCH or DELETE /api/labeling/datasets/{dataset_id}/labels/{{name}} to rename, recolour or delete one"
        )


def checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInputError("name: must not be blank")
    return name


def check_bucket_path(field: str, path: BucketPath) -> None:
    if not _BUCKET_NAME.match(path.bucket) or ".." in path.bucket:
        raise InvalidInputError(f"{field}.bucket: {path.bucket!r} is not a valid bucket name")
    if path.prefix.startswith("/") or "//" in path.prefix or ".." in path.prefix.split("/"):
        raise InvalidInputError(f"{field}.prefix: {path.prefix!r} must be a relative path inside the bucket")
