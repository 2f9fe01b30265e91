"""Where derived files live: deterministic keys per dataset, sample and source version (etag), so a
reprocessed version never overwrites another's files and a retry writes the same keys again."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _segment(value: str) -> str:
    return _UNSAFE.sub("_", value) or "_"


def dataset_prefix(dataset_id: str) -> str:
    """Where every derived file of the dataset's samples lives (what its purge removes)."""
    return f"{_segment(dataset_id)}/"


def derived_prefix(*, dataset_id: str, sample_id: str, etag: str) -> str:
    return f"{dataset_prefix(dataset_id)}{_segment(sample_id)}/{_segment(etag)}/"


def thumbnail_key(prefix: str) -> str:
    return f"{prefix}thumb.jpg"


def poster_key(prefix: str) -> str:
    return f"{prefix}poster.jpg"


def timeline_key(prefix: str) -> str:
    return f"{prefix}timeline.jpg"


def transcode_key(prefix: str) -> str:
    return f"{prefix}playable.mp4"
