"""The CloudEvents 1.0 envelope, in structured JSON mode: the whole event is the Kafka message value.

Extensions: `partitionkey` (CloudEvents Partitioning extension: the entity id, also the Kafka key) and
`correlationid` (the id of the request or event that caused this one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labelstream_shared.events.contracts import EventPayload, payload_class

CONTENT_TYPE = "application/cloudevents+json"
TYPE_HEADER = "ce_type"  # the type, also as a Kafka header (CloudEvents Kafka binding name)


class InvalidEventError(ValueError):
    """A message that is not a valid Labelstream event (bad JSON, bad envelope or bad payload)."""


def schema_uri(event_type: str) -> str:
    return f"urn:labelstream:schema:{event_type}"


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")  # tolerant reader: newer minor fields pass

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1, description="The emitting service, e.g. /labelstream/dataset-svc")
    type: str = Field(pattern=r"^io\.labelstream\.[A-Za-z]+\.v\d+$")
    subject: str = Field(min_length=1, description="The entity id the event is about")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    partitionkey: str = Field(min_length=1)
    correlationid: str = Field(min_length=1)
    data: dict[str, Any]

    def payload(self) -> EventPayload:
        """The typed payload; raises InvalidEventError for unknown types or invalid data."""
        cls = payload_class(self.type)
        if cls is None:
            raise InvalidEventError(f"unknown event type {self.type!r}")
        try:
            return cls.model_validate(self.data)
        except ValidationError as exc:
            raise InvalidEventError(f"{self.type}: invalid data: {exc}") from exc

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> EventEnvelope:
        if not raw:
            raise InvalidEventError("empty message")
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidEventError(f"not a CloudEvents envelope: {exc}") from exc


def envelope_for(payload: EventPayload, *, source: str, correlation_id: str) -> EventEnvelope:
    event_type = payload.event_type()
    key = payload.partition_key()
    return EventEnvelope(
        id=str(uuid.uuid4()),
        source=source,
        type=event_type,
        subject=key,
        time=datetime.now(UTC),
        dataschema=schema_uri(event_type),
        partitionkey=key,
        correlationid=correlation_id,
        data=payload.model_dump(mode="json"),
    )
