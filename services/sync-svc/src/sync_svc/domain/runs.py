"""A synchronization run: a resource with a status, progress and counts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from labelstream_shared.clock import time_ordered_id, utc_now
from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["queued", "running", "succeeded", "failed"]
MAX_SKIPPED_EXAMPLES = 20


class RunCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    listed: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0

    def plus(self, other: RunCounts) -> RunCounts:
        return RunCounts(**{name: getattr(self, name) + getattr(other, name) for name in RunCounts.model_fields})


class SkippedObject(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    reason: str


class SyncRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    status: RunStatus = "queued"
    trigger: Literal["api"] = "api"
    counts: RunCounts = Field(default_factory=RunCounts)
    skipped_examples: tuple[SkippedObject, ...] = ()
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def queue(cls, dataset_id: str) -> SyncRun:
        now = utc_now()
        return cls(id=time_ordered_id(now), dataset_id=dataset_id, created_at=now)
