"""MongoDB adapter of exports (also the jobs of writing their archives)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from labelstream_shared.mongo import Document, model_from_document, model_to_document
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from dataset_svc.adapters.mongo_jobs import MongoJobs, remove_some
from dataset_svc.domain.exports import Export

EXPORTS = "exports"


def export_indexes() -> list[IndexModel]:
    return [
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status"),
        IndexModel([("dataset_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], name="by_dataset"),
    ]


class MongoExportRepository(MongoJobs):
    active = ("queued", "running")
    claimed_status = "running"

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        super().__init__(db[EXPORTS], session)

    async def add(self, export: Export) -> None:
        await self._collection.insert_one(model_to_document(export), session=self._session)

    async def save(self, export: Export) -> None:
        await self._save(export, status=export.status)

    async def get(self, export_id: str) -> Export | None:
        doc = await self._collection.find_one({"_id": export_id}, session=self._session)
        return model_from_document(Export, doc) if doc else None

    async def list(
        self, dataset_id: str, *, version_id: str | None, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[Export]:
        query: Document = {"dataset_id": dataset_id}
        if version_id is not None:
            query["version_id"] = version_id
        if before is not None:
            at, export_id = before
            query["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": export_id}}]
        order = [("created_at", DESCENDING), ("_id", DESCENDING)]
        cursor = self._collection.find(query, session=self._session).sort(order).limit(limit)
        return [model_from_document(Export, doc) async for doc in cursor]

    async def remove(self, export_ids: Sequence[str]) -> None:
        if export_ids:
            await self._collection.delete_many({"_id": {"$in": list(export_ids)}}, session=self._session)

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return await remove_some(self._collection, {"dataset_id": dataset_id}, limit=limit, session=self._session)
