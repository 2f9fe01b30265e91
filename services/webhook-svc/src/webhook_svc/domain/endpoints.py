"""Webhook endpoints: where an admin wants events sent, which event types, and the secret they are signed with."""

from __future__ import annotations

from datetime import datetime

from labelstream_shared.events import EVENT_TYPES, DatasetProjected, SamplesProjected
from pydantic import BaseModel, ConfigDict, Field

ALL_EVENTS = "*"
# The browsers' signals of what a service applied (short-lived topic, many per second): not offered to webhooks.
_INTERNAL = {SamplesProjected.event_name, DatasetProjected.event_name}
# Event name (e.g. "LabelChanged") -> its contract, for every event an endpoint may subscribe to.
SUBSCRIBABLE = {cls.event_name: cls for cls in EVENT_TYPES.values() if cls.event_name not in _INTERNAL}
PING = "Ping"  # the event type of a test delivery (POST /api/webhooks/{id}/ping), sent whatever the subscription


class UnknownEventTypeError(ValueError):
    pass


def checked_event_types(names: list[str]) -> list[str]:
    """The subscription as given (duplicates dropped, order kept); unknown names refused, naming the known ones."""
    unknown = [n for n in names if n != ALL_EVENTS and n not in SUBSCRIBABLE]
    if unknown:
        known = ", ".join(sorted(SUBSCRIBABLE))
        raise UnknownEventTypeError(f"unknown event types {unknown}; known: {ALL_EVENTS} (every one), {known}")
    return list(dict.fromkeys(names))


class WebhookEndpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    event_types: list[str] = Field(description='event names (e.g. "LabelChanged"), or "*" for every event')
    secret: str
    active: bool = True
    description: str = ""
    created_at: datetime
    updated_at: datetime

    def wants(self, event_name: str) -> bool:
        return self.active and (ALL_EVENTS in self.event_types or event_name in self.event_types)

    def registered_by(self, event_time: datetime) -> bool:
        """An endpoint gets the events that happened once it was registered, not the backlog the consumer had not
        read yet then (a new receiver would otherwise get minutes of older events after a busy spell)."""
        return self.created_at <= event_time
