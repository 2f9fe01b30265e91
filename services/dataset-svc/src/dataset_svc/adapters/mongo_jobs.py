"""MongoDB adapters of what dataset-svc keeps besides datasets and samples: labels of samples, sample deletions,
and the job plumbing the worker's queues share (claims with heartbeats; see app/ports.py JobQueue)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labelstream_shared.clock import utc_now
from labelstream_shared.mongo import Document, model_from_document, model_to_document
from labelstream_shared.mongo_jobs import MongoJobQueue
from pydantic import BaseModel
from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from dataset_svc.domain.deletion import SampleDeletion
from dataset_svc.domain.labels import SampleLabels

SAMPLE_LABELS = "sample_labels"
SAMPLE_DELETIONS = "sample_deletions"
DATASET_PURGES = "dataset_purges"
JOB_FIELDS = ("owner", "heartbeat_at", "attempts")  # kept next to a job's fields while it is active
FINISHED_DELETION_TTL_S = 30 * 24 * 3600  # a finished deletion can be polled for a month


def deletion_indexes() -> list[IndexModel]:
    return [
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status"),
        IndexModel([("dataset_id", ASCENDING)], name="by_dataset"),
        IndexModel("finished_at", name="finished_expire", expireAfterSeconds=FINISHED_DELETION_TTL_S),
    ]


def by_dataset_index() -> IndexModel:
    return IndexModel([("dataset_id", ASCENDING)], name="by_dataset")


class MongoJobs(MongoJobQueue):
    """A collection of jobs: documents with a `status`, claimed (oldest first) while it is one of `active`."""

    def __init__(self, collection: AsyncCollection[Document], session: AsyncClientSession | None) -> None:
        self._collection = collection
        self._session = session

    async def _save(self, model: BaseModel, *, status: str) -> None:
        """Store the model's fields; the claim stays while the job is active and goes when it is not."""
        fields = model_to_document(model)
        job_id = fields.pop("_id")
        update: Document = {"$set": fields}
        if status not in self.active:
            update["$unset"] = dict.fromkeys(JOB_FIELDS, "")
        await self._collection.update_one({"_id": job_id}, update, session=self._session)


class MongoSampleDeletionRepository(MongoJobs):
    active = ("queued", "running")

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        super().__init__(db[SAMPLE_DELETIONS], session)

    async def add(self, deletion: SampleDeletion) -> None:
        await self._collection.insert_one(model_to_document(deletion), session=self._session)

    async def save(self, deletion: SampleDeletion) -> None:
        await self._save(deletion, status=deletion.status)

    async def get(self, deletion_id: str) -> SampleDeletion | None:
        doc = await self._collection.find_one({"_id": deletion_id}, session=self._session)
        return model_from_document(SampleDeletion, doc) if doc else None

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return await remove_some(self._collection, {"dataset_id": dataset_id}, limit=limit, session=self._session)


class MongoDatasetPurgeRepository(MongoJobs):
    """`{_id: dataset_id, status: "queued", created_at}` while the deleted dataset's samples are being removed."""

    active = ("queued",)

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        super().__init__(db[DATASET_PURGES], session)

    async def add(self, dataset_id: str) -> None:
        doc = {"status": "queued", "created_at": utc_now()}
        await self._collection.update_one({"_id": dataset_id}, {"$set": doc}, upsert=True, session=self._session)

    async def finish(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)


class MongoSampleLabelRepository:
    """`{_id: sample_id, dataset_id, revision, shapes, labeled_by, changed_at}`."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[SAMPLE_LABELS]
        self._session = session

    async def get(self, sample_id: str) -> SampleLabels | None:
        doc = await self._collection.find_one({"_id": sample_id}, session=self._session)
        return model_from_document(SampleLabels, doc) if doc else None

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, SampleLabels]:
        ids = list(dict.fromkeys(sample_ids))
        if not ids:
            return {}
        cursor = self._collection.find({"_id": {"$in": ids}}, session=self._session)
        return {doc["_id"]: model_from_document(SampleLabels, doc) async for doc in cursor}

    async def save_all(self, labels: Sequence[SampleLabels]) -> None:
        requests = [ReplaceOne({"_id": each.id}, model_to_document(each), upsert=True) for each in labels]
        if requests:
            await self._collection.bulk_write(requests, ordered=False, session=self._session)

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return await remove_some(self._collection, {"dataset_id": dataset_id}, limit=limit, session=self._session)


async def remove_some(
    collection: AsyncCollection[Document], query: Document, *, limit: int, session: AsyncClientSession | None
) -> int:
    """Remove up to `limit` documents matching `query` (a transaction must not delete millions at once)."""
    ids = [doc["_id"] async for doc in collection.find(query, {"_id": 1}, session=session).limit(limit)]
    if not ids:
        return 0
    removed = await collection.delete_many({"_id": {"$in": ids}}, session=session)
    return removed.deleted_count
