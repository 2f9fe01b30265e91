"""MongoDB adapters of sync-svc: known objects, runs and datasets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Generic, TypeVar

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import ConflictError
from labelstream_shared.mongo import Document, MongoTransaction, model_from_document, model_to_document
from labelstream_shared.mongo_jobs import MongoJobQueue
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from sync_svc.app.ports import SyncTransaction
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.imports import MAX_ITEM_ERRORS, ImportCounts, ImportTask, ItemError
from sync_svc.domain.objects import KnownObject
from sync_svc.domain.runs import MAX_SKIPPED_EXAMPLES, RunCounts, SkippedObject, SyncRun

OBJECTS, RUNS, IMPORTS, DATASETS = "objects", "runs", "imports", "datasets"
J = TypeVar("J", bound=BaseModel)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    # the diff streams a dataset's objects in key order; the unique index also stops double registration
    await db[OBJECTS].create_index([("dataset_id", ASCENDING), ("key", ASCENDING)], unique=True, name="dataset_key")
    if "location" in await db[OBJECTS].index_information():  # an index of earlier releases, costly on inserts
        await db[OBJECTS].drop_index("location")
    for jobs in (RUNS, IMPORTS):
        await db[jobs].create_index([("dataset_id", ASCENDING), ("_id", DESCENDING)], name="dataset_newest")
        await db[jobs].create_index([("status", ASCENDING), ("_id", ASCENDING)], name="queue")
    await db[DATASETS].create_index("input_path.bucket", name="input_bucket")


class MongoKnownObjects:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[OBJECTS]
        self._session = session

    async def in_key_order(self, dataset_id: str, *, bucket: str, prefix: str) -> AsyncIterator[KnownObject]:
        query = {"dataset_id": dataset_id, "bucket": bucket, "key": {"$gte": prefix}}
        cursor = self._collection.find(query, batch_size=2000).sort("key", ASCENDING)
        async for doc in cursor:
            if not doc["key"].startswith(prefix):  # keys with the prefix are contiguous in key order
                break
            yield model_from_document(KnownObject, doc)

    async def existing_ids(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        cursor = self._collection.find({"_id": {"$in": list(ids)}}, {"_id": 1}, session=self._session)
        return {doc["_id"] async for doc in cursor}

    async def get_many(self, ids: Sequence[str]) -> dict[str, KnownObject]:
        if not ids:
            return {}
        cursor = self._collection.find({"_id": {"$in": list(ids)}}, session=self._session)
        return {doc["_id"]: model_from_document(KnownObject, doc) async for doc in cursor}

    async def get_by_keys(self, dataset_id: str, keys: Sequence[str]) -> dict[str, KnownObject]:
        query = {"dataset_id": dataset_id, "key": {"$in": list(keys)}}
        found = [
            model_from_document(KnownObject, doc) async for doc in self._collection.find(query, session=self._session)
        ]
        return {o.key: o for o in found}

    async def forget(self, ids: Sequence[str]) -> None:
        if ids:
            await self._collection.delete_many({"_id": {"$in": list(ids)}}, session=self._session)

    async def add_many(self, objects: Sequence[KnownObject]) -> None:
        if not objects:
            return
        try:
            await self._collection.insert_many([model_to_document(o) for o in objects], session=self._session)
        except (BulkWriteError, DuplicateKeyError) as exc:
            raise ConflictError("objects were registered concurrently") from exc

    async def replace_many(self, objects: Sequence[KnownObject]) -> None:
        if objects:
            requests = [ReplaceOne({"_id": o.id}, model_to_document(o)) for o in objects]
            await self._collection.bulk_write(requests, session=self._session)

    async def mark_missing(self, ids: Sequence[str]) -> None:
        if ids:
            await self._collection.update_many(
                {"_id": {"$in": list(ids)}}, {"$set": {"missing": True}}, session=self._session
            )

    async def dataset_ids(self) -> list[str]:
        return [str(d) for d in await self._collection.distinct("dataset_id", session=self._session)]

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        cursor = self._collection.find({"dataset_id": dataset_id}, {"_id": 1}, session=self._session).limit(limit)
        ids = [doc["_id"] async for doc in cursor]
        await self.forget(ids)
        return len(ids)


class MongoJobs(MongoJobQueue, Generic[J]):
    """A queue of background jobs (runs, imports): newest-first listing; the oldest job that is queued, or running
    under a worker silent for the stale time, is claimed (MongoJobQueue)."""

    active = ("queued", "running")
    claim_order = "_id"
    claimed_status = "running"
    started_field = "started_at"

    model: type[J]

    def __init__(self, collection: AsyncCollection[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = collection
        self._session = session

    async def add(self, job: J) -> None:
        await self._collection.insert_one(model_to_document(job), session=self._session)

    async def get(self, job_id: str) -> J | None:
        doc = await self._collection.find_one({"_id": job_id}, session=self._session)
        return model_from_document(self.model, doc) if doc else None

    async def list_for(self, dataset_id: str, *, limit: int, before: str | None) -> list[J]:
        query: Document = {"dataset_id": dataset_id, **({"_id": {"$lt": before}} if before else {})}
        cursor = self._collection.find(query, session=self._session).sort("_id", DESCENDING).limit(limit)
        return [model_from_document(self.model, doc) async for doc in cursor]

    async def finish(self, job_id: str, *, error: str | None) -> None:
        status = "failed" if error else "succeeded"
        await self._collection.update_one(
            {"_id": job_id},
            {"$set": {"status": status, "error": error, "finished_at": utc_now(), "owner": None}},
            session=self._session,
        )

    async def _progress(
        self, job_id: str, *, counts: BaseModel, listed: str, items: Sequence[BaseModel], cap: int
    ) -> None:
        update: Document = {
            "$inc": {f"counts.{name}": value for name, value in counts.model_dump().items() if value},
            "$set": {"heartbeat_at": utc_now()},
        }
        if items:
            update["$push"] = {listed: {"$each": [i.model_dump() for i in items], "$slice": cap}}
        await self._collection.update_one({"_id": job_id}, update, session=self._session)


class MongoSyncRuns(MongoJobs[SyncRun]):
    model = SyncRun

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        super().__init__(db[RUNS], session)

    async def record_progress(self, run_id: str, *, counts: RunCounts, skipped: Sequence[SkippedObject]) -> None:
        await self._progress(run_id, counts=counts, listed="skipped_examples", items=skipped, cap=MAX_SKIPPED_EXAMPLES)


class MongoImportTasks(MongoJobs[ImportTask]):
    model = ImportTask

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        super().__init__(db[IMPORTS], session)

    async def record_progress(self, task_id: str, *, counts: ImportCounts, errors: Sequence[ItemError]) -> None:
        await self._progress(task_id, counts=counts, listed="errors", items=errors, cap=MAX_ITEM_ERRORS)


class MongoSyncDatasets:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[DATASETS]
        self._session = session

    async def save(self, dataset: SyncDataset) -> None:
        doc = model_to_document(dataset)
        await self._collection.replace_one({"_id": dataset.id}, doc, upsert=True, session=self._session)

    async def get(self, dataset_id: str) -> SyncDataset | None:
        doc = await self._collection.find_one({"_id": dataset_id}, session=self._session)
        return model_from_document(SyncDataset, doc) if doc else None

    async def existing_ids(self, dataset_ids: Sequence[str]) -> set[str]:
        cursor = self._collection.find({"_id": {"$in": list(dataset_ids)}}, {"_id": 1}, session=self._session)
        return {doc["_id"] async for doc in cursor}

    async def in_bucket(self, bucket: str) -> list[SyncDataset]:
        cursor = self._collection.find({"input_path.bucket": bucket}, session=self._session)
        return [model_from_document(SyncDataset, doc) async for doc in cursor]

    async def delete(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)


class MongoSyncTransaction(MongoTransaction, SyncTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.objects = MongoKnownObjects(db, session)
        self.runs = MongoSyncRuns(db, session)
        self.imports = MongoImportTasks(db, session)
        self.datasets = MongoSyncDatasets(db, session)
