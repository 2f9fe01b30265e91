"""MongoDB adapters of the relay's interfaces: the outbox collection (woken by a change stream) and a lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from labelstream_shared.mongo import OUTBOX, Document
from labelstream_shared.outbox import OutboxMessage

log = logging.getLogger(__name__)


class MongoOutboxStore:
    # records this relay already read: their inserts, seen again on the change stream, need no second pass
    SEEN_REMEMBERED = 4096

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[OUTBOX]
        self._new = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self._seen: OrderedDict[Any, None] = OrderedDict()

    async def pending(self, limit: int) -> list[OutboxMessage]:
        cursor = self._collection.find({"pending": True}).sort("_id", 1).limit(limit)
        found = await self._messages(cursor)
        for message in found:
            self._seen[message.record_id] = None
        while len(self._seen) > self.SEEN_REMEMBERED:
            self._seen.popitem(last=False)
        return found

    @staticmethod
    async def _messages(cursor: Any) -> list[OutboxMessage]:
        return [
            OutboxMessage(
                record_id=doc["_id"],
                event_id=doc["event_id"],
                event_type=doc["type"],
                topic=doc["topic"],
                key=doc["key"],
                value=None if doc["value"] is None else bytes(doc["value"]),
            )
            async for doc in cursor
        ]

    async def mark_sent(self, record_ids: Sequence[Any]) -> None:
        await self._collection.update_many(
            {"_id": {"$in": list(record_ids)}},
            {"$unset": {"pending": ""}, "$set": {"sent_at": datetime.now(UTC)}},
        )

    async def count_pending(self) -> int:
        return await self._collection.count_documents({"pending": True})

    def nudge(self) -> None:
        """A record was just committed by this process: wake the relay now (the change stream is the backstop)."""
        self._new.set()

    async def wait_for_new(self, timeout: float) -> None:
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name="outbox-change-stream")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._new.wait(), timeout=timeout)
        self._new.clear()

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    async def _watch(self) -> None:
        """Wake the relay as soon as a record is committed by another process (this process's own commits nudge
        it, and a pass may already have read the record); polling covers any gap."""
        while True:
            try:
                # only which record was inserted matters: projecting the document away spares decoding it
                pipeline: list[Document] = [
                    {"$match": {"operationType": "insert"}},
                    {"$project": {"_id": 1, "documentKey": 1}},
                ]
                async with await self._collection.watch(pipeline) as stream:
                    async for change in stream:
                        if change.get("documentKey", {}).get("_id") not in self._seen:
                            self._new.set()
            except PyMongoError as exc:
                log.info("outbox change stream interrupted", extra={"fields": {"error": repr(exc)}})
                await asyncio.sleep(1)


class MongoLease:
    """A named lease with an owner and an expiry; renewed while held, taken over once it expires."""

    def __init__(self, db: AsyncDatabase[Document], *, name: str, owner: str, ttl_s: float = 15.0) -> None:
        self._collection = db["leases"]
        self.name = name
        self.owner = owner
        self.ttl_s = ttl_s
        self._renewed_at = 0.0

    async def acquire(self) -> bool:
        if time.monotonic() - self._renewed_at < self.ttl_s / 3:
            return True
        now = datetime.now(UTC)
        try:
            await self._collection.update_one(
                {"_id": self.name, "$or": [{"owner": self.owner}, {"expires_at": {"$lt": now}}]},
                {"$set": {"owner": self.owner, "expires_at": now + timedelta(seconds=self.ttl_s)}},
                upsert=True,
            )
        except DuplicateKeyError:  # held by another owner and not expired
            self._renewed_at = 0.0
            return False
        self._renewed_at = time.monotonic()
        return True

    async def release(self) -> None:
        self._renewed_at = 0.0
        with contextlib.suppress(PyMongoError):
            await self._collection.delete_one({"_id": self.name, "owner": self.owner})
