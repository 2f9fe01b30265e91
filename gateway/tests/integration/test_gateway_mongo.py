"""The gateway's MongoDB adapters: the users (the in-memory fake keeps them the same), the failed-login counts
(shared by the replicas; the in-memory fake keeps the same windows) and the users' change stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from labelstream_gateway.auth import MemoryUserStore, UserStore, new_user
from labelstream_gateway.throttle import LoginFailures, MemoryLoginFailures
from labelstream_gateway.users_mongo import MongoLoginFailures, MongoUserStore, watch_users
from labelstream_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "mongo"])
async def failures(request: pytest.FixtureRequest, mongo_db: AsyncDatabase[Document]) -> AsyncIterator[LoginFailures]:
    if request.param == "memory":
        yield MemoryLoginFailures()
        return
    store = MongoLoginFailures(mongo_db)
    await store.ensure_indexes()
    yield store


@pytest.fixture(params=["memory", "mongo"])
def users(request: pytest.FixtureRequest, mongo_db: AsyncDatabase[Document]) -> UserStore:
    return MemoryUserStore() if request.param == "memory" else MongoUserStore(mongo_db)


async def test_a_user_is_kept_with_role_generation_and_disabled_state(users: UserStore) -> None:
    ann = new_user("ann", "annotator", "hash-1")
    assert await users.add(ann) and not await users.add(ann)
    assert await users.get("ann") == ann and ann.disabled is False
    disabled = ann.changed(disabled=True)
    assert disabled.generation != ann.generation
    assert await users.update(disabled)
    assert await users.get("ann") == disabled
    assert [u.disabled for u in await users.list()] == [True]
    enabled = disabled.changed(disabled=False, role="viewer")
    assert await users.update(enabled) and await users.get("ann") == enabled
    assert not await users.update(new_user("bob", "viewer", "hash-2"))  # no such user
    assert await users.delete("ann") and await users.get("ann") is None


async def test_failures_count_within_a_window_then_start_again(failures: LoginFailures) -> None:
    assert await failures.count("user:a", now=1000.0) == (0, 0.0)
    await failures.add("user:a", now=1000.0, window_s=60)
    await failures.add("user:a", now=1030.0, window_s=60)
    assert await failures.count("user:a", now=1059.0) == (2, 1060.0)
    assert await failures.count("user:b", now=1059.0) == (0, 0.0)
    assert await failures.count("user:a", now=1060.0) == (0, 0.0)  # the window ended
    await failures.add("user:a", now=1070.0, window_s=60)
    assert await failures.count("user:a", now=1071.0) == (1, 1130.0)
    await failures.clear("user:a")
    assert await failures.count("user:a", now=1071.0) == (0, 0.0)


async def test_every_change_of_a_user_reaches_the_watchers_forget(mongo_db: AsyncDatabase[Document]) -> None:
    """What makes every replica forget a changed user: the users collection's change stream."""
    users, forgotten, stop = MongoUserStore(mongo_db), asyncio.Queue[str | None](), asyncio.Event()
    watcher = asyncio.create_task(watch_users(mongo_db, forgotten.put_nowait, stop))
    try:
        assert await asyncio.wait_for(forgotten.get(), timeout=10) is None  # (re)started: forget everyone
        await users.add(new_user("ann", "admin", "x"))
        user = await users.get("ann")
        assert user is not None
        await users.update(user.changed(role="viewer"))
        await users.delete("ann")
        seen = [await asyncio.wait_for(forgotten.get(), timeout=10) for _ in range(3)]
        assert seen == ["ann", "ann", "ann"]
    finally:
        stop.set()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
