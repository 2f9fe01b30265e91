"""Use cases of the endpoints API: register, change, delete endpoints; the admin's options; redeliver and ping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from labelstream_shared.clock import time_ordered_id, utc_now
from labelstream_shared.errors import InvalidInputError, NotFoundError
from labelstream_shared.events import EventEnvelope
from labelstream_shared.events.envelope import schema_uri
from labelstream_shared.logging import current_correlation_id
from labelstream_shared.uow import TransactionRunner
from pydantic import BaseModel, Field

from webhook_svc.app.handlers import new_deliveries
from webhook_svc.app.ports import Resolver, WebhookOptions, WebhookTransaction
from webhook_svc.app.targets import check_target
from webhook_svc.domain.deliveries import Delivery
from webhook_svc.domain.endpoints import PING, UnknownEventTypeError, WebhookEndpoint, checked_event_types
from webhook_svc.domain.signature import new_secret
from webhook_svc.domain.targets import TargetRefusedError

Run = TransactionRunner[WebhookTransaction]
SOURCE = "/labelstream/webhook-svc"


class EndpointChanges(BaseModel):
    """What an admin may set on an endpoint (all of it at creation, any part of it later)."""

    url: str | None = Field(default=None, max_length=2048, description="http(s) URL the events are POSTed to")
    event_types: list[str] | None = Field(
        default=None, min_length=1, max_length=64, description='event names (e.g. "LabelChanged"), or ["*"]'
    )
    secret: str | None = Field(
        default=None, min_length=16, max_length=256, description="signing secret; generated when not given"
    )
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


async def _checked(changes: EndpointChanges, *, run: Run, resolver: Resolver) -> EndpointChanges:
    """The changes with their event types checked and the URL past the SSRF guard (422 naming the problem)."""
    if changes.event_types is not None:
        try:
            changes = changes.model_copy(update={"event_types": checked_event_types(changes.event_types)})
        except UnknownEventTypeError as exc:
            raise InvalidInputError(f"event_types: {exc}") from exc
    if changes.url is not None:
        options = await run(lambda tx: tx.options.get())
        try:
            await check_target(changes.url, resolver=resolver, allow_private=options.allow_private_targets)
        except TargetRefusedError as exc:
            raise InvalidInputError(f"url: {exc}", details=[{"field": "url", "problem": str(exc)}]) from exc
    return changes


async def create_endpoint(run: Run, changes: EndpointChanges, *, resolver: Resolver) -> WebhookEndpoint:
    if changes.url is None or changes.event_types is None:
        missing = [name for name in ("url", "event_types") if getattr(changes, name) is None]
        raise InvalidInputError(f"{', '.join(missing)}: required")
    changes = await _checked(changes, run=run, resolver=resolver)
    now = utc_now()
    endpoint = WebhookEndpoint(
        id=time_ordered_id(now),
        url=changes.url or "",
        event_types=changes.event_types or [],
        secret=changes.secret or new_secret(),
        active=True if changes.active is None else changes.active,
        description=changes.description or "",
        created_at=now,
        updated_at=now,
    )

    async def add(tx: WebhookTransaction) -> None:
        await tx.endpoints.add(endpoint)

    await run(add)
    return endpoint


async def require_endpoint(tx: WebhookTransaction, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await tx.endpoints.get(endpoint_id)
    if endpoint is None:
        raise NotFoundError(f"webhook endpoint {endpoint_id!r} not found")
    return endpoint


async def update_endpoint(
    run: Run, endpoint_id: str, changes: EndpointChanges, *, resolver: Resolver
) -> WebhookEndpoint:
    changes = await _checked(changes, run=run, resolver=resolver)

    async def update(tx: WebhookTransaction) -> WebhookEndpoint:
        endpoint = await require_endpoint(tx, endpoint_id)
        given = changes.model_dump(exclude_none=True)
        changed = endpoint.model_copy(update={**given, "updated_at": utc_now()})
        await tx.endpoints.replace(changed)
        return changed

    return await run(update)


async def delete_endpoint(run: Run, endpoint_id: str) -> None:
    """The endpoint and its delivery log go; an attempt under way finds nothing to record."""

    async def delete(tx: WebhookTransaction) -> None:
        await require_endpoint(tx, endpoint_id)
        await tx.endpoints.delete(endpoint_id)
        await tx.deliveries.delete_for(endpoint_id)

    await run(delete)


async def set_options(run: Run, options: WebhookOptions) -> WebhookOptions:
    async def save(tx: WebhookTransaction) -> WebhookOptions:
        await tx.options.save(options)
        return options

    return await run(save)


async def redeliver(run: Run, endpoint_id: str, delivery_id_: str) -> Delivery:
    """Queue a delivery again, whatever its status (a dead one too), with a fresh retry budget."""

    async def requeue(tx: WebhookTransaction) -> Delivery:
        await require_endpoint(tx, endpoint_id)
        found = await tx.deliveries.get(delivery_id_)
        if found is None or found.endpoint_id != endpoint_id:
            raise NotFoundError(f"delivery {delivery_id_!r} of webhook endpoint {endpoint_id!r} not found")
        again = found.redelivered(at=utc_now())
        await tx.deliveries.requeue(again)
        return again

    return await run(requeue)


async def ping(run: Run, endpoint_id: str) -> Delivery:
    """Queue a test delivery (type Ping, keyed by the endpoint) whatever the endpoint subscribes to."""

    async def queue(tx: WebhookTransaction) -> Delivery:
        endpoint = await require_endpoint(tx, endpoint_id)
        now = utc_now()
        envelope = EventEnvelope(
            id=str(uuid.uuid4()),
            source=SOURCE,
            type=f"io.labelstream.{PING}.v1",
            subject=endpoint.id,
            time=datetime.now(UTC),
            dataschema=schema_uri(f"io.labelstream.{PING}.v1"),
            partitionkey=endpoint.id,
            correlationid=current_correlation_id(),
            data={"endpoint_id": endpoint.id, "message": "ping"},
        )
        [delivery] = await new_deliveries(tx, envelope, event_name=PING, endpoints=[endpoint], at=now)
        return delivery

    return await run(queue)
