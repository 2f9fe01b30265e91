"""Fixtures for every test package. Integration and end-to-end fixtures connect to the real Kafka, MongoDB and
MinIO that `make test` starts through the launcher (never mocks); unit tests use none of them."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from labelstream_shared.mongo import Document, connect
from labelstream_shared.settings import ServiceSettings
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.gateway import close_chromium
from labelstream_testing.labeling import LabelingPlatform, started_producer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tests.support import admin_headers, gateway_client

MONGO_URL = os.environ.get("LS_MONGO_URL", "mongodb://127.0.0.1:27017/?replicaSet=rs0")
KAFKA_BOOTSTRAP = os.environ.get("LS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
GATEWAY_URL = os.environ.get("LS_GATEWAY_URL", "http://127.0.0.1:8000")


@pytest.fixture
def unique() -> str:
    """A fresh id per test: tests use unique names instead of cleaning up after each other."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
async def mongo_client() -> AsyncIterator[AsyncMongoClient[Document]]:
    client = connect(MONGO_URL)
    await client.admin.command("ping")
    yield client
    await client.close()


@pytest.fixture(scope="session", autouse=True)
async def _shared_chromium() -> AsyncIterator[None]:
    """The browser tests share one Chromium (labelstream_testing.gateway.chromium); it ends with the session."""
    yield
    await close_chromium()


@pytest.fixture
async def mongo_db(mongo_client: AsyncMongoClient[Document], unique: str) -> AsyncIterator[AsyncDatabase[Document]]:
    db = mongo_client[f"test_{unique}"]
    yield db
    await mongo_client.drop_database(db.name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that leave the consumers thousands of events to work through run last, so that the tests after them do
    not wait behind that backlog (the order is otherwise pytest's: by package, file and definition); the chaos test
    first among them, so that its recovery is not measured behind another test's backlog."""
    items.sort(key=_late)


def _late(item: pytest.Item) -> tuple[bool, bool]:
    """Backlog-leaving tests last; the chaos tests (which need the consumers to keep up) first among their group."""
    backlog = item.get_closest_marker("leaves_backlog") is not None
    return backlog, backlog and item.get_closest_marker("chaos") is None


@pytest.fixture
async def platform(platform_buckets: tuple[str, ...]) -> AsyncIterator[LabelingPlatform]:
    """The running platform as the labeling end-to-end tests drive it: the gateway as admin, and a Kafka producer
    standing in for the services upstream of labeling (sync, media)."""
    producer = await started_producer(KAFKA_BOOTSTRAP)
    try:
        async with gateway_client(
            await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=60
        ) as gateway:
            yield LabelingPlatform(gateway, producer)
    finally:
        await producer.stop()


PLATFORM_BUCKETS = ("raw-data", "out-data")


@pytest.fixture(scope="session")
def platform_buckets() -> tuple[str, ...]:
    """The buckets the dataset examples point at; dataset-svc refuses datasets on buckets that do not exist."""
    storage = ObjectStorage(ServiceSettings())
    for bucket in PLATFORM_BUCKETS:
        if not storage.client.bucket_exists(bucket):
            storage.client.make_bucket(bucket)
    return PLATFORM_BUCKETS


@pytest.fixture
async def scratch_bucket(unique: str) -> AsyncIterator[tuple[ObjectStorage, str]]:
    """A new empty bucket of the platform's object storage, emptied and removed after the test."""
    storage = ObjectStorage(ServiceSettings())
    name = f"ls-test-{unique}"
    await storage.ensure_bucket(name)
    yield storage, name

    def empty() -> None:
        for listed in storage.client.list_objects(name, recursive=True):
            storage.client.remove_object(name, listed.object_name)
        storage.client.remove_bucket(name)

    await asyncio.to_thread(empty)
