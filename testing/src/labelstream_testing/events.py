"""Builders of valid events for tests of every package (no IO)."""

from __future__ import annotations

from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import IncomingMessage
from labelstream_shared.events import DatasetCreated, EventPayload, envelope_for
from labelstream_shared.events.contracts import BucketPath, LabelDefinition, LabelingType


def dataset_created(
    dataset_id: str = "d1",
    *,
    name: str | None = None,
    labeling_type: LabelingType = "image_segmentation",
    labels: tuple[LabelDefinition, ...] = (),
) -> DatasetCreated:
    path = BucketPath(bucket="raw-data", prefix=f"{dataset_id}/")
    return DatasetCreated(
        dataset_id=dataset_id,
        name=name or dataset_id,
        labeling_type=labeling_type,
        input_path=path,
        output_path=BucketPath(bucket="out-data", prefix=f"{dataset_id}/"),
        labels=labels,
        created_at=utc_now(),
    )


def event_bytes(payload: EventPayload, *, correlation_id: str = "c", source: str = "/labelstream/test") -> bytes:
    """The payload as a Kafka message value (a CloudEvent in structured JSON)."""
    return envelope_for(payload, source=source, correlation_id=correlation_id).to_bytes()


class ParkedMessages:
    """A dead-letter sink for tests: keeps what would have gone to the DLQ."""

    def __init__(self) -> None:
        self.parked: list[tuple[IncomingMessage, str]] = []

    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        self.parked.append((message, reason))
