"""Time as stored: UTC with millisecond precision (what MongoDB keeps), so a stored value equals the original."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def time_ordered_id(at: datetime) -> str:
    """An id that sorts by creation time (ms since the epoch in hex, then randomness): newest-first listings page
    by id."""
    return f"{int(at.timestamp() * 1000):013x}{uuid.uuid4().hex[:11]}"
