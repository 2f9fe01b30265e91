"""Requests a client may repeat: a POST that creates something (a version, an export) may carry an
`Idempotency-Key`; the id of what it creates then follows from the dataset, the operation and the key, so that the
same request sent again (a retry after a lost answer) finds what the first one created instead of creating it twice."""

from __future__ import annotations

import uuid

from labelstream_shared.errors import ConflictError

_NAMESPACE = uuid.UUID("6f1d3c52-8f0e-4a55-9a43-4d7c2f61b0a1")


def created_id(dataset_id: str, operation: str, key: str | None) -> str:
    """The id of what the request creates: derived from its Idempotency-Key, or a fresh one without a key."""
    if key is None:
        return uuid.uuid4().hex
    return uuid.uuid5(_NAMESPACE, f"{dataset_id}\n{operation}\n{key}").hex


def same_request(matches: bool, key: str | None) -> None:
    """A key sent again with another request (another description, format, ...) is refused (409)."""
    if not matches:
        raise ConflictError(f"Idempotency-Key: {key!r} was sent before with another request; use a new key")
