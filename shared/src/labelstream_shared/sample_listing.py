"""The sample listing that dataset-svc and labeling-svc both serve: a tab plus combinable filters, paged in
(object key, sample id) order with an opaque cursor, and the MongoDB query for it. Each service keeps its own
samples; the way they are filtered and paged is one thing, kept here."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from labelstream_shared.errors import InvalidInputError


class Listed(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def id(self) -> str: ...


class SampleFilters(Protocol):
    """What a listing query says (each service's SampleQuery)."""

    @property
    def statuses(self) -> Sequence[str]: ...

    @property
    def hard_example(self) -> bool | None: ...

    @property
    def labels(self) -> tuple[str, ...]: ...

    @property
    def name(self) -> str | None: ...

    @property
    def labeled_by(self) -> str | None: ...


class SamplePosition(BaseModel):
    """Where a page ends in the listing order (object key, then sample id); the cursor is its opaque form."""

    model_config = ConfigDict(frozen=True)

    key: str
    id: str

    @classmethod
    def of(cls, sample: Listed) -> SamplePosition:
        return cls(key=sample.key, id=sample.id)

    def is_before(self, sample: Listed) -> bool:
        return (self.key, self.id) < (sample.key, sample.id)

    def to_cursor(self) -> str:
        raw = json.dumps([self.key, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str) -> SamplePosition:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            key, sample_id = json.loads(raw)
            return cls(key=key, id=sample_id)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise InvalidInputError("cursor: not a cursor of this listing (pass next_cursor back as is)") from exc


# The indexes a filtered page walks; each query names one (`index_for`): left to the planner, a rare name took
# seconds to plan at a million samples.
SAMPLE_INDEXES: dict[str, list[str]] = {
    "by_status": ["dataset_id", "status", "key", "_id"],
    "by_hard_example": ["dataset_id", "hard_example", "status", "key", "_id"],
    "by_label": ["dataset_id", "label_counts.label", "status", "key", "_id"],
    "by_labeled_by": ["dataset_id", "labeled_by", "status", "key", "_id"],
}


def index_for(query: SampleFilters) -> str:
    """The index a query walks: the most selective equality it has (hard examples are few), else the status."""
    if query.hard_example:
        return "by_hard_example"
    if query.labeled_by is not None:
        return "by_labeled_by"
    if query.labels:
        return "by_label"
    if query.hard_example is not None:
        return "by_hard_example"
    return "by_status"


def match_samples(dataset_id: str, query: SampleFilters) -> dict[str, Any]:
    statuses = list(query.statuses)
    match: dict[str, Any] = {
        "dataset_id": dataset_id,
        "status": statuses[0] if len(statuses) == 1 else {"$in": statuses},
    }
    if query.hard_example is not None:
        match["hard_example"] = query.hard_example
    if query.labeled_by is not None:
        match["labeled_by"] = query.labeled_by
    if query.labels:
        match["label_counts.label"] = {"$in": list(query.labels)}
    if query.name:
        match["key"] = {"$regex": name_pattern(query.name), "$options": "i"}
    return match


def name_pattern(name: str) -> str:
    """The regex matching `name` literally. re.escape leaves a NUL as it is, and MongoDB refuses a pattern holding
    one (a 500 the API fuzz found): it is written as the escape \\x00, which matches the same character."""
    return re.escape(name).replace("\x00", "\\x00")


def after_position(match: dict[str, Any], position: SamplePosition) -> dict[str, Any]:
    """Samples after `position` in (key, _id) order, as a range on key (index bounds) minus the equal keys
    up to the id (checked on index keys): an `$or` of the two cases would be planned as separate scans."""
    past = {"$nor": [{"key": position.key, "_id": {"$lte": position.id}}]}
    return {"$and": [match, {"key": {"$gte": position.key}}, past]}
