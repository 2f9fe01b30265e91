"""Kafka topics. Events of one entity share a topic and a key, so Kafka keeps them in order."""

from __future__ import annotations

DATASETS = "labelstream.datasets"
SAMPLES = "labelstream.samples"
MEDIA = "labelstream.media"
LABELS = "labelstream.labels"
# Compacted (cleanup.policy=compact): the latest LabelChanged of every sample, a tombstone once it is deleted.
LABELS_LATEST = "labelstream.labels.latest"
BUCKET_NOTIFICATIONS = "labelstream.bucket-notifications"
# Short-lived: what a projecting service has applied (SamplesProjected, DatasetProjected), for the browsers.
PROJECTIONS = "labelstream.projections"
PROJECTIONS_RETENTION_MS = 3_600_000

EVENT_TOPICS = (DATASETS, SAMPLES, MEDIA, LABELS, PROJECTIONS)
# Settings of topics that are not kept the default week (a topic is created with them; an existing one keeps its own).
TOPIC_CONFIGS: dict[str, dict[str, str]] = {PROJECTIONS: {"retention.ms": str(PROJECTIONS_RETENTION_MS)}}


def dead_letter_topic(consumer_group: str) -> str:
    """Where a consumer group parks messages it could not process after its retries."""
    return f"labelstream.dlq.{consumer_group}"
