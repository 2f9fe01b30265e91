"""Bucket notifications (S3 event records as MinIO publishes them to Kafka) as changes to objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

from sync_svc.domain.diff import Changed, Difference, New, Reappeared, Unchanged, Vanished
from sync_svc.domain.objects import KnownObject, ListedObject


class InvalidNotificationError(ValueError):
    """Not an S3 event notification."""


@dataclass(frozen=True)
class BucketChange:
    bucket: str
    key: str
    kind: Literal["created", "removed"]
    size: int
    etag: str
    at: datetime | None


def parse_notification(raw: bytes | None) -> tuple[str, list[BucketChange]]:
    """The notification's id (for the idempotency ledger) and its changes."""
    try:
        body = json.loads(raw or b"")
        records = body["Records"]
        changes = [_change(record) for record in records]
        ids = [_record_id(record) for record in records]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidNotificationError(f"not an S3 event notification: {exc!r}") from exc
    return "|".join(ids), [c for c in changes if c is not None]


def _record_id(record: dict[str, Any]) -> str:
    s3 = record["s3"]
    sequencer = s3["object"].get("sequencer") or record.get("eventTime") or ""
    return f"{record['eventName']}/{s3['bucket']['name']}/{s3['object']['key']}@{sequencer}"


def _change(record: dict[str, Any]) -> BucketChange | None:
    name = str(record["eventName"])
    kind: Literal["created", "removed"]
    if name.startswith("s3:ObjectCreated:"):
        kind = "created"
    elif name.startswith("s3:ObjectRemoved:"):
        kind = "removed"
    else:
        return None
    obj = record["s3"]["object"]
    at = record.get("eventTime")
    return BucketChange(
        bucket=str(record["s3"]["bucket"]["name"]),
        key=unquote_plus(str(obj["key"])),
        kind=kind,
        size=int(obj.get("size") or 0),
        etag=str(obj.get("eTag") or "").strip('"'),
        at=datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None,
    )


def difference_for(change: BucketChange, known: KnownObject | None) -> Difference | None:
    """What a notification means for a dataset that covers the object (None: nothing to do)."""
    if change.kind == "removed":
        return Vanished(known) if known is not None and not known.missing else None
    listed = ListedObject(key=change.key, size=change.size, etag=change.etag, last_modified=change.at)
    if known is None:
        return New(listed)
    if known.missing:
        return Reappeared(listed, known)
    return Unchanged(change.key) if known.etag == change.etag else Changed(listed, known)
