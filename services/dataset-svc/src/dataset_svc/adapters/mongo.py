"""MongoDB adapters of dataset-svc: datasets, the transaction and the indexes (samples: mongo_samples.py,
labels and deletions: mongo_jobs.py, versions: mongo_versions.py)."""

from __future__ import annotations

from collections.abc import Iterable

from labelstream_shared.errors import ConflictError
from labelstream_shared.mongo import (
    Document,
    MongoTransaction,
    model_from_document,
    model_to_document,
    page_by_id,
)
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from dataset_svc.adapters.mongo_exports import EXPORTS, MongoExportRepository, export_indexes
from dataset_svc.adapters.mongo_jobs import (
    DATASET_PURGES,
    SAMPLE_DELETIONS,
    SAMPLE_LABELS,
    MongoDatasetPurgeRepository,
    MongoSampleDeletionRepository,
    MongoSampleLabelRepository,
    by_dataset_index,
    deletion_indexes,
)
from dataset_svc.adapters.mongo_samples import (
    EARLY_MEDIA,
    LEGACY_INDEXES,
    SAMPLES,
    MongoEarlyMediaRepository,
    MongoSampleCountRepository,
    MongoSampleRepository,
    early_media_indexes,
    sample_indexes,
)
from dataset_svc.adapters.mongo_versions import (
    VERSION_OBJECTS,
    VERSIONS,
    MongoVersionHeadRepository,
    MongoVersionObjectRepository,
    MongoVersionRepository,
    version_indexes,
    version_object_indexes,
)
from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.domain.datasets import Dataset

DATASETS = "datasets"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[DATASETS].create_index("name_key", unique=True, name="unique_name")
    existing = await db[SAMPLES].index_information()
    for legacy in LEGACY_INDEXES:
        if legacy in existing:
            await db[SAMPLES].drop_index(legacy)
    await db[SAMPLES].create_indexes(sample_indexes())
    await db[EARLY_MEDIA].create_indexes(early_media_indexes())
    await db[SAMPLE_LABELS].create_indexes([by_dataset_index()])
    await db[SAMPLE_DELETIONS].create_indexes(deletion_indexes())
    await db[DATASET_PURGES].create_index([("status", 1), ("created_at", 1)], name="by_status")
    await db[VERSIONS].create_indexes(version_indexes())
    await db[VERSION_OBJECTS].create_indexes(version_object_indexes())
    await db[EXPORTS].create_indexes(export_indexes())


class MongoDatasetRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[DATASETS]
        self._session = session

    async def add(self, dataset: Dataset) -> None:
        try:
            await self._collection.insert_one(_document(dataset), session=self._session)
        except DuplicateKeyError as exc:
            raise ConflictError(f"name: a dataset named {dataset.name!r} already exists") from exc

    async def replace(self, dataset: Dataset) -> None:
        try:
            await self._collection.replace_one({"_id": dataset.id}, _document(dataset), session=self._session)
        except DuplicateKeyError as exc:
            raise ConflictError(f"name: a dataset named {dataset.name!r} already exists") from exc

    async def remove(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)

    async def get(self, dataset_id: str) -> Dataset | None:
        doc = await self._collection.find_one({"_id": dataset_id}, session=self._session)
        return model_from_document(Dataset, doc) if doc else None

    async def existing_ids(self, dataset_ids: Iterable[str]) -> set[str]:
        query = {"_id": {"$in": list(dict.fromkeys(dataset_ids))}}
        return {doc["_id"] async for doc in self._collection.find(query, {"_id": 1}, session=self._session)}

    async def get_by_name(self, name: str) -> Dataset | None:
        doc = await self._collection.find_one({"name_key": name.strip().casefold()}, session=self._session)
        return model_from_document(Dataset, doc) if doc else None

    async def list(self, *, limit: int, after: str | None = None) -> list[Dataset]:
        return await page_by_id(self._collection, Dataset, limit=limit, after=after, session=self._session)


def _document(dataset: Dataset) -> Document:
    return model_to_document(dataset, name_key=dataset.name.casefold())


class MongoDatasetTransaction(MongoTransaction, DatasetTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.datasets = MongoDatasetRepository(db, session)
        self.samples = MongoSampleRepository(db, session)
        self.sample_counts = MongoSampleCountRepository(db, session)
        self.early_media = MongoEarlyMediaRepository(db, session)
        self.sample_labels = MongoSampleLabelRepository(db, session)
        self.deletions = MongoSampleDeletionRepository(db, session)
        self.purges = MongoDatasetPurgeRepository(db, session)
        self.versions = MongoVersionRepository(db, session)
        self.version_heads = MongoVersionHeadRepository(db, session)
        self.version_objects = MongoVersionObjectRepository(db, session)
        self.exports = MongoExportRepository(db, session)
