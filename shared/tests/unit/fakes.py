"""Fakes of the relay's and consumer's ports (same interfaces as the Mongo and Kafka adapters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelstream_shared.consumer import IncomingMessage
from labelstream_shared.outbox import OutboxMessage


class FakeOutboxStore:
    def __init__(self, messages: list[OutboxMessage]) -> None:
        self.messages = messages
        self.sent: set[Any] = set()

    async def pending(self, limit: int) -> list[OutboxMessage]:
        return [m for m in self.messages if m.record_id not in self.sent][:limit]

    async def mark_sent(self, record_ids: Sequence[Any]) -> None:
        self.sent.update(record_ids)

    async def wait_for_new(self, timeout: float) -> None:
        return None


class FakePublisher:
    def __init__(self, *, fail_times: int = 0) -> None:
        self.published: list[OutboxMessage] = []
        self.fail_times = fail_times

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("broker down")
        self.published.extend(messages)


class FakeLease:
    def __init__(self, *, held: bool = True) -> None:
        self.held = held

    async def acquire(self) -> bool:
        return self.held

    async def release(self) -> None:
        self.held = False


class FakeDeadLetters:
    def __init__(self) -> None:
        self.parked: list[tuple[IncomingMessage, str]] = []

    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        self.parked.append((message, reason))


def outbox_messages(count: int, *, key: str = "k") -> list[OutboxMessage]:
    return [
        OutboxMessage(record_id=i, event_id=f"e{i}", event_type="t", topic="topic", key=key, value=b"%d" % i)
        for i in range(count)
    ]
