"""Time as stored: UTC with millisecond precision (what MongoDB keeps), so a stored value equals the original."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
