"""Deliveries: one event for one endpoint, its attempts, and the retry schedule.

A delivery is `pending` until its first attempt, `retrying` after a failed one, `delivered` after a 2xx answer, and
`dead` once its retry budget is spent (a target the SSRF guard refuses at the time of an attempt counts as a
failed attempt: the admin may allow it meanwhile). Pending and retrying deliveries are *open*.

Order per key: the deliveries of one endpoint and one partition key (the entity the events are about, e.g. a sample)
are attempted one at a time, oldest first; a later one waits while an older one is open, however long that one
retries. A dead delivery no longer holds the others up: the next one of its key goes on (a receiver that was away
for longer than the budget then sees a gap, which the delivery log shows, and a redelivery fills later, out of order).

Retry schedule: the n-th failed attempt is followed by a wait of `min(cap, base * 2**(n-1))`, of which the second half
is random (jitter, so that many deliveries failing together do not come back together). A delivery whose next attempt
would come later than `budget` after its first (or after its redelivery was asked for) is dead instead. With the
defaults (base 10 s, cap 1 h, budget 24 h): 10 s, 20 s, 40 s ... 1 h, then hourly, about 30 attempts in 24 hours."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

DeliveryStatus = Literal["pending", "retrying", "delivered", "dead"]
OPEN: tuple[DeliveryStatus, ...] = ("pending", "retrying")
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 10.0
    cap_s: float = 3600.0
    budget_s: float = 24 * 3600.0

    def delay_s(self, failures: int, *, rng: random.Random | None = None) -> float:
        """The wait after the `failures`-th failed attempt in a row: exponential, capped, half of it random."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(failures - 1, 60))
        jitter: float = (rng or random).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter

    def schedule_s(self) -> list[float]:
        """The longest waits between attempts within the budget (the jitter only shortens them)."""
        waits: list[float] = []
        while True:
            ceiling = min(self.cap_s, self.base_s * 2.0 ** min(len(waits), 60))
            if sum(waits) + ceiling > self.budget_s:
                return waits
            waits.append(ceiling)


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt gave: the answer's status code (None when no answer came) and the problem, if any."""

    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # sorts in the order the events were consumed (see `delivery_id`)
    endpoint_id: str
    event_id: str
    event_type: str  # the event's name, e.g. "LabelChanged"
    key: str  # the event's partition key: deliveries of one key go out in order
    body: str  # the CloudEvent as JSON, exactly the bytes sent and signed
    status: DeliveryStatus = "pending"
    attempts: int = 0
    failures: int = 0  # failed attempts in a row since `retry_since`: they set the next wait
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    retry_since: datetime  # the retry budget counts from here: creation, or the last redelivery asked for
    next_attempt_at: datetime
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def after_attempt(
        self, result: AttemptResult, *, at: datetime, policy: RetryPolicy, rng: random.Random | None = None
    ) -> Delivery:
        """The delivery once `result` is recorded: delivered, retrying at the next time of the schedule, or dead."""
        attempts = self.attempts + 1
        seen = {"attempts": attempts, "last_attempt_at": at, "last_status_code": result.status_code}
        if result.delivered:
            return self.model_copy(update={**seen, "status": "delivered", "delivered_at": at, "last_error": None})
        error = (result.error or f"answered {result.status_code}")[:MAX_ERROR_LENGTH]
        failed = {**seen, "failures": self.failures + 1, "last_error": error}
        next_at = at + timedelta(milliseconds=round(1000 * policy.delay_s(self.failures + 1, rng=rng)))
        if next_at > self.retry_since + timedelta(seconds=policy.budget_s):
            return self.model_copy(update={**failed, "status": "dead"})
        return self.model_copy(update={**failed, "status": "retrying", "next_attempt_at": next_at})

    def redelivered(self, *, at: datetime) -> Delivery:
        """Queued again on request (a dead or delivered one too), with a fresh retry budget; attempts keep counting."""
        return self.model_copy(
            update={"status": "pending", "next_attempt_at": at, "retry_since": at, "failures": 0, "delivered_at": None}
        )


def delivery_id(sequence: int, suffix: str) -> str:
    """A delivery's id: the consumption sequence number (fixed width, so ids sort in consumption order), then `suffix`
    (random hex, so ids of different databases never collide)."""
    return f"{sequence:016x}{suffix}"
