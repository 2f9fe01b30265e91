"""What webhook-svc's use cases need: its records (endpoints, deliveries, options), name resolution and HTTP."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from labelstream_shared.uow import Transaction
from pydantic import BaseModel, ConfigDict

from webhook_svc.domain.deliveries import AttemptResult, Delivery, DeliveryStatus
from webhook_svc.domain.endpoints import WebhookEndpoint


class WebhookOptions(BaseModel):
    """The admin's settings of webhooks (one document)."""

    model_config = ConfigDict(frozen=True)

    allow_private_targets: bool = False


class Endpoints(Protocol):
    async def add(self, endpoint: WebhookEndpoint) -> None: ...

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def replace(self, endpoint: WebhookEndpoint) -> None: ...

    async def delete(self, endpoint_id: str) -> None: ...

    async def newest(self, *, limit: int, before: str | None) -> list[WebhookEndpoint]:
        """Newest first, starting before the cursor `before`."""
        ...

    async def subscribed_to(self, event_name: str) -> list[WebhookEndpoint]:
        """The active endpoints that want events of this name."""
        ...


class Deliveries(Protocol):
    async def next_sequence(self, count: int) -> int:
        """Reserve `count` consecutive sequence numbers (they order the deliveries); returns the first."""
        ...

    async def add_many(self, deliveries: Sequence[Delivery]) -> None: ...

    async def get(self, delivery_id: str) -> Delivery | None: ...

    async def list_for(
        self, endpoint_id: str, *, status: DeliveryStatus | None, limit: int, before: str | None
    ) -> list[Delivery]:
        """An endpoint's deliveries, newest first, starting before the cursor `before`."""
        ...

    async def delete_for(self, endpoint_id: str) -> None:
        """Forget every delivery of the endpoint (an open one is no longer attempted)."""
        ...

    async def requeue(self, delivery: Delivery) -> None:
        """Store the delivery as given (queued again), whoever held it."""
        ...

    async def claim_next(
        self, *, owner: str, stale_after_s: float, busy: Collection[str], wait_s: float
    ) -> Delivery | None:
        """Claim the open delivery due first (none of an endpoint in `busy`) that is the oldest open one of its
        endpoint and key, unclaimed or claimed by an owner silent for `stale_after_s`. The later open deliveries of
        a key whose oldest is not due, or is being attempted, are put off until its next attempt, and at least
        `wait_s` (see `record`), so they do not hide the other keys' deliveries."""
        ...

    async def record(self, delivery: Delivery, *, owner: str) -> bool:
        """Store the outcome of `owner`'s attempt and drop the claim; a closed delivery makes the next open one of
        its key due now. False when `owner` no longer held it (taken over, or its endpoint deleted)."""
        ...

    async def release(self, delivery_id: str, *, owner: str, until: datetime) -> None:
        """Give back a claim without an attempt (its endpoint is paused): due again at `until`."""
        ...


class OptionsStore(Protocol):
    async def get(self) -> WebhookOptions: ...

    async def save(self, options: WebhookOptions) -> None: ...


class Resolver(Protocol):
    async def resolve(self, host: str) -> list[str]:
        """The addresses of `host` (a literal is its own); [] when the name does not resolve."""
        ...


class Sender(Protocol):
    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], allow_private: bool) -> AttemptResult:
        """POST `body` to `url`, connecting only to addresses the SSRF guard allows, following no redirect; never
        raises for the receiver's failures (they are the result's error)."""
        ...


class WebhookTransaction(Transaction):
    endpoints: Endpoints
    deliveries: Deliveries
    options: OptionsStore
