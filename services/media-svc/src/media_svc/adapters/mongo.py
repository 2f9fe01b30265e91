"""MongoDB adapters of media-svc: records (also the media job queue), transcode jobs, frame indexes and purges of
deleted datasets."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
import zlib
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
from bson import Binary
from labelstream_shared.clock import utc_now
from labelstream_shared.jobs import Claim
from labelstream_shared.mongo import Document, MongoTransaction, model_from_document, model_to_document
from labelstream_shared.mongo_jobs import MongoJobQueue
from pymongo import ASCENDING, ReplaceOne, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from media_svc.app.ports import MediaTransaction
from media_svc.domain.frames import FrameIndex
from media_svc.domain.records import MediaRecord

RECORDS, TRANSCODES, FRAME_INDEXES, DATASETS, PURGES = "records", "transcodes", "frame_indexes", "datasets", "purges"
HELD_TTL_S = 7 * 24 * 3600  # samples of a dataset that was never created are forgotten after a week


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[RECORDS].create_index([("status", ASCENDING), ("newest_first", ASCENDING)], name="queue_newest_first")
    if "queue" in await db[RECORDS].index_information():  # the first release's oldest-first queue
        await db[RECORDS].drop_index("queue")
    await db[RECORDS].create_index("dataset_id", name="dataset")
    fair = [("status", ASCENDING), ("dataset_id", ASCENDING), ("newest_first", ASCENDING)]
    await db[RECORDS].create_index(fair, name="queue_per_dataset")
    await db[RECORDS].create_index(
        "queued_at", name="held_expire", expireAfterSeconds=HELD_TTL_S, partialFilterExpression={"status": "held"}
    )
    await db[TRANSCODES].create_index([("status", ASCENDING), ("queued_at", ASCENDING)], name="queue")
    await db[PURGES].create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="queue")


class MongoMediaRecords(MongoJobQueue):
    """Media jobs, one per sample, claimed newest first (see `_record_document`), in fair batches."""

    active = ("queued", "running")
    claim_order = "newest_first"
    claimed_status = "running"

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[RECORDS]
        self._purges = db[PURGES]
        self._session = session

    async def claim_batch(self, *, owner: str, stale_after_s: float, limit: int) -> list[Claim]:
        """One query per dataset with waiting jobs (an index scan each), one update, and a read-back only when
        another worker took some of the same jobs meanwhile."""
        now = utc_now()
        purging = await self._purges.distinct("_id", session=self._session)
        waiting = await self._collection.distinct("dataset_id", {"status": "queued"}, session=self._session)
        datasets = [d for d in waiting if d not in set(purging)]
        if len(datasets) > limit:  # more datasets wait than a batch holds: a random `limit` of them this time
            datasets = random.sample(datasets, limit)
        share = max(1, limit // max(1, len(datasets)))
        fields = {"attempts": 1}
        stale = {"status": "running", "heartbeat_at": {"$lt": now - timedelta(seconds=stale_after_s)}}
        finds = [
            self._collection.find({**stale, "dataset_id": {"$nin": purging}}, fields, session=self._session)
            .limit(limit)
            .to_list(),
            *(
                self._collection.find({"status": "queued", "dataset_id": d}, fields, session=self._session)
                .sort("newest_first", ASCENDING)
                .limit(share)
                .to_list()
                for d in datasets
            ),
        ]
        found = await asyncio.gather(*finds)
        picked = {doc["_id"]: int(doc.get("attempts", 0)) + 1 for doc in fair_order(found)[:limit]}
        if not picked:
            return []
        token = uuid.uuid4().hex
        claimed = await self._collection.update_many(
            {"_id": {"$in": list(picked)}, "$or": [{"status": "queued"}, stale]},
            {
                "$set": {"status": "running", "owner": owner, "heartbeat_at": now, "claim": token},
                "$inc": {"attempts": 1},
            },
            session=self._session,
        )
        if claimed.modified_count != len(picked):  # another worker was quicker for some
            cursor = self._collection.find(
                {"_id": {"$in": list(picked)}, "claim": token}, fields, session=self._session
            )
            picked = {doc["_id"]: int(doc["attempts"]) async for doc in cursor}
        return [Claim(job_id=job_id, attempts=attempts) for job_id, attempts in picked.items()]

    async def heartbeat_many(self, job_ids: Iterable[str], *, owner: str) -> None:
        ids = list(job_ids)
        if ids:
            await self._collection.update_many(
                {"_id": {"$in": ids}, "owner": owner}, {"$set": {"heartbeat_at": utc_now()}}, session=self._session
            )

    async def get(self, sample_id: str) -> MediaRecord | None:
        doc = await self._collection.find_one({"_id": sample_id}, session=self._session)
        return model_from_document(MediaRecord, doc) if doc else None

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, MediaRecord]:
        ids = list(sample_ids)
        if not ids:
            return {}
        cursor = self._collection.find({"_id": {"$in": ids}}, session=self._session)
        return {doc["_id"]: model_from_document(MediaRecord, doc) async for doc in cursor}

    async def queue(self, records: Sequence[MediaRecord]) -> None:
        if records:
            requests = [ReplaceOne({"_id": r.id}, _record_document(r), upsert=True) for r in records]
            await self._collection.bulk_write(requests, ordered=False, session=self._session)

    async def save(self, record: MediaRecord) -> None:
        doc = _record_document(record)
        await self._collection.replace_one({"_id": record.id}, doc, upsert=True, session=self._session)

    async def save_many(self, records: Sequence[MediaRecord]) -> None:
        await self.queue(records)

    async def release(self, dataset_id: str) -> None:
        await self._collection.update_many(
            {"dataset_id": dataset_id, "status": "held"}, {"$set": {"status": "queued"}}, session=self._session
        )

    async def delete(self, sample_ids: Iterable[str]) -> None:
        ids = list(sample_ids)
        if ids:
            await self._collection.delete_many({"_id": {"$in": ids}}, session=self._session)

    async def ids_of_dataset(self, dataset_id: str, *, limit: int) -> list[str]:
        cursor = self._collection.find({"dataset_id": dataset_id}, {"_id": 1}, session=self._session).limit(limit)
        return [doc["_id"] async for doc in cursor]


def fair_order(found: Sequence[Sequence[Document]]) -> list[Document]:
    """Round robin over the lists (stale jobs, then each dataset's newest jobs): the first of each, the second of
    each, and so on."""
    rows = itertools.zip_longest(*found)
    return [doc for row in rows for doc in row if doc is not None]


def _record_document(record: MediaRecord) -> Document:
    """Newest jobs first: samples added now get their thumbnails while a backlog (a new replica group reading the
    whole history, a huge import) is worked off behind them."""
    newest_first = -int(record.queued_at.timestamp() * 1000)
    return model_to_document(record, owner=None, heartbeat_at=None, newest_first=newest_first)


class MongoMediaDatasets:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[DATASETS]
        self._session = session

    async def seen(self, dataset_id: str) -> bool:
        doc = await self._collection.find_one_and_update(
            {"_id": dataset_id},
            {"$setOnInsert": {"created": False}, "$set": {"touched_at": utc_now()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self._session,
        )
        return bool(doc and doc.get("created"))

    async def created(self, dataset_id: str) -> None:
        update = {"$set": {"created": True, "touched_at": utc_now()}}
        await self._collection.update_one({"_id": dataset_id}, update, upsert=True, session=self._session)

    async def deleted(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)


class MongoTranscodes(MongoJobQueue):
    active = ("queued", "running")
    claim_order = "queued_at"
    claimed_status = "running"

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[TRANSCODES]
        self._session = session

    async def queue(self, sample_id: str, *, etag: str) -> None:
        doc = {"etag": etag, "status": "queued", "queued_at": utc_now(), "owner": None, "attempts": 0}
        await self._collection.replace_one({"_id": sample_id}, doc, upsert=True, session=self._session)

    async def etag_of(self, sample_id: str) -> str | None:
        doc = await self._collection.find_one({"_id": sample_id}, session=self._session)
        return str(doc["etag"]) if doc else None

    async def done(self, sample_id: str) -> None:
        await self._collection.delete_one({"_id": sample_id}, session=self._session)

    async def delete(self, sample_ids: Iterable[str]) -> None:
        ids = list(sample_ids)
        if ids:
            await self._collection.delete_many({"_id": {"$in": ids}}, session=self._session)


class MongoMediaPurges(MongoJobQueue):
    """`{_id: dataset_id, status: "queued", created_at}` while a deleted dataset's media are being removed."""

    active = ("queued",)
    claim_order = "created_at"

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[PURGES]
        self._session = session

    async def add(self, dataset_id: str) -> None:
        doc = {"status": "queued", "created_at": utc_now()}
        update = {"$setOnInsert": {**doc, "owner": None, "attempts": 0}}
        await self._collection.update_one({"_id": dataset_id}, update, upsert=True, session=self._session)

    async def finish(self, dataset_id: str) -> None:
        await self._collection.delete_one({"_id": dataset_id}, session=self._session)


def _packed(values: tuple[int, ...]) -> Binary:
    """Timestamps as zlib-compressed int64 deltas: a constant frame rate compresses to almost nothing."""
    array = np.asarray(values, dtype=np.int64)
    return Binary(zlib.compress(np.diff(array, prepend=0).tobytes(), 6))


def _unpacked(data: bytes) -> tuple[int, ...]:
    deltas = np.frombuffer(zlib.decompress(data), dtype=np.int64)
    return tuple(int(v) for v in np.cumsum(deltas))


class MongoFrameIndexes:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[FRAME_INDEXES]
        self._session = session

    async def get(self, sample_id: str, *, etag: str) -> FrameIndex | None:
        doc = await self._collection.find_one({"_id": sample_id, "etag": etag}, session=self._session)
        if doc is None:
            return None
        return FrameIndex(
            time_base_num=doc["time_base_num"],
            time_base_den=doc["time_base_den"],
            frame_pts=_unpacked(doc["frame_pts"]),
            keyframe_pts=_unpacked(doc["keyframe_pts"]),
            duration_s=doc["duration_s"],
        )

    async def save(self, sample_id: str, *, etag: str, index: FrameIndex) -> None:
        doc = {
            "etag": etag,
            "time_base_num": index.time_base_num,
            "time_base_den": index.time_base_den,
            "frame_pts": _packed(index.frame_pts),
            "keyframe_pts": _packed(index.keyframe_pts),
            "duration_s": index.duration_s,
        }
        await self._collection.replace_one({"_id": sample_id}, doc, upsert=True, session=self._session)

    async def delete(self, sample_ids: Iterable[str]) -> None:
        ids = list(sample_ids)
        if ids:
            await self._collection.delete_many({"_id": {"$in": ids}}, session=self._session)


class MongoMediaTransaction(MongoTransaction, MediaTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.datasets = MongoMediaDatasets(db, session)
        self.records = MongoMediaRecords(db, session)
        self.frame_indexes = MongoFrameIndexes(db, session)
        self.transcodes = MongoTranscodes(db, session)
        self.purges = MongoMediaPurges(db, session)
