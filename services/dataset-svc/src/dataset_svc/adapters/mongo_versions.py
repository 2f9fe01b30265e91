"""MongoDB adapters of versions: the versions (also the jobs of publishing and deleting them), the per-dataset
head (numbering and current version) and which source objects each version uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labelstream_shared.mongo import Document, model_from_document, model_to_document
from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from dataset_svc.adapters.mongo_jobs import MongoJobs, remove_some
from dataset_svc.adapters.mongo_samples import keys_by_bucket
from dataset_svc.domain.deletion import ObjectReference, SourceObject
from dataset_svc.domain.versions import Version

VERSIONS = "versions"
VERSION_HEADS = "version_heads"
VERSION_OBJECTS = "version_objects"


def version_indexes() -> list[IndexModel]:
    return [
        # One version per number and dataset: a numbering bug fails loudly instead of publishing V002 twice.
        IndexModel([("dataset_id", ASCENDING), ("number", DESCENDING)], name="unique_number", unique=True),
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status"),
    ]


def version_object_indexes() -> list[IndexModel]:
    return [
        IndexModel([("bucket", ASCENDING), ("key", ASCENDING), ("version_id", ASCENDING)], name="by_object"),
        IndexModel([("dataset_id", ASCENDING), ("version_id", ASCENDING)], name="by_version"),
    ]


class MongoVersionRepository(MongoJobs):
    active = ("publishing", "deleting")

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        super().__init__(db[VERSIONS], session)

    async def add(self, version: Version) -> None:
        await self._collection.insert_one(model_to_document(version), session=self._session)

    async def save(self, version: Version) -> None:
        await self._save(version, status=version.status)

    async def get(self, version_id: str) -> Version | None:
        doc = await self._collection.find_one({"_id": version_id}, session=self._session)
        return model_from_document(Version, doc) if doc else None

    async def list(self, dataset_id: str, *, limit: int, before: int | None = None) -> list[Version]:
        query: Document = {"dataset_id": dataset_id, "status": {"$ne": "deleting"}}
        if before is not None:
            query["number"] = {"$lt": before}
        cursor = self._collection.find(query, session=self._session).sort("number", DESCENDING).limit(limit)
        return [model_from_document(Version, doc) async for doc in cursor]

    async def latest_published(self, dataset_id: str) -> Version | None:
        doc = await self._collection.find_one(
            {"dataset_id": dataset_id, "status": "published"}, sort=[("number", DESCENDING)], session=self._session
        )
        return model_from_document(Version, doc) if doc else None

    async def visible(self, version_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(version_ids))
        if not ids:
            return set()
        query = {"_id": {"$in": ids}, "status": {"$ne": "deleting"}}
        return {doc["_id"] async for doc in self._collection.find(query, {"_id": 1}, session=self._session)}

    async def remove(self, version_id: str) -> None:
        await self._collection.delete_one({"_id": version_id}, session=self._session)

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return await remove_some(self._collection, {"dataset_id": dataset_id}, limit=limit, session=self._session)


class MongoVersionHeadRepository:
    """`{_id: dataset_id, last_number, current, writes}`; `writes` grows with every write, so that two
    transactions writing the head always conflict (one retries), even when they write the same values."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[VERSION_HEADS]
        self._session = session

    async def next_number(self, dataset_id: str) -> int:
        doc = await self._collection.find_one_and_update(
            {"_id": dataset_id},
            {"$inc": {"last_number": 1, "writes": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self._session,
        )
        assert doc is not None  # upserted
        return int(doc["last_number"])

    async def current(self, dataset_id: str) -> str | None:
        doc = await self._collection.find_one({"_id": dataset_id}, session=self._session)
        return doc.get("current") if doc else None

    async def set_current(self, dataset_id: str, version_id: str | None) -> None:
        await self._collection.update_one(
            {"_id": dataset_id},
            {"$set": {"current": version_id}, "$inc": {"writes": 1}},
            upsert=True,
            session=self._session,
        )

    async def remove(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)


class MongoVersionObjectRepository:
    """`{dataset_id, version_id, bucket, key}`, one document per sample of a version."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[VERSION_OBJECTS]
        self._session = session

    async def add(self, *, dataset_id: str, version_id: str, objects: Sequence[SourceObject]) -> None:
        if objects:
            writes = [
                InsertOne({"dataset_id": dataset_id, "version_id": version_id, "bucket": o.bucket, "key": o.key})
                for o in objects
            ]
            await self._collection.bulk_write(writes, ordered=False, session=self._session)

    async def users_of(self, objects: Sequence[SourceObject]) -> list[ObjectReference]:
        found: list[ObjectReference] = []
        projection = {"_id": 0, "bucket": 1, "key": 1, "version_id": 1}
        for bucket, keys in keys_by_bucket(objects).items():
            cursor = self._collection.find({"bucket": bucket, "key": {"$in": keys}}, projection, session=self._session)
            found += [ObjectReference(d["version_id"], SourceObject(d["bucket"], d["key"])) async for d in cursor]
        return found

    async def remove_some(self, *, dataset_id: str, version_id: str, limit: int) -> int:
        query = {"dataset_id": dataset_id, "version_id": version_id}
        return await remove_some(self._collection, query, limit=limit, session=self._session)

    async def remove_some_of_dataset(self, dataset_id: str, *, limit: int) -> int:
        return await remove_some(self._collection, {"dataset_id": dataset_id}, limit=limit, session=self._session)
