"""REST API of webhook-svc (admins only: the gateway's policy): endpoints, their delivery logs, the options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from labelstream_shared.errors import NotFoundError
from labelstream_shared.uow import TransactionRunner
from labelstream_shared.web import IdCursorQuery, LimitQuery, Page, app_deps, page_of
from pydantic import BaseModel, Field

from webhook_svc.app import endpoints
from webhook_svc.app.endpoints import EndpointChanges
from webhook_svc.app.ports import Resolver, WebhookOptions, WebhookTransaction
from webhook_svc.domain.deliveries import Delivery, DeliveryStatus
from webhook_svc.domain.endpoints import ALL_EVENTS, SUBSCRIBABLE, WebhookEndpoint

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@dataclass(frozen=True)
class WebhookDeps:
    run: TransactionRunner[WebhookTransaction]
    resolver: Resolver


Deps = Annotated[WebhookDeps, Depends(app_deps)]


class EndpointCreate(EndpointChanges):
    url: str = Field(max_length=2048, description="http(s) URL the events are POSTed to")
    event_types: list[str] = Field(
        min_length=1, max_length=64, description='event names (e.g. "LabelChanged", "DataAdded"), or ["*"]'
    )


class EndpointPublic(BaseModel):
    """An endpoint as the API shows it: never its secret."""

    id: str
    url: str
    event_types: list[str]
    active: bool
    description: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointPublic:
        return cls.model_validate(endpoint.model_dump(exclude={"secret"}))


class EndpointCreated(EndpointPublic):
    secret: str = Field(description="the signing secret: shown this once, never again")


class DeliveryPublic(BaseModel):
    """A delivery of the log (without its body: the event is named by its id, type and key)."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    key: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="when it is attempted next; null unless open")
    last_attempt_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPublic:
        shown = delivery.model_dump(exclude={"body", "retry_since", "failures"})
        return cls.model_validate({**shown, "next_attempt_at": delivery.next_attempt_at if delivery.is_open else None})


class EventTypes(BaseModel):
    event_types: list[str] = Field(description="the event names an endpoint may subscribe to, in the platform's order")
    every: str = Field(default=ALL_EVENTS, description="the name that subscribes to every one")


@router.get("/event-types", operation_id="listWebhookEventTypes")
async def list_event_types() -> EventTypes:
    """What an endpoint's `event_types` may name (the web UI offers them as checkboxes)."""
    return EventTypes(event_types=list(SUBSCRIBABLE))


@router.get("/settings", operation_id="getWebhookSettings")
async def get_settings(deps: Deps) -> WebhookOptions:
    return await deps.run(lambda tx: tx.options.get())


@router.put("/settings", operation_id="setWebhookSettings")
async def set_settings(body: WebhookOptions, deps: Deps) -> WebhookOptions:
    """`allow_private_targets`: whether endpoints may be on loopback or private addresses (off by default)."""
    return await endpoints.set_options(deps.run, body)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createWebhook")
async def create_webhook(body: EndpointCreate, deps: Deps) -> EndpointCreated:
    """Register an endpoint; the answer carries its signing secret (given, or generated), shown only this once."""
    endpoint = await endpoints.create_endpoint(deps.run, body, resolver=deps.resolver)
    return EndpointCreated.model_validate(endpoint.model_dump())


@router.get("", operation_id="listWebhooks")
async def list_webhooks(deps: Deps, limit: LimitQuery = 20, cursor: IdCursorQuery = None) -> Page[EndpointPublic]:
    """Endpoints, newest first."""
    found = await deps.run(lambda tx: tx.endpoints.newest(limit=limit + 1, before=cursor))
    return page_of([EndpointPublic.of(e) for e in found], limit=limit, cursor_of=lambda e: e.id)


@router.get("/{endpoint_id}", operation_id="getWebhook")
async def get_webhook(endpoint_id: str, deps: Deps) -> EndpointPublic:
    return EndpointPublic.of(await deps.run(lambda tx: endpoints.require_endpoint(tx, endpoint_id)))


@router.patch("/{endpoint_id}", operation_id="updateWebhook")
async def update_webhook(endpoint_id: str, body: EndpointChanges, deps: Deps) -> EndpointPublic:
    """Change any of url, event_types, secret, active, description (a new URL passes the SSRF guard again)."""
    return EndpointPublic.of(await endpoints.update_endpoint(deps.run, endpoint_id, body, resolver=deps.resolver))


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteWebhook")
async def delete_webhook(endpoint_id: str, deps: Deps) -> Response:
    """Delete the endpoint and its delivery log: its open deliveries are not attempted any more."""
    await endpoints.delete_endpoint(deps.run, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{endpoint_id}/deliveries", operation_id="listWebhookDeliveries")
async def list_deliveries(
    endpoint_id: str,
    deps: Deps,
    status: Annotated[DeliveryStatus | None, Query(description="only deliveries in this status")] = None,
    limit: LimitQuery = 20,
    cursor: IdCursorQuery = None,
) -> Page[DeliveryPublic]:
    """The endpoint's delivery log, newest first."""

    async def read(tx: WebhookTransaction) -> list[Delivery]:
        await endpoints.require_endpoint(tx, endpoint_id)
        return await tx.deliveries.list_for(endpoint_id, status=status, limit=limit + 1, before=cursor)

    found = await deps.run(read)
    return page_of([DeliveryPublic.of(d) for d in found], limit=limit, cursor_of=lambda d: d.id)


@router.get("/{endpoint_id}/deliveries/{delivery_id}", operation_id="getWebhookDelivery")
async def get_delivery(endpoint_id: str, delivery_id: str, deps: Deps) -> DeliveryPublic:
    found = await deps.run(lambda tx: tx.deliveries.get(delivery_id))
    if found is None or found.endpoint_id != endpoint_id:
        raise NotFoundError(f"delivery {delivery_id!r} of webhook endpoint {endpoint_id!r} not found")
    return DeliveryPublic.of(found)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="redeliverWebhookDelivery",
)
async def redeliver(endpoint_id: str, delivery_id: str, deps: Deps) -> DeliveryPublic:
    """Queue the delivery again (a dead or delivered one too) with a fresh retry budget."""
    return DeliveryPublic.of(await endpoints.redeliver(deps.run, endpoint_id, delivery_id))


@router.post("/{endpoint_id}/ping", status_code=status.HTTP_202_ACCEPTED, operation_id="pingWebhook")
async def ping(endpoint_id: str, deps: Deps) -> DeliveryPublic:
    """Queue a test delivery (event type `Ping`, data `{endpoint_id, message}`), whatever the endpoint subscribes to."""
    return DeliveryPublic.of(await endpoints.ping(deps.run, endpoint_id))
