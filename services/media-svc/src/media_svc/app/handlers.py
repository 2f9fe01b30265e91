"""Event handlers of media-svc: new and changed samples become media jobs (queued records), processed later by the
job worker outside the consumer's transaction; deleted samples are forgotten, and a deleted dataset's media are
purged by a job (app/purge.py): a dataset may hold a million samples."""

from __future__ import annotations

from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import Subscription
from labelstream_shared.events import (
    DataAdded,
    DatasetCreated,
    DatasetDeleted,
    EventEnvelope,
    SampleDeleted,
    SourceChanged,
)
from labelstream_shared.events.contracts import AddedSample

from media_svc.app.ports import MediaTransaction
from media_svc.domain.records import MediaRecord


async def queue_samples(tx: MediaTransaction, *, dataset_id: str, samples: tuple[AddedSample, ...]) -> int:
    """Queue a job per sample whose source version is new to us; a sample re-added unchanged keeps its result.
    Samples of a dataset not created (yet) are held until it is."""
    held = not await tx.datasets.seen(dataset_id)
    known = await tx.records.get_many(s.sample_id for s in samples)
    now = utc_now()
    fresh: dict[str, MediaRecord] = {}
    for sample in samples:
        record = known.get(sample.sample_id)
        if record is None or not record.is_same_source(sample) or record.dataset_id != dataset_id:
            record = MediaRecord.queued(sample, dataset_id=dataset_id, at=now, held=held)
            fresh.setdefault(sample.sample_id, record)
    await tx.records.queue(list(fresh.values()))
    return len(fresh)


async def samples_added(tx: MediaTransaction, event: DataAdded, _envelope: EventEnvelope) -> None:
    await queue_samples(tx, dataset_id=event.dataset_id, samples=event.samples)


async def sources_changed(tx: MediaTransaction, event: SourceChanged, _envelope: EventEnvelope) -> None:
    await queue_samples(tx, dataset_id=event.dataset_id, samples=event.samples)


async def samples_deleted(tx: MediaTransaction, event: SampleDeleted, _envelope: EventEnvelope) -> None:
    await tx.records.delete(event.sample_ids)
    await tx.frame_indexes.delete(event.sample_ids)


async def dataset_created(tx: MediaTransaction, event: DatasetCreated, _envelope: EventEnvelope) -> None:
    await tx.datasets.created(event.dataset_id)
    await tx.records.release(event.dataset_id)


async def dataset_deleted(tx: MediaTransaction, event: DatasetDeleted, _envelope: EventEnvelope) -> None:
    """Cheap and idempotent: the dataset is forgotten (samples added later are held, then expire) and its purge is
    queued; from now on its media jobs are not claimed."""
    await tx.datasets.deleted(event.dataset_id)
    await tx.purges.add(event.dataset_id)


SUBSCRIPTIONS: list[Subscription[MediaTransaction, Any]] = [
    Subscription(DataAdded, samples_added),
    Subscription(SourceChanged, sources_changed),
    Subscription(SampleDeleted, samples_deleted),
]
# a consumer group of its own, reading the datasets topic from its beginning (it came after the first release)
DATASET_SUBSCRIPTIONS: list[Subscription[MediaTransaction, Any]] = [
    Subscription(DatasetCreated, dataset_created),
    Subscription(DatasetDeleted, dataset_deleted),
]
