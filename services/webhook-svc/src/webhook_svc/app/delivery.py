"""The delivery worker: claims due deliveries (the oldest open one of each endpoint and key, see
`Deliveries.claim_next`), sends each signed, and records the outcome. Claims are held only for one attempt (at most
the request timeout); a worker that dies leaves its claims to go stale, and any worker (this one after a restart)
takes them again, so a delivery is attempted at least once more. Concurrency is bounded in all and per endpoint, so
a slow receiver holds at most `per_endpoint` of the `max_in_flight` slots and the other endpoints' deliveries go on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.jobs import run_claimed, worker_owner

from webhook_svc.app.ports import Deliveries, Endpoints, OptionsStore, Resolver, Sender
from webhook_svc.app.targets import check_target
from webhook_svc.domain.deliveries import AttemptResult, Delivery, RetryPolicy
from webhook_svc.domain.signature import delivery_headers
from webhook_svc.domain.targets import TargetRefusedError

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class DeliveryWorker:
    deliveries: Deliveries
    endpoints: Endpoints
    options: OptionsStore
    resolver: Resolver
    sender: Sender
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_in_flight: int = 16
    per_endpoint: int = 4
    poll_interval_s: float = 0.5
    stale_after_s: float = 60.0  # several times the request timeout: a claim this old is its dead worker's
    paused_recheck_s: float = 30.0  # a paused (inactive) endpoint's deliveries are looked at again after this
    blocked_wait_s: float = 1.0  # at least this long a delivery waiting behind an older one of its key is put off
    owner: str = field(default_factory=lambda: worker_owner("webhook-deliveries"))
    _in_flight: Counter[str] = field(default_factory=Counter)

    async def run(self, stop: asyncio.Event) -> None:
        await run_claimed(stop, claim=self._claim, slots=self.max_in_flight, poll_interval_s=self.poll_interval_s)

    async def _claim(self) -> Coroutine[Any, Any, None] | None:
        busy = {endpoint for endpoint, n in self._in_flight.items() if n >= self.per_endpoint}
        try:
            delivery = await self.deliveries.claim_next(
                owner=self.owner, stale_after_s=self.stale_after_s, busy=busy, wait_s=self.blocked_wait_s
            )
        except Exception:
            log.exception("webhook deliveries could not be claimed")
            return None
        if delivery is None:
            return None
        self._in_flight[delivery.endpoint_id] += 1
        return self._attempt_counted(delivery)

    async def _attempt_counted(self, delivery: Delivery) -> None:
        try:
            await self.attempt(delivery)
        except Exception:
            log.exception("webhook delivery %s failed; it is taken again when its claim is stale", delivery.id)
        finally:
            self._in_flight[delivery.endpoint_id] -= 1
            if self._in_flight[delivery.endpoint_id] <= 0:
                del self._in_flight[delivery.endpoint_id]

    async def attempt(self, delivery: Delivery) -> None:
        """One attempt of a claimed delivery, recorded; nothing when its endpoint is gone, released when paused."""
        endpoint = await self.endpoints.get(delivery.endpoint_id)
        if endpoint is None:
            return  # deleted: its deliveries went with it
        if not endpoint.active:
            until = utc_now() + timedelta(seconds=self.paused_recheck_s)
            await self.deliveries.release(delivery.id, owner=self.owner, until=until)
            return
        allow_private = (await self.options.get()).allow_private_targets
        result = await self._send(delivery, url=endpoint.url, secret=endpoint.secret, allow_private=allow_private)
        done = delivery.after_attempt(result, at=utc_now(), policy=self.policy)
        if await self.deliveries.record(done, owner=self.owner):
            log.info(
                "webhook delivery attempted",
                extra={"fields": {"delivery": done.id, "status": done.status, "code": result.status_code}},
            )

    async def _send(self, delivery: Delivery, *, url: str, secret: str, allow_private: bool) -> AttemptResult:
        try:
            await check_target(url, resolver=self.resolver, allow_private=allow_private)
        except TargetRefusedError as exc:
            return AttemptResult(status_code=None, error=f"refused by the SSRF guard: {exc}")
        body = delivery.body.encode()
        headers = delivery_headers(
            secret=secret,
            body=body,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            delivery_id=delivery.id,
            timestamp=int(time.time()),
        )
        return await self.sender.post(url, body=body, headers=headers, allow_private=allow_private)
