"""MongoDB adapters of webhook-svc: endpoints, deliveries (a queue claimed per endpoint and key) and the options.

A delivery document is the Delivery model plus `open` (pending or retrying: the partial indexes hold only these),
`owner` and `heartbeat_at` (the claim of the worker attempting it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from labelstream_shared.clock import utc_now
from labelstream_shared.mongo import Document, MongoTransaction, model_from_document, model_to_document
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from webhook_svc.app.ports import WebhookOptions, WebhookTransaction
from webhook_svc.domain.deliveries import Delivery, DeliveryStatus
from webhook_svc.domain.endpoints import ALL_EVENTS, WebhookEndpoint

ENDPOINTS, DELIVERIES, COUNTERS, OPTIONS = "endpoints", "deliveries", "counters", "options"
CANDIDATES = 50  # due deliveries looked at per claim


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    deliveries = db[DELIVERIES]
    only_open = {"open": True}
    await deliveries.create_index(
        [("next_attempt_at", ASCENDING), ("_id", ASCENDING)], name="due", partialFilterExpression=only_open
    )
    await deliveries.create_index(
        [("endpoint_id", ASCENDING), ("key", ASCENDING), ("_id", ASCENDING)],
        name="open_by_key",
        partialFilterExpression=only_open,
    )
    await deliveries.create_index([("endpoint_id", ASCENDING), ("_id", DESCENDING)], name="endpoint_newest")
    await db[ENDPOINTS].create_index("event_types", name="event_types")


class MongoEndpoints:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[ENDPOINTS]
        self._session = session
        self._subscribers: dict[str, list[WebhookEndpoint]] = {}  # per transaction: a batch of events reads once

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self._subscribers.clear()
        await self._collection.insert_one(model_to_document(endpoint), session=self._session)

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        doc = await self._collection.find_one({"_id": endpoint_id}, session=self._session)
        return model_from_document(WebhookEndpoint, doc) if doc else None

    async def replace(self, endpoint: WebhookEndpoint) -> None:
        self._subscribers.clear()
        await self._collection.replace_one({"_id": endpoint.id}, model_to_document(endpoint), session=self._session)

    async def delete(self, endpoint_id: str) -> None:
        self._subscribers.clear()
        await self._collection.delete_one({"_id": endpoint_id}, session=self._session)

    async def newest(self, *, limit: int, before: str | None) -> list[WebhookEndpoint]:
        query: Document = {"_id": {"$lt": before}} if before else {}
        cursor = self._collection.find(query, session=self._session).sort("_id", DESCENDING).limit(limit)
        return [model_from_document(WebhookEndpoint, doc) async for doc in cursor]

    async def subscribed_to(self, event_name: str) -> list[WebhookEndpoint]:
        if event_name not in self._subscribers:
            query = {"active": True, "event_types": {"$in": [event_name, ALL_EVENTS]}}
            cursor = self._collection.find(query, session=self._session).sort("_id", ASCENDING)
            self._subscribers[event_name] = [model_from_document(WebhookEndpoint, doc) async for doc in cursor]
        return self._subscribers[event_name]


def _document(delivery: Delivery) -> Document:
    return model_to_document(delivery, open=delivery.is_open, owner=None, heartbeat_at=None)


class MongoDeliveries:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[DELIVERIES]
        self._counters = db[COUNTERS]
        self._session = session

    async def next_sequence(self, count: int) -> int:
        doc = await self._counters.find_one_and_update(
            {"_id": DELIVERIES},
            {"$inc": {"value": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self._session,
        )
        assert doc is not None  # upserted
        return int(doc["value"]) - count + 1

    async def add_many(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            await self._collection.insert_many([_document(d) for d in deliveries], session=self._session)

    async def get(self, delivery_id: str) -> Delivery | None:
        doc = await self._collection.find_one({"_id": delivery_id}, session=self._session)
        return model_from_document(Delivery, doc) if doc else None

    async def list_for(
        self, endpoint_id: str, *, status: DeliveryStatus | None, limit: int, before: str | None
    ) -> list[Delivery]:
        query: Document = {"endpoint_id": endpoint_id}
        if before:
            query["_id"] = {"$lt": before}
        if status:
            query["status"] = status
        cursor = self._collection.find(query, session=self._session).sort("_id", DESCENDING).limit(limit)
        return [model_from_document(Delivery, doc) async for doc in cursor]

    async def delete_for(self, endpoint_id: str) -> None:
        await self._collection.delete_many({"endpoint_id": endpoint_id}, session=self._session)

    async def requeue(self, delivery: Delivery) -> None:
        await self._collection.replace_one({"_id": delivery.id}, _document(delivery), session=self._session)

    async def claim_next(
        self, *, owner: str, stale_after_s: float, busy: Collection[str], wait_s: float
    ) -> Delivery | None:
        now = utc_now()
        free = {"$or": [{"owner": None}, {"heartbeat_at": {"$lt": now - timedelta(seconds=stale_after_s)}}]}
        due: Document = {"open": True, "next_attempt_at": {"$lte": now}, **free}
        query = {**due, "endpoint_id": {"$nin": list(busy)}} if busy else due
        fields = {"endpoint_id": 1, "key": 1}
        cursor = self._collection.find(query, fields, session=self._session)
        candidates = await cursor.sort([("next_attempt_at", ASCENDING), ("_id", ASCENDING)]).limit(CANDIDATES).to_list()
        looked_at: set[tuple[str, str]] = set()
        for candidate in candidates:
            endpoint_key = (candidate["endpoint_id"], candidate["key"])
            if endpoint_key in looked_at:
                continue
            looked_at.add(endpoint_key)
            head = await self._oldest_open(*endpoint_key)
            if head is not None and head["_id"] != candidate["_id"]:
                await self._put_off_behind(head, now=now, wait_s=wait_s)
                continue
            doc = await self._collection.find_one_and_update(
                {"_id": candidate["_id"], **due},
                {"$set": {"owner": owner, "heartbeat_at": now}},
                return_document=ReturnDocument.AFTER,
                session=self._session,
            )
            if doc is not None:
                return model_from_document(Delivery, doc)
        return None

    async def _oldest_open(self, endpoint_id: str, key: str) -> Document | None:
        return await self._collection.find_one(
            {"endpoint_id": endpoint_id, "key": key, "open": True},
            {"next_attempt_at": 1, "endpoint_id": 1, "key": 1},
            sort=[("_id", ASCENDING)],
            session=self._session,
        )

    async def _put_off_behind(self, head: Document, *, now: datetime, wait_s: float) -> None:
        until = max(head["next_attempt_at"], now + timedelta(seconds=wait_s))
        await self._collection.update_many(
            {
                "endpoint_id": head["endpoint_id"],
                "key": head["key"],
                "open": True,
                "_id": {"$gt": head["_id"]},
                "next_attempt_at": {"$lt": until},
            },
            {"$set": {"next_attempt_at": until}},
            session=self._session,
        )

    async def record(self, delivery: Delivery, *, owner: str) -> bool:
        stored = await self._collection.replace_one(
            {"_id": delivery.id, "owner": owner}, _document(delivery), session=self._session
        )
        if stored.matched_count == 0:
            return False
        if not delivery.is_open:
            following = await self._oldest_open(delivery.endpoint_id, delivery.key)
            if following is not None:
                await self._collection.update_one(
                    {"_id": following["_id"], "next_attempt_at": {"$gt": utc_now()}, "status": "pending"},
                    {"$set": {"next_attempt_at": utc_now()}},
                    session=self._session,
                )
        return True

    async def release(self, delivery_id: str, *, owner: str, until: datetime) -> None:
        await self._collection.update_one(
            {"_id": delivery_id, "owner": owner},
            {"$set": {"owner": None, "heartbeat_at": None, "next_attempt_at": until}},
            session=self._session,
        )


class MongoOptions:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession | None = None) -> None:
        self._collection = db[OPTIONS]
        self._session = session

    async def get(self) -> WebhookOptions:
        doc = await self._collection.find_one({"_id": "webhooks"}, session=self._session)
        return WebhookOptions.model_validate({k: v for k, v in (doc or {}).items() if k != "_id"})

    async def save(self, options: WebhookOptions) -> None:
        await self._collection.replace_one(
            {"_id": "webhooks"}, options.model_dump(), upsert=True, session=self._session
        )


class MongoWebhookTransaction(MongoTransaction, WebhookTransaction):
    def __init__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        super().__init__(source=source, db=db, session=session)
        self.endpoints = MongoEndpoints(db, session)
        self.deliveries = MongoDeliveries(db, session)
        self.options = MongoOptions(db, session)
