"""MongoDB adapters of labeling-svc: datasets, jobs, history, and samples, whose documents hold the sample, its
annotation (shapes, revision) and the annotation's summary the listings filter on (status, labeled by, label counts,
hard example), so a save reads and writes one document.

A document made by an early MediaProcessed has no `status` until its DataAdded comes: listings match a status, so
it is not listed. Listing indexes follow dataset-svc's (equalities first, then the sort `key, _id`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from labelstream_shared.events.contracts import LabelingType
from labelstream_shared.mongo import Document, MongoTransaction, model_from_document, model_to_document, page_by_id
from labelstream_shared.sample_listing import SAMPLE_INDEXES, SamplePosition, after_position, index_for, match_samples
from labelstream_shared.samples import STATUSES
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation, HistoryEntry, Labeler
from labeling_svc.domain.datasets import LabelingDataset
from labeling_svc.domain.imports import ImportedShapes
from labeling_svc.domain.jobs import LabelingJob
from labeling_svc.domain.samples import LabelingSample, MediaResult, SampleCounts, SampleQuery

DATASETS, SAMPLES, HISTORY, JOBS = "datasets", "samples", "history", "jobs"
_SORT = [("key", ASCENDING), ("_id", ASCENDING)]
_INDEXES: dict[str, list[str]] = {
    **SAMPLE_INDEXES,  # the listing's (labelstream_shared.sample_listing)
    "by_added": ["dataset_id", "added_at"],
}
_ANNOTATION_PROJECTION = dict.fromkeys(
    ("dataset_id", "shapes", "revision", "labeled_by", "hard_example", "updated_at"), 1
)
_SAMPLE_PROJECTION = {"shapes": 0, "held_imports": 0}


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[SAMPLES].create_indexes(
        [IndexModel([(f, ASCENDING) for f in fields], name=name) for name, fields in _INDEXES.items()]
    )
    await db[HISTORY].create_index([("sample_id", ASCENDING), ("_id", ASCENDING)], name="by_sample")
    await db[JOBS].create_index([("dataset_id", ASCENDING)], name="by_dataset")


def _counts_document(counts: dict[str, int]) -> list[Document]:
    # Label names become values, not field names: names may hold '.' or '$', and `label_counts.label` is indexed.
    return [{"label": name, "shapes": n} for name, n in sorted(counts.items()) if n > 0]


def _sample_from(doc: Document) -> LabelingSample:
    counts = {entry["label"]: entry["shapes"] for entry in doc.get("label_counts", [])}
    return model_from_document(LabelingSample, {**doc, "label_counts": counts})


def _annotation_from(doc: Document) -> Annotation:
    return model_from_document(Annotation, doc)


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

    async def existing_ids(self, dataset_ids: Iterable[str]) -> set[str]:
        query = {"_id": {"$in": list(dict.fromkeys(dataset_ids))}}
        return {doc["_id"] async for doc in self._collection.find(query, {"_id": 1}, session=self._session)}

    async def list(self, *, limit: int, after: str | None = None) -> list[LabelingDataset]:
        return await page_by_id(self._collection, LabelingDataset, limit=limit, after=after, session=self._session)

    async def remove(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)


class MongoSampleRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[SAMPLES]
        self._session = session

    async def add_new(self, samples: Sequence[LabelingSample]) -> list[LabelingSample]:
        candidates = list({s.id: s for s in reversed(samples)}.values())  # the first of each id wins
        candidates.sort(key=lambda s: next(i for i, x in enumerate(samples) if x.id == s.id))
        ids = [s.id for s in candidates]
        query = {"_id": {"$in": ids}, "status": {"$exists": True}}
        known = {d["_id"] async for d in self._collection.find(query, {"_id": 1}, session=self._session)}
        inserted = [s for s in candidates if s.id not in known]
        if not inserted:
            return []
        writes = []
        for sample in inserted:
            doc = model_to_document(sample, label_counts=[], shapes=[], updated_at=sample.added_at)
            doc.pop("media")
            doc.pop("media_failed")  # an early failed result stays known
            doc.pop("revision")  # a sample added again continues its revisions
            sample_id = doc.pop("_id")
            update = {"$set": doc, "$setOnInsert": {"media": None}, "$max": {"revision": 0}}
            writes.append(UpdateOne({"_id": sample_id}, update, upsert=True))
        await self._collection.bulk_write(writes, ordered=False, session=self._session)
        fields = {"media": 1, "revision": 1}
        stored = self._collection.find({"_id": {"$in": [s.id for s in inserted]}}, fields, session=self._session)
        docs = {d["_id"]: d async for d in stored}
        return [
            s.model_copy(update={"media": docs[s.id].get("media"), "revision": docs[s.id]["revision"]})
            for s in inserted
        ]

    async def set_media_results(self, results: Sequence[MediaResult]) -> None:
        requests = [
            UpdateOne(
                {"_id": r.sample_id},
                {
                    "$set": {"media": r.media.model_dump(mode="python"), "media_failed": False}
                    if r.media is not None
                    else {"media_failed": True},
                    "$setOnInsert": {"dataset_id": r.dataset_id},
                },
                upsert=True,
            )
            for r in results
        ]
        if requests:
            await self._collection.bulk_write(requests, ordered=True, session=self._session)

    async def holding_imports(self, sample_ids: Iterable[str]) -> set[str]:
        query = {"_id": {"$in": list(dict.fromkeys(sample_ids))}, "held_imports": {"$exists": True}}
        return {doc["_id"] async for doc in self._collection.find(query, {"_id": 1}, session=self._session)}

    async def hold_import(self, imported: ImportedShapes) -> None:
        await self._collection.update_one(
            {"_id": imported.sample_id, "status": {"$exists": True}},
            {"$push": {"held_imports": imported.model_dump(mode="python")}},
            session=self._session,
        )

    async def take_held_imports(self, sample_id: str) -> list[ImportedShapes]:
        doc = await self._collection.find_one_and_update(
            {"_id": sample_id, "held_imports": {"$exists": True}},
            {"$unset": {"held_imports": ""}},
            projection={"held_imports": 1},
            session=self._session,
        )
        return [ImportedShapes.model_validate(held) for held in (doc or {}).get("held_imports", [])]

    async def get(self, sample_id: str) -> LabelingSample | None:
        query = {"_id": sample_id, "status": {"$exists": True}}
        doc = await self._collection.find_one(query, _SAMPLE_PROJECTION, session=self._session)
        return _sample_from(doc) if doc else None

    async def get_with_annotation(self, sample_id: str) -> tuple[LabelingSample, Annotation] | None:
        doc = await self._collection.find_one({"_id": sample_id, "status": {"$exists": True}}, session=self._session)
        return (_sample_from(doc), _annotation_from(doc)) if doc else None

    async def find(
        self, dataset_id: str, *, query: SampleQuery, limit: int, after: SamplePosition | None = None
    ) -> list[LabelingSample]:
        match = match_samples(dataset_id, query)
        if after is not None:
            match = after_position(match, after)
        cursor = self._collection.find(match, _SAMPLE_PROJECTION, session=self._session).hint(index_for(query))
        return [_sample_from(d) async for d in cursor.sort(_SORT).limit(limit)]

    async def count(self, dataset_id: str, *, query: SampleQuery) -> SampleCounts:
        counts: dict[str, int] = {}
        for status in STATUSES:
            tab = query.for_tab(status)
            counts[status] = await self._collection.count_documents(
                match_samples(dataset_id, tab), hint=index_for(tab), session=self._session
            )
        return SampleCounts.model_validate(counts)

    async def count_with_label(self, dataset_id: str, label: str) -> int:
        query = {"dataset_id": dataset_id, "label_counts.label": label}
        return await self._collection.count_documents(query, hint="by_label", session=self._session)

    async def count_added_since(self, dataset_id: str, since: datetime) -> int:
        query = {"dataset_id": dataset_id, "added_at": {"$gt": since}}
        return await self._collection.count_documents(query, hint="by_added", session=self._session)

    async def remove(self, dataset_id: str, sample_ids: Sequence[str]) -> dict[str, int]:
        # The document stays without a status (so unlisted and unknown, like one of early media) to keep the
        # revision; its shapes and summary go.
        query: Document = {
            "_id": {"$in": list(dict.fromkeys(sample_ids))},
            "dataset_id": dataset_id,
            "status": {"$exists": True},
        }
        cursor = self._collection.find(query, {"revision": 1}, session=self._session).hint("_id_")
        found = {d["_id"]: d.get("revision", 0) async for d in cursor}
        removed = {sample_id: revision + 1 if revision else 0 for sample_id, revision in found.items()}
        cleared: Document = {"shapes": [], "label_counts": [], "labeled_by": None, "hard_example": False}
        writes = [
            UpdateOne({"_id": i}, {"$set": {**cleared, "revision": r}, "$unset": {"status": "", "held_imports": ""}})
            for i, r in removed.items()
        ]
        if writes:
            await self._collection.bulk_write(writes, ordered=False, session=self._session)
        return removed

    async def dataset_ids(self) -> list[str]:
        return sorted(await self._collection.distinct("dataset_id", session=self._session))

    async def remove_some(self, dataset_id: str, *, limit: int) -> dict[str, int]:
        query: Document = {"dataset_id": dataset_id}
        cursor = self._collection.find(query, {"revision": 1}, session=self._session).hint("by_added").limit(limit)
        found = {d["_id"]: d.get("revision", 0) async for d in cursor}
        if found:
            await self._collection.delete_many({"_id": {"$in": list(found)}}, session=self._session)
        return found


class MongoAnnotationRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[SAMPLES]
        self._session = session

    async def get_many(self, sample_ids: Sequence[str]) -> dict[str, Annotation]:
        query = {"_id": {"$in": list(sample_ids)}, "status": {"$exists": True}}
        cursor = self._collection.find(query, _ANNOTATION_PROJECTION, session=self._session)
        return {doc["_id"]: _annotation_from(doc) async for doc in cursor}

    async def get(self, sample_id: str) -> Annotation | None:
        query = {"_id": sample_id, "status": {"$exists": True}}
        doc = await self._collection.find_one(query, _ANNOTATION_PROJECTION, session=self._session)
        return _annotation_from(doc) if doc else None

    async def save(self, annotation: Annotation, *, expected_revision: int) -> bool:
        result = await self._collection.update_one(
            {"_id": annotation.id, "revision": expected_revision, "status": {"$exists": True}},
            {"$set": _annotation_fields(annotation)},
            session=self._session,
        )
        return result.matched_count == 1

    async def with_label(self, dataset_id: str, label: str, *, limit: int) -> list[Annotation]:
        query = {"dataset_id": dataset_id, "label_counts.label": label}
        cursor = self._collection.find(query, _ANNOTATION_PROJECTION, session=self._session).hint("by_label")
        return [_annotation_from(d) async for d in cursor.limit(limit)]

    async def labelers(self, dataset_id: str) -> list[Labeler]:
        # labeled_by is set on labeled samples only (removed ones keep none): the index's prefix covers the match.
        pipeline: list[Document] = [
            {"$match": {"dataset_id": dataset_id, "labeled_by": {"$type": "string"}}},
            {"$group": {"_id": "$labeled_by", "samples": {"$sum": 1}}},
            {"$sort": {"_id": ASCENDING}},
        ]
        cursor = await self._collection.aggregate(pipeline, hint="by_labeled_by", session=self._session)
        return [Labeler(username=d["_id"], samples=d["samples"]) async for d in cursor]


def _annotation_fields(annotation: Annotation) -> dict[str, Any]:
    counts = annotation.label_counts
    return {
        "shapes": [s.model_dump(mode="python") for s in annotation.shapes],
        "revision": annotation.revision,
        "labeled_by": annotation.labeled_by if counts else None,
        "hard_example": annotation.hard_example,
        "updated_at": annotation.updated_at,
        "status": annotation.status,
        "label_counts": _counts_document(counts),
    }


class MongoHistoryRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[HISTORY]
        self._session = session

    async def add(self, entry: HistoryEntry) -> None:
        await self._collection.insert_one(model_to_document(entry), session=self._session)

    async def list(self, sample_id: str, *, limit: int, after: str | None = None) -> list[HistoryEntry]:
        query: Document = {"sample_id": sample_id}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._collection.find(query, session=self._session).sort("_id", ASCENDING).limit(limit)
        return [model_from_document(HistoryEntry, d) async for d in cursor.hint("by_sample")]

    async def remove(self, sample_ids: Sequence[str]) -> None:
        if sample_ids:
            await self._collection.delete_many({"sample_id": {"$in": list(sample_ids)}}, session=self._session)


class MongoJobRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[JOBS]
        self._session = session

    async def save(self, job: LabelingJob) -> None:
        doc = model_to_document(job)
        await self._collection.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self._session)

    async def get(self, job_id: str) -> LabelingJob | None:
        doc = await self._collection.find_one({"_id": job_id}, session=self._session)
        return model_from_document(LabelingJob, doc) if doc else None

    async def list(
        self,
        *,
        limit: int,
        after: str | None = None,
        labeling_type: LabelingType | None = None,
        dataset_id: str | None = None,
    ) -> list[LabelingJob]:
        query: Document = {}
        if after is not None:
            query["_id"] = {"$gt": after}
        if labeling_type is not None:
            query["labeling_type"] = labeling_type
        if dataset_id is not None:
            query["dataset_id"] = dataset_id
        cursor = self._collection.find(query, session=self._session).sort("_id", ASCENDING).limit(limit)
        return [model_from_document(LabelingJob, d) async for d in cursor]

    async def remove_dataset(self, dataset_id: str) -> None:
        await self._collection.delete_many({"dataset_id": dataset_id}, session=self._session)


class MongoLabelingTransaction(MongoTransaction, LabelingTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.datasets = MongoLabelingDatasetRepository(db, session)
        self.samples = MongoSampleRepository(db, session)
        self.annotations = MongoAnnotationRepository(db, session)
        self.history = MongoHistoryRepository(db, session)
        self.jobs = MongoJobRepository(db, session)
