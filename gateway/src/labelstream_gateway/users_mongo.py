"""The gateway's MongoDB collections: users (and their change stream, which every replica follows to forget cached
users), failed logins (a TTL collection shared by the replicas), and the token signing secret when none is
configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from labelstream_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from labelstream_gateway.auth import User, new_secret

log = logging.getLogger(__name__)


class MongoUserStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._users = db["users"]

    async def get(self, username: str) -> User | None:
        found = await self._users.find_one({"_id": username})
        return None if found is None else _user(found)

    async def list(self) -> list[User]:
        return [_user(d) async for d in self._users.find({}).sort("_id", 1).limit(1000)]

    async def add(self, user: User) -> bool:
        try:
            await self._users.insert_one({"_id": user.username, **user.model_dump(exclude={"username"})})
        except DuplicateKeyError:
            return False
        return True

    async def update(self, user: User) -> bool:
        result = await self._users.replace_one(
            {"_id": user.username}, {"_id": user.username, **user.model_dump(exclude={"username"})}
        )
        return result.matched_count == 1

    async def delete(self, username: str) -> bool:
        return (await self._users.delete_one({"_id": username})).deleted_count == 1

    async def count(self) -> int:
        return await self._users.count_documents({}, limit=1)


def _user(doc: Document) -> User:
    return User(
        username=doc["_id"],
        role=doc["role"],
        password_hash=doc["password_hash"],
        generation=doc.get("generation", ""),
        disabled=doc.get("disabled", False),
    )


async def watch_users(db: AsyncDatabase[Document], forget: Callable[[str | None], None], stop: asyncio.Event) -> None:
    """Calls `forget(username)` for every change of the users collection, whichever replica made it, and
    `forget(None)` whenever the stream (re)starts, since changes made while it was down were missed."""
    pause = 1.0
    while not stop.is_set():
        try:
            async with await db["users"].watch() as stream:
                forget(None)
                pause = 1.0
                async for change in stream:
                    key = change.get("documentKey", {}).get("_id")
                    forget(key if isinstance(key, str) else None)
        except PyMongoError as exc:  # until it is back, the cache's time bounds how stale a user may be
            log.warning("users change stream: %s; retrying in %.0f s", exc, pause)
            forget(None)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)


class MongoLoginFailures:
    """Failed-login counts per key in fixed windows; a TTL index removes ended windows."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._failures = db["login_failures"]

    async def ensure_indexes(self) -> None:
        await self._failures.create_index("ends_at", expireAfterSeconds=0)

    async def count(self, key: str, *, now: float) -> tuple[int, float]:
        found = await self._failures.find_one({"_id": key, "ends_at": {"$gt": _at(now)}})
        if found is None:
            return 0, 0.0
        return int(found["count"]), found["ends_at"].replace(tzinfo=UTC).timestamp()

    async def add(self, key: str, *, now: float, window_s: float) -> None:
        counted = await self._failures.update_one({"_id": key, "ends_at": {"$gt": _at(now)}}, {"$inc": {"count": 1}})
        if counted.matched_count == 0:  # no window, or an ended one the TTL monitor has not removed yet
            ends = _at(now) + timedelta(seconds=window_s)
            await self._failures.replace_one({"_id": key}, {"count": 1, "ends_at": ends}, upsert=True)

    async def clear(self, key: str) -> None:
        await self._failures.delete_one({"_id": key})


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def signing_secret(db: AsyncDatabase[Document]) -> str:
    """The secret every gateway replica signs with: created once (first writer wins), then read."""
    settings = db["settings"]
    with contextlib.suppress(DuplicateKeyError):
        await settings.insert_one({"_id": "token-secret", "value": new_secret()})
    found = await settings.find_one({"_id": "token-secret"})
    assert found is not None
    return str(found["value"])
