"""The failed-login counts: the MongoDB store (shared by the replicas) and the in-memory fake keep the same
windows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from labelstream_gateway.throttle import LoginFailures, MemoryLoginFailures
from labelstream_gateway.users_mongo import MongoLoginFailures
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
