"""MongoDB adapters of samples and their per-dataset tab counters.

Indexes. Every listing query is: `dataset_id` equal, `status` equal (a tab) or in both statuses (the All tab),
at most one more equality or `$in` (hard example, labeled by, labels), sorted by `(key, _id)` from a keyset
bound on `key`. Each index therefore holds the equalities first and ends with the sort, `key, _id` (MongoDB's
equality-sort-range rule): a page is an index walk of about `limit` keys, and where a field is matched with
`$in` (both statuses, several labels) MongoDB merges the per-value ranges in key order (SORT_MERGE) rather
than sorting. The name filter is an unanchored, case-insensitive regex on `key`: it is checked on index keys
(no document fetch), but it scans the dataset's range of the index (~0.4 s per million samples). The query
names the index it uses (`_index_for`): left to the planner, a rare name took seconds to plan, as every
candidate plan walked the whole range before one was chosen.

Measured on 1M samples of one dataset (2-core machine, 512 MiB WiredTiger cache): a page takes 1-10 ms (~40 ms
with three selective filters combined), filtered tab counts 7-250 ms, a name search ~0.5 s per page or count
when few samples match. Unfiltered tab counts come from the counters (counting them took ~300 ms).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from labelstream_shared.clock import utc_now
from labelstream_shared.mongo import Document, model_from_document, model_to_document
from labelstream_shared.sample_listing import SAMPLE_INDEXES, SamplePosition, after_position, index_for, match_samples
from labelstream_shared.samples import STATUSES
from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from dataset_svc.domain.deletion import ObjectReference, SourceObject
from dataset_svc.domain.samples import MediaResult, Sample, SampleCounts, SampleQuery, distinct_by_id

SAMPLES = "samples"
SAMPLE_COUNTS = "sample_counts"
EARLY_MEDIA = "early_media"
EARLY_MEDIA_TTL_S = 7 * 24 * 3600  # a result whose sample never came (dataset deleted meanwhile) expires
_SORT = [("key", ASCENDING), ("_id", ASCENDING)]
_BY_ID = "_id_"
_INDEXES: dict[str, list[str]] = {
    **SAMPLE_INDEXES,  # the listing's (labelstream_shared.sample_listing)
    # The samples of an object in any dataset: SourceDeleted without sample ids, and who else uses an object
    # whose samples are being deleted. Replaces `by_object` (dataset_id, key, bucket), dropped by ensure_indexes.
    "by_source": ["bucket", "key", "dataset_id"],
}
LEGACY_INDEXES = ("by_object",)


def sample_indexes() -> list[IndexModel]:
    return [IndexModel([(f, ASCENDING) for f in fields], name=name) for name, fields in _INDEXES.items()]


def early_media_indexes() -> list[IndexModel]:
    return [IndexModel("held_at", name="early_media_expire", expireAfterSeconds=EARLY_MEDIA_TTL_S)]


def _to_document(sample: Sample) -> Document:
    # Label names become values, not field names: names may hold '.' or '$', and `label_counts.label` is indexed.
    labels = [{"label": name, "shapes": n} for name, n in sorted(sample.label_counts.items()) if n > 0]
    return model_to_document(sample, label_counts=labels)


def _from_document(doc: Document) -> Sample:
    counts = {entry["label"]: entry["shapes"] for entry in doc.get("label_counts", [])}
    return model_from_document(Sample, {**doc, "label_counts": counts})


class MongoSampleRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[SAMPLES]
        self._session = session

    async def add_new(self, samples: Sequence[Sample]) -> list[Sample]:
        candidates = distinct_by_id(samples)
        ids = [s.id for s in candidates]
        stored = self._collection.find({"_id": {"$in": ids}}, {"_id": 1}, session=self._session)
        known = {doc["_id"] async for doc in stored}
        inserted = [s for s in candidates if s.id not in known]
        if inserted:
            await self._collection.insert_many([_to_document(s) for s in inserted], session=self._session)
        return inserted

    async def save_all(self, samples: Sequence[Sample]) -> None:
        if samples:
            writes = [ReplaceOne({"_id": s.id}, _to_document(s)) for s in samples]
            await self._collection.bulk_write(writes, ordered=False, session=self._session)

    async def get(self, dataset_id: str, sample_id: str) -> Sample | None:
        doc = await self._collection.find_one({"_id": sample_id, "dataset_id": dataset_id}, session=self._session)
        return _from_document(doc) if doc else None

    async def get_many(self, sample_ids: Iterable[str]) -> list[Sample]:
        ids = list(dict.fromkeys(sample_ids))
        if not ids:
            return []
        return [_from_document(d) async for d in self._collection.find({"_id": {"$in": ids}}, session=self._session)]

    async def find_objects(self, dataset_id: str, objects: Iterable[tuple[str, str]]) -> list[Sample]:
        found: list[Sample] = []
        for bucket, keys in keys_by_bucket(objects).items():
            query = {"bucket": bucket, "key": {"$in": keys}, "dataset_id": dataset_id}
            cursor = self._collection.find(query, session=self._session).hint("by_source")
            found += [_from_document(d) async for d in cursor]
        return found

    async def find(
        self, dataset_id: str, *, query: SampleQuery, limit: int, after: SamplePosition | None = None
    ) -> list[Sample]:
        match = match_samples(dataset_id, query)
        if after is not None:
            match = after_position(match, after)
        cursor = self._collection.find(match, session=self._session).hint(index_for(query))
        return [_from_document(d) async for d in cursor.sort(_SORT).limit(limit)]

    async def count(self, dataset_id: str, *, query: SampleQuery) -> SampleCounts:
        counts: dict[str, int] = {}
        for status in STATUSES:
            tab = query.for_tab(status)
            counts[status] = await self._collection.count_documents(
                match_samples(dataset_id, tab), hint=index_for(tab), session=self._session
            )
        return SampleCounts.model_validate(counts)

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        batch = self._collection.find({"dataset_id": dataset_id}, {"_id": 1}, session=self._session).limit(limit)
        ids = [doc["_id"] async for doc in batch]
        if not ids:
            return 0
        removed = await self._collection.delete_many({"_id": {"$in": ids}}, session=self._session)
        return removed.deleted_count

    # By ids within a dataset: the planner picked `by_status` (dataset_id first) over `_id` and walked the whole
    # dataset's range: 1.2 s instead of 40 ms to delete 1,000 samples of a million. The queries name `_id_`.

    async def remove(self, dataset_id: str, sample_ids: Sequence[str]) -> None:
        if sample_ids:
            query = {"_id": {"$in": list(sample_ids)}, "dataset_id": dataset_id}
            await self._collection.delete_many(query, hint=_BY_ID, session=self._session)

    async def existing_ids(self, dataset_id: str, sample_ids: Sequence[str]) -> set[str]:
        if not sample_ids:
            return set()
        query = {"_id": {"$in": list(sample_ids)}, "dataset_id": dataset_id}
        cursor = self._collection.find(query, {"_id": 1}, session=self._session).hint(_BY_ID)
        return {doc["_id"] async for doc in cursor}

    async def users_of(self, objects: Sequence[SourceObject], *, other_than: str) -> list[ObjectReference]:
        found: list[ObjectReference] = []
        for bucket, keys in keys_by_bucket(objects).items():
            query = {"bucket": bucket, "key": {"$in": keys}, "dataset_id": {"$ne": other_than}}
            projection = {"_id": 0, "bucket": 1, "key": 1, "dataset_id": 1}
            cursor = self._collection.find(query, projection, session=self._session).hint("by_source")
            found += [ObjectReference(d["dataset_id"], SourceObject(d["bucket"], d["key"])) async for d in cursor]
        return found


def keys_by_bucket(objects: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for bucket, key in objects:
        keys[bucket].add(key)
    return {bucket: sorted(found) for bucket, found in keys.items()}


class MongoSampleCountRepository:
    """One document per dataset: `{_id: dataset_id, unlabeled: n, labeled: n}`."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[SAMPLE_COUNTS]
        self._session = session

    async def get(self, dataset_id: str) -> SampleCounts:
        doc = await self._collection.find_one({"_id": dataset_id}, session=self._session)
        return SampleCounts.model_validate({s: doc.get(s, 0) for s in STATUSES}) if doc else SampleCounts()

    async def add(self, dataset_id: str, counts: SampleCounts) -> None:
        increments = {status: getattr(counts, status) for status in STATUSES}
        await self._collection.update_one({"_id": dataset_id}, {"$inc": increments}, upsert=True, session=self._session)

    async def remove(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)

    async def touch(self, dataset_id: str) -> None:
        # An increment always changes the document (a $set of the same value would be no write, and no conflict).
        await self._collection.update_one(
            {"_id": dataset_id}, {"$inc": {"touches": 1}}, upsert=True, session=self._session
        )


class MongoEarlyMediaRepository:
    """`{_id: sample_id, dataset_id, result, held_at}`, expiring after a week."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[EARLY_MEDIA]
        self._session = session

    async def hold(self, results: Mapping[str, tuple[str, MediaResult]]) -> None:
        now = utc_now()
        requests = [
            ReplaceOne(
                {"_id": sample_id},
                {"dataset_id": dataset_id, "result": result.model_dump(mode="python"), "held_at": now},
                upsert=True,
            )
            for sample_id, (dataset_id, result) in results.items()
        ]
        if requests:
            await self._collection.bulk_write(requests, ordered=False, session=self._session)

    async def take(self, sample_ids: Iterable[str]) -> dict[str, MediaResult]:
        query = {"_id": {"$in": list(dict.fromkeys(sample_ids))}}
        held = {doc["_id"]: MediaResult.model_validate(doc["result"]) async for doc in self._find(query)}
        if held:
            await self._collection.delete_many({"_id": {"$in": list(held)}}, session=self._session)
        return held

    def _find(self, query: Document) -> AsyncCursor[Document]:
        return self._collection.find(query, session=self._session)
