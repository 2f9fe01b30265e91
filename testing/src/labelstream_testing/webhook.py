"""Test support for webhook-svc: the use cases and the delivery worker wired to the in-memory fakes (no IO)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from labelstream_shared.events import EventEnvelope, EventPayload, envelope_for
from webhook_svc.app.delivery import DeliveryWorker
from webhook_svc.app.endpoints import EndpointChanges, create_endpoint, set_options
from webhook_svc.app.handlers import record_deliveries
from webhook_svc.app.ports import WebhookOptions
from webhook_svc.domain.deliveries import Delivery, RetryPolicy
from webhook_svc.domain.endpoints import WebhookEndpoint

from labelstream_testing.webhook_fakes import (
    FakeResolver,
    FakeSender,
    InMemoryDeliveries,
    InMemoryEndpoints,
    InMemoryOptions,
    InMemoryWebhookTransaction,
    in_memory_runner,
)

# Retries in fractions of a millisecond: the tests see the schedule's effect, not its waits.
FAST = RetryPolicy(base_s=0.001, cap_s=0.002, budget_s=60.0)
RECEIVER = "hooks.example.com"
RECEIVER_ADDRESS = "93.184.216.34"  # a public address: the SSRF guard lets it through


class WebhookHarness:
    def __init__(self, *, policy: RetryPolicy = FAST) -> None:
        self.run = in_memory_runner()
        state = self.run.state
        self.resolver = FakeResolver({RECEIVER: [RECEIVER_ADDRESS]})
        self.sender = FakeSender(self.resolver)
        self.deliveries = InMemoryDeliveries(state)
        self.worker = DeliveryWorker(
            deliveries=self.deliveries,
            endpoints=InMemoryEndpoints(state),
            options=InMemoryOptions(state),
            resolver=self.resolver,
            sender=self.sender,
            policy=policy,
            blocked_wait_s=0.0,
            poll_interval_s=0.01,
        )

    async def register(
        self, *, url: str = f"https://{RECEIVER}/hook", events: tuple[str, ...] = ("*",)
    ) -> WebhookEndpoint:
        changes = EndpointChanges(url=url, event_types=list(events), secret="s" * 32)
        return await create_endpoint(self.run, changes, resolver=self.resolver)

    async def allow_private(self, allowed: bool = True) -> None:
        await set_options(self.run, WebhookOptions(allow_private_targets=allowed))

    async def consume(self, *payloads: EventPayload, at: datetime | None = None) -> None:
        """The consumer's handler, one transaction per event (as a batch of one); the events happened `at` (now)."""
        for payload in payloads:
            envelope = envelope_for(payload, source="/labelstream/test", correlation_id="c")
            if at is not None:
                envelope = envelope.model_copy(update={"time": at})

            async def handle(
                tx: InMemoryWebhookTransaction, payload: EventPayload = payload, envelope: EventEnvelope = envelope
            ) -> None:
                await record_deliveries(tx, payload, envelope)

            await self.run(handle)

    async def attempt_due(self) -> int:
        """Claim and attempt every delivery due now, one at a time; returns how many were attempted."""
        attempted = 0
        while claimed := await self.deliveries.claim_next(owner=self.worker.owner, stale_after_s=60, busy=(), wait_s=0):
            await self.worker.attempt(claimed)
            attempted += 1
        return attempted

    async def drain(self, *, rounds: int = 50) -> None:
        """Attempt until nothing is open any more (or `rounds` passed), letting retry waits run out."""
        for _ in range(rounds):
            await self.attempt_due()
            if not any(d.is_open for d in await self.all_deliveries()):
                return
            await asyncio.sleep(0.005)

    async def all_deliveries(self) -> list[Delivery]:
        rows = self.run.state.collection("deliveries")
        return [Delivery.model_validate(rows[i]) for i in sorted(rows)]
