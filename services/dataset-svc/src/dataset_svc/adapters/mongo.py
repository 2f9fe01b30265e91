"""MongoDB adapters of dataset-svc."""

from __future__ import annotations

from typing import Any

from labelstream_shared.errors import ConflictError
from labelstream_shared.mongo import Document, MongoTransaction
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.domain.datasets import Dataset

DATASETS = "datasets"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[DATASETS].create_index("name_key", unique=True, name="unique_name")


def _to_document(dataset: Dataset) -> Document:
    doc = dataset.model_dump(mode="python")
    doc["_id"] = doc.pop("id")
    doc["name_key"] = dataset.name.casefold()
    return doc


def _from_document(doc: Document) -> Dataset:
    fields: dict[str, Any] = {k: v for k, v in doc.items() if k not in ("_id", "name_key")}
    return Dataset.model_validate({"id": doc["_id"], **fields})


class MongoDatasetRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[DATASETS]
        self._session = session

    async def add(self, dataset: Dataset) -> None:
        try:
            await self._collection.insert_one(_to_document(dataset), session=self._session)
        except DuplicateKeyError as exc:
            raise ConflictError(f"name: a dataset named {dataset.name!r} already exists") from exc

    async def get(self, dataset_id: str) -> Dataset | None:
        doc = await self._collection.find_one({"_id": dataset_id}, session=self._session)
        return _from_document(doc) if doc else None

    async def get_by_name(self, name: str) -> Dataset | None:
        doc = await self._collection.find_one({"name_key": name.strip().casefold()}, session=self._session)
        return _from_document(doc) if doc else None

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        query: Document = {"_id": {"$gt": after}} if after else {}
        cursor = self._collection.find(query, session=self._session).sort("_id", ASCENDING).limit(limit)
        return [_from_document(doc) async for doc in cursor]


class MongoDatasetTransaction(MongoTransaction, DatasetTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.datasets = MongoDatasetRepository(db, session)
