"""The MongoDB side of `JobQueue` (labelstream_shared.jobs), written once for every job collection: a job document
has a `status`, an `owner`, a `heartbeat_at` and the number of `attempts`; a claim takes the first claimable job in
the collection's order whose owner is none or went silent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import ClassVar

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from labelstream_shared.clock import utc_now
from labelstream_shared.jobs import Claim
from labelstream_shared.mongo import Document


class MongoJobQueue:
    """`claim_next` and `heartbeat` over `self._collection` (within `self._session`) for a repository of jobs.

    A subclass says which statuses are claimable (`active`), the field the oldest claimable job is found by
    (`claim_order`, ascending) and the status a claim sets (`claimed_status`; None keeps it); `started_field`, when
    set, records the time of the claim."""

    active: ClassVar[tuple[str, ...]]
    claim_order: ClassVar[str] = "created_at"
    claimed_status: ClassVar[str | None] = None
    started_field: ClassVar[str | None] = None

    _collection: AsyncCollection[Document]
    _session: AsyncClientSession | None

    async def claim_next(self, *, owner: str, stale_after_s: float) -> Claim | None:
        also: dict[str, object] = {}
        if self.claimed_status is not None:
            also["status"] = self.claimed_status
        if self.started_field is not None:
            also[self.started_field] = utc_now()
        return await claim_job(
            self._collection,
            owner=owner,
            stale_after_s=stale_after_s,
            statuses=self.active,
            order_by=self.claim_order,
            also_set=also,
            session=self._session,
        )

    async def heartbeat(self, job_id: str, *, owner: str) -> bool:
        """False when `owner` no longer holds the job."""
        found = await self._collection.update_one(
            {"_id": job_id, "owner": owner}, {"$set": {"heartbeat_at": utc_now()}}, session=self._session
        )
        return found.matched_count == 1


async def claim_job(
    collection: AsyncCollection[Document],
    *,
    owner: str,
    stale_after_s: float,
    statuses: Sequence[str],
    order_by: str,
    also_set: Mapping[str, object] | None = None,
    session: AsyncClientSession | None = None,
) -> Claim | None:
    """Take the first job in one of `statuses` that has no owner, or whose owner was silent for `stale_after_s`;
    the claim counts as an attempt."""
    now = utc_now()
    free = [{"owner": None}, {"heartbeat_at": {"$lt": now - timedelta(seconds=stale_after_s)}}]
    doc = await collection.find_one_and_update(
        {"status": {"$in": list(statuses)}, "$or": free},
        {"$set": {**(also_set or {}), "owner": owner, "heartbeat_at": now}, "$inc": {"attempts": 1}},
        sort=[(order_by, ASCENDING)],
        projection={"attempts": 1},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return Claim(job_id=doc["_id"], attempts=doc["attempts"]) if doc else None
