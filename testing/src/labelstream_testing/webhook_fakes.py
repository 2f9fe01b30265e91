"""In-memory fakes of webhook-svc's adapters (same interfaces as adapters/mongo.py and adapters/http.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from labelstream_shared.clock import utc_now
from webhook_svc.app.ports import WebhookOptions, WebhookTransaction
from webhook_svc.domain.deliveries import AttemptResult, Delivery, DeliveryStatus
from webhook_svc.domain.endpoints import WebhookEndpoint
from webhook_svc.domain.targets import check_addresses

from labelstream_testing.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner

Row = dict[str, Any]


class InMemoryEndpoints:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("endpoints")

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self._rows[endpoint.id] = endpoint.model_dump()

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = self._rows.get(endpoint_id)
        return WebhookEndpoint.model_validate(row) if row else None

    async def replace(self, endpoint: WebhookEndpoint) -> None:
        self._rows[endpoint.id] = endpoint.model_dump()

    async def delete(self, endpoint_id: str) -> None:
        self._rows.pop(endpoint_id, None)

    async def newest(self, *, limit: int, before: str | None) -> list[WebhookEndpoint]:
        ids = sorted((i for i in self._rows if before is None or i < before), reverse=True)[:limit]
        return [WebhookEndpoint.model_validate(self._rows[i]) for i in ids]

    async def subscribed_to(self, event_name: str) -> list[WebhookEndpoint]:
        endpoints = [WebhookEndpoint.model_validate(self._rows[i]) for i in sorted(self._rows)]
        return [e for e in endpoints if e.wants(event_name)]


class InMemoryDeliveries:
    """Rows are the Delivery fields plus `owner` and `heartbeat_at`, as in MongoDB."""

    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("deliveries")
        self._counters = state.collection("counters")

    async def next_sequence(self, count: int) -> int:
        counter = self._counters.setdefault("deliveries", {"value": 0})
        counter["value"] += count
        return int(counter["value"]) - count + 1

    async def add_many(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            self._rows[delivery.id] = {**delivery.model_dump(), "owner": None, "heartbeat_at": None}

    async def get(self, delivery_id: str) -> Delivery | None:
        row = self._rows.get(delivery_id)
        return Delivery.model_validate(row) if row else None

    async def list_for(
        self, endpoint_id: str, *, status: DeliveryStatus | None, limit: int, before: str | None
    ) -> list[Delivery]:
        rows = [
            r
            for i, r in sorted(self._rows.items(), reverse=True)
            if r["endpoint_id"] == endpoint_id and (before is None or i < before) and status in (None, r["status"])
        ]
        return [Delivery.model_validate(r) for r in rows[:limit]]

    async def delete_for(self, endpoint_id: str) -> None:
        for delivery_id in [i for i, r in self._rows.items() if r["endpoint_id"] == endpoint_id]:
            del self._rows[delivery_id]

    async def requeue(self, delivery: Delivery) -> None:
        await self.add_many([delivery])

    def _open_of(self, endpoint_id: str, key: str) -> list[Row]:
        rows = (r for _, r in sorted(self._rows.items()))
        return [r for r in rows if r["endpoint_id"] == endpoint_id and r["key"] == key and _is_open(r)]

    async def claim_next(
        self, *, owner: str, stale_after_s: float, busy: Collection[str], wait_s: float
    ) -> Delivery | None:
        now = utc_now()
        stale = now - timedelta(seconds=stale_after_s)

        def due(row: Row) -> bool:
            free = row["owner"] is None or (row["heartbeat_at"] is not None and row["heartbeat_at"] < stale)
            return _is_open(row) and row["next_attempt_at"] <= now and free and row["endpoint_id"] not in busy

        candidates = sorted((r for r in self._rows.values() if due(r)), key=lambda r: (r["next_attempt_at"], r["id"]))
        looked_at: set[tuple[str, str]] = set()
        for candidate in candidates:
            if (candidate["endpoint_id"], candidate["key"]) in looked_at:
                continue
            looked_at.add((candidate["endpoint_id"], candidate["key"]))
            head, *following = self._open_of(candidate["endpoint_id"], candidate["key"])
            if head["id"] != candidate["id"]:
                until = max(head["next_attempt_at"], now + timedelta(seconds=wait_s))
                for row in following:
                    row["next_attempt_at"] = max(row["next_attempt_at"], until)
                continue
            candidate.update(owner=owner, heartbeat_at=now)
            return Delivery.model_validate(candidate)
        return None

    async def record(self, delivery: Delivery, *, owner: str) -> bool:
        row = self._rows.get(delivery.id)
        if row is None or row["owner"] != owner:
            return False
        self._rows[delivery.id] = {**delivery.model_dump(), "owner": None, "heartbeat_at": None}
        if not delivery.is_open and (following := self._open_of(delivery.endpoint_id, delivery.key)):
            now = utc_now()
            if following[0]["status"] == "pending" and following[0]["next_attempt_at"] > now:
                following[0]["next_attempt_at"] = now
        return True

    async def release(self, delivery_id: str, *, owner: str, until: datetime) -> None:
        row = self._rows.get(delivery_id)
        if row is not None and row["owner"] == owner:
            row.update(owner=None, heartbeat_at=None, next_attempt_at=until)


def _is_open(row: Row) -> bool:
    return row["status"] in ("pending", "retrying")


class InMemoryOptions:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("options")

    async def get(self) -> WebhookOptions:
        return WebhookOptions.model_validate(self._rows.get("webhooks", {}))

    async def save(self, options: WebhookOptions) -> None:
        self._rows["webhooks"] = options.model_dump()


class InMemoryWebhookTransaction(InMemoryTransaction, WebhookTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.endpoints = InMemoryEndpoints(state)
        self.deliveries = InMemoryDeliveries(state)
        self.options = InMemoryOptions(state)


def in_memory_runner() -> InMemoryTransactionRunner[InMemoryWebhookTransaction]:
    return InMemoryTransactionRunner(
        lambda state: InMemoryWebhookTransaction(source="/labelstream/webhook-svc", state=state)
    )


class FakeResolver:
    """Names -> addresses; a name it does not know does not resolve."""

    def __init__(self, names: Mapping[str, list[str]] | None = None) -> None:
        self.names: dict[str, list[str]] = dict(names or {})

    async def resolve(self, host: str) -> list[str]:
        return list(self.names.get(host, []))


@dataclass(frozen=True)
class SentRequest:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeSender:
    """Records every POST; answers from `answers` in turn (then 200). Checks the resolved addresses the way the real
    sender's connector does, through `resolver` (so a name re-pointed after registration is refused)."""

    resolver: FakeResolver
    answers: list[AttemptResult] = field(default_factory=list)
    sent: list[SentRequest] = field(default_factory=list)

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], allow_private: bool) -> AttemptResult:
        host = urlsplit(url).hostname or ""
        addresses = await self.resolver.resolve(host) or [host]
        try:
            check_addresses(host, addresses, allow_private=allow_private)
        except ValueError as exc:
            return AttemptResult(status_code=None, error=f"refused by the SSRF guard: {exc}")
        self.sent.append(SentRequest(url=url, body=body, headers=dict(headers)))
        return self.answers.pop(0) if self.answers else AttemptResult(status_code=200)
