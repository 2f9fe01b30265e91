"""The in-memory twin of `mongo_jobs.MongoJobQueue`, for the fakes of unit tests: the same claim rules over rows
in a dict (the contract tests run one suite against both)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from labelstream_shared.clock import utc_now
from labelstream_shared.jobs import Claim

Row = dict[str, Any]


class InMemoryJobQueue:
    """`claim_next` and `heartbeat` over `self._rows` (job id -> row). Same class attributes as MongoJobQueue;
    `claim_key` orders the claimable rows (by `claim_order`, then id, unless a subclass says otherwise)."""

    active: ClassVar[tuple[str, ...]]
    claim_order: ClassVar[str] = "created_at"
    claimed_status: ClassVar[str | None] = None
    started_field: ClassVar[str | None] = None

    _rows: dict[Any, Row]

    def claim_key(self, job_id: Any, row: Row) -> Any:
        return (row[self.claim_order], job_id)

    async def claim_next(self, *, owner: str, stale_after_s: float) -> Claim | None:
        now = utc_now()
        stale = now - timedelta(seconds=stale_after_s)
        free = [
            (self.claim_key(job_id, row), job_id)
            for job_id, row in self._rows.items()
            if row["status"] in self.active
            and (row.get("owner") is None or (row.get("heartbeat_at") is not None and row["heartbeat_at"] < stale))
        ]
        if not free:
            return None
        _, job_id = min(free)
        row = self._rows[job_id]
        attempts = row.get("attempts", 0) + 1
        row.update(owner=owner, heartbeat_at=now, attempts=attempts)
        if self.claimed_status is not None:
            row["status"] = self.claimed_status
        if self.started_field is not None:
            row[self.started_field] = now
        return Claim(job_id=job_id, attempts=attempts)

    async def heartbeat(self, job_id: str, *, owner: str) -> bool:
        row = self._rows.get(job_id)
        if row is None or row.get("owner") != owner:
            return False
        row["heartbeat_at"] = utc_now()
        return True
