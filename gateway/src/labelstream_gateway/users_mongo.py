"""The gateway's MongoDB collections: users, and the token signing secret when none is configured."""

from __future__ import annotations

import contextlib

from labelstream_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from labelstream_gateway.auth import User, new_secret


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
    return User(username=doc["_id"], role=doc["role"], password_hash=doc["password_hash"])


async def signing_secret(db: AsyncDatabase[Document]) -> str:
    """The secret every gateway replica signs with: created once (first writer wins), then read."""
    settings = db["settings"]
    with contextlib.suppress(DuplicateKeyError):
        await settings.insert_one({"_id": "token-secret", "value": new_secret()})
    found = await settings.find_one({"_id": "token-secret"})
    assert found is not None
    return str(found["value"])
