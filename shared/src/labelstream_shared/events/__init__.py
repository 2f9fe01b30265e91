"""Event contracts: the CloudEvents envelope, the versioned payloads and the topics they travel on."""

from labelstream_shared.events.contracts import (
    EVENT_TYPES,
    AnnotationsImported,
    DataAdded,
    DatasetCreated,
    DatasetDeleted,
    DatasetProjected,
    DatasetUpdated,
    EventPayload,
    LabelChanged,
    MediaProcessed,
    SampleDeleted,
    SamplesProjected,
    SourceChanged,
    SourceDeleted,
    VersionPublished,
    payload_class,
)
from labelstream_shared.events.envelope import EventEnvelope, InvalidEventError, envelope_for

__all__ = [
    "EVENT_TYPES",
    "AnnotationsImported",
    "DataAdded",
    "DatasetCreated",
    "DatasetDeleted",
    "DatasetProjected",
    "DatasetUpdated",
    "EventEnvelope",
    "EventPayload",
    "InvalidEventError",
    "LabelChanged",
    "MediaProcessed",
    "SampleDeleted",
    "SamplesProjected",
    "SourceChanged",
    "SourceDeleted",
    "VersionPublished",
    "envelope_for",
    "payload_class",
]
