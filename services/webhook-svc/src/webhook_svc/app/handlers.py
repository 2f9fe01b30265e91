"""The event handler of webhook-svc: every subscribable event becomes one delivery per active endpoint that wants it,
written in the consumer's ledgered transaction (an event consumed twice is recorded once)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import Subscription
from labelstream_shared.events import EventEnvelope, EventPayload

from webhook_svc.app.ports import WebhookTransaction
from webhook_svc.domain.deliveries import Delivery, delivery_id
from webhook_svc.domain.endpoints import SUBSCRIBABLE, WebhookEndpoint


async def record_deliveries(tx: WebhookTransaction, payload: EventPayload, envelope: EventEnvelope) -> None:
    subscribed = await tx.endpoints.subscribed_to(payload.event_name)
    endpoints = [e for e in subscribed if e.registered_by(envelope.time)]
    if endpoints:
        await new_deliveries(tx, envelope, event_name=payload.event_name, endpoints=endpoints, at=utc_now())


def subscriptions() -> list[Subscription[WebhookTransaction, Any]]:
    return [Subscription(cls, record_deliveries) for cls in SUBSCRIBABLE.values()]


async def new_deliveries(
    tx: WebhookTransaction,
    envelope: EventEnvelope,
    *,
    event_name: str,
    endpoints: list[WebhookEndpoint],
    at: datetime,
) -> list[Delivery]:
    """Record one delivery of the event per endpoint, in the order of consumption (their ids)."""
    first = await tx.deliveries.next_sequence(len(endpoints))
    body = envelope.to_bytes().decode()
    deliveries = [
        Delivery(
            id=delivery_id(first + index, uuid.uuid4().hex[:8]),
            endpoint_id=endpoint.id,
            event_id=envelope.id,
            event_type=event_name,
            key=envelope.partitionkey,
            body=body,
            created_at=at,
            retry_since=at,
            next_attempt_at=at,
        )
        for index, endpoint in enumerate(endpoints)
    ]
    await tx.deliveries.add_many(deliveries)
    return deliveries
