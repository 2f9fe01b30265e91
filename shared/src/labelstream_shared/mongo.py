"""MongoDB plumbing: the client, and transactions that commit state, outbox records and the ledger together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from bson import ObjectId
from pydantic import BaseModel
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from labelstream_shared.uow import OutgoingEvent, OutgoingTombstone, Transaction

Document = dict[str, Any]
T = TypeVar("T")

OUTBOX = "outbox"
LEDGER = "processed_events"


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000, uuidRepresentation="standard")


async def ensure_plumbing_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes of the outbox (pending records in order, sent ones expire) and the ledger."""
    outbox = db[OUTBOX]
    await outbox.create_index(
        [("pending", ASCENDING), ("_id", ASCENDING)],
        name="pending_in_order",
        partialFilterExpression={"pending": True},
    )
    await outbox.create_index("sent_at", name="sent_expire", expireAfterSeconds=7 * 24 * 3600)
    await db[LEDGER].create_index("processed_at", name="ledger_expire", expireAfterSeconds=30 * 24 * 3600)


def outbox_record(event: OutgoingEvent) -> Document:
    envelope = event.envelope
    return {
        "_id": ObjectId(),
        "event_id": envelope.id,
        "type": envelope.type,
        "topic": event.topic,
        "key": envelope.partitionkey,
        "value": event.value,
        "created_at": datetime.now(UTC),
        "pending": True,
    }


TOMBSTONE_TYPE = "tombstone"


def tombstone_record(tombstone: OutgoingTombstone) -> Document:
    """An outbox record with a null value: the relay publishes it as a Kafka tombstone."""
    return {
        "_id": ObjectId(),
        "event_id": f"tombstone-{ObjectId()}",
        "type": TOMBSTONE_TYPE,
        "topic": tombstone.topic,
        "key": tombstone.key,
        "value": None,
        "created_at": datetime.now(UTC),
        "pending": True,
    }


class MongoTransaction(Transaction):
    """Base for a service's Mongo transaction: its repositories use `self.db` with `self.session`."""

    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source)
        self.db = db
        self.session = session

    async def claim(self, consumer: str, event_id: str) -> bool:
        ledger = self.db[LEDGER]
        key = f"{consumer}:{event_id}"
        # A read then an insert: a duplicate-key error would abort the whole transaction. Two concurrent
        # claims of one event conflict on the insert, and the loser's retry then finds the record.
        if await ledger.find_one({"_id": key}, session=self.session) is not None:
            return False
        await ledger.insert_one({"_id": key, "processed_at": datetime.now(UTC)}, session=self.session)
        return True

    async def claim_many(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """One read of the batch's ledger records, then one insert of the fresh ones (same reasoning as `claim`)."""
        if not event_ids:
            return set()
        ledger = self.db[LEDGER]
        keys = {f"{consumer}:{event_id}": event_id for event_id in event_ids}
        seen = {doc["_id"] async for doc in ledger.find({"_id": {"$in": list(keys)}}, {"_id": 1}, session=self.session)}
        now = datetime.now(UTC)
        fresh = [key for key in keys if key not in seen]
        if fresh:
            await ledger.insert_many([{"_id": key, "processed_at": now} for key in fresh], session=self.session)
        return {keys[key] for key in fresh}


TxM = TypeVar("TxM", bound=MongoTransaction)


class MongoTransactionRunner(Generic[TxM]):
    """Runs a use case in a multi-document transaction (retried on transient errors by PyMongo),
    then writes the events it emitted to the outbox inside that same transaction (tombstones after the events).
    `on_commit` is called after a commit that wrote outbox records (e.g. to wake the relay at once)."""

    def __init__(
        self,
        *,
        client: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        make: Callable[[AsyncDatabase[Document], AsyncClientSession], TxM],
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._client = client
        self._db = db
        self._make = make
        self._on_commit = on_commit

    async def __call__(self, work: Callable[[TxM], Awaitable[T]], /) -> T:
        wrote = False

        async def attempt(session: AsyncClientSession) -> T:
            nonlocal wrote
            tx = self._make(self._db, session)  # a fresh transaction object per attempt: no stale events
            result = await work(tx)
            records = [*(outbox_record(e) for e in tx.outgoing()), *(tombstone_record(t) for t in tx.tombstones)]
            if records:
                await self._db[OUTBOX].insert_many(records, session=session)
            wrote = bool(records)
            return result

        async with self._client.start_session() as session:
            result = await session.with_transaction(
                attempt, read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
            )
        if wrote and self._on_commit is not None:
            self._on_commit()
        return result


M = TypeVar("M", bound=BaseModel)


def model_to_document(model: BaseModel, **extra: Any) -> Document:
    """A model with an `id` field as a document keyed by `_id`, plus derived fields (e.g. for indexes)."""
    doc = model.model_dump(mode="python")
    doc["_id"] = doc.pop("id")
    doc.update(extra)
    return doc


def model_from_document(cls: type[M], doc: Document) -> M:
    fields = {name: doc[name] for name in cls.model_fields if name in doc}
    return cls.model_validate({**fields, "id": doc["_id"]})


async def page_by_id(
    collection: AsyncCollection[Document],
    cls: type[M],
    *,
    limit: int,
    after: str | None,
    session: AsyncClientSession | None = None,
) -> list[M]:
    """Models ordered by id, starting after the cursor `after` (stable keyset pagination)."""
    query: Document = {"_id": {"$gt": after}} if after else {}
    cursor = collection.find(query, session=session).sort("_id", ASCENDING).limit(limit)
    return [model_from_document(cls, doc) async for doc in cursor]
