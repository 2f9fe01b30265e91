"""MongoDB adapters of labeling-svc."""

from __future__ import annotations

from collections.abc import Sequence

from labelstream_shared.mongo import Document, MongoTransaction, model_from_document, model_to_document, page_by_id
from pymongo import ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.datasets import LabelingDataset

DATASETS, ANNOTATIONS = "datasets", "annotations"


class MongoLabelingDatasetRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[DATASETS]
        self._session = session

    async def save(self, dataset: LabelingDataset) -> None:
        doc = model_to_document(dataset)
        await self._collection.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self._session)

    async def get(self, dataset_id: str) -> LabelingDataset | None:
        doc = await self._collection.find_one({"_id": dataset_id}, session=self._session)
        return model_from_document(LabelingDataset, doc) if doc else None

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]:
        return await page_by_id(self._collection, LabelingDataset, limit=limit, after=after, session=self._session)


class MongoAnnotationRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[ANNOTATIONS]
        self._session = session

    async def get_many(self, sample_ids: Sequence[str]) -> dict[str, Annotation]:
        cursor = self._collection.find({"_id": {"$in": list(sample_ids)}}, session=self._session)
        return {doc["_id"]: model_from_document(Annotation, doc) async for doc in cursor}

    async def save_many(self, annotations: Sequence[Annotation]) -> None:
        if annotations:
            requests = [ReplaceOne({"_id": a.id}, model_to_document(a), upsert=True) for a in annotations]
            await self._collection.bulk_write(requests, session=self._session)

    async def get(self, sample_id: str) -> Annotation | None:
        doc = await self._collection.find_one({"_id": sample_id}, session=self._session)
        return model_from_document(Annotation, doc) if doc else None


class MongoLabelingTransaction(MongoTransaction, LabelingTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.datasets = MongoLabelingDatasetRepository(db, session)
        self.annotations = MongoAnnotationRepository(db, session)
