"""Event handlers of dataset-svc: samples learnt from sync and media events. Each runs in the consumer's
transaction together with its ledger record. Events of datasets that no longer exist are ignored."""

from __future__ import annotations

from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import Subscription
from labelstream_shared.events import DataAdded, EventEnvelope, MediaProcessed, SourceChanged, SourceDeleted

from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.domain.samples import MediaResult, Sample, SampleCounts, new_samples


async def add_samples(tx: DatasetTransaction, event: DataAdded, _envelope: EventEnvelope) -> None:
    """New samples are inserted; a sample that exists stays as it is, except that its source is back."""
    if await tx.datasets.get(event.dataset_id) is None:
        return
    now = utc_now()
    candidates = new_samples(event.samples, dataset_id=event.dataset_id, at=now)
    inserted = await tx.samples.add_new(candidates)
    if inserted:
        await tx.sample_counts.add(event.dataset_id, SampleCounts.of(inserted))
        early = await tx.early_media.take(s.id for s in inserted)
        await tx.samples.save_all([s.media_processed(early[s.id], at=now) for s in inserted if s.id in early])
    fresh = {s.id for s in inserted}
    known = await tx.samples.get_many(s.id for s in candidates if s.id not in fresh)
    restored = [s.source_restored(at=now) for s in _of_dataset(known, event.dataset_id) if s.source_missing]
    await tx.samples.save_all(restored)


async def change_sources(tx: DatasetTransaction, event: SourceChanged, _envelope: EventEnvelope) -> None:
    if await tx.datasets.get(event.dataset_id) is None:
        return
    now = utc_now()
    changes = {s.sample_id: s for s in event.samples}
    known = _of_dataset(await tx.samples.get_many(changes), event.dataset_id)
    changed = [s.source_replaced(size=changes[s.id].size, etag=changes[s.id].etag, at=now) for s in known]
    await tx.samples.save_all(changed)


async def flag_missing_sources(tx: DatasetTransaction, event: SourceDeleted, _envelope: EventEnvelope) -> None:
    """Samples whose source object is gone are flagged, found by sample id, or by bucket and key without one."""
    if await tx.datasets.get(event.dataset_id) is None:
        return
    by_id = await tx.samples.get_many(o.sample_id for o in event.objects if o.sample_id is not None)
    objects = [(o.bucket, o.key) for o in event.objects if o.sample_id is None]
    by_object = await tx.samples.find_objects(event.dataset_id, objects) if objects else []
    now = utc_now()
    gone = {s.id: s.source_gone(at=now) for s in [*_of_dataset(by_id, event.dataset_id), *by_object]}
    await tx.samples.save_all(list(gone.values()))


async def record_media(tx: DatasetTransaction, event: MediaProcessed, _envelope: EventEnvelope) -> None:
    """The sample's media metadata, status and thumbnail; held until the sample arrives when it is not known yet."""
    if await tx.datasets.get(event.dataset_id) is None:
        return
    result = MediaResult.of(event)
    sample = await tx.samples.get(event.dataset_id, event.sample_id)
    if sample is None:
        await tx.early_media.hold(dataset_id=event.dataset_id, sample_id=event.sample_id, result=result)
    else:
        await tx.samples.save_all([sample.media_processed(result, at=utc_now())])


def _of_dataset(samples: list[Sample], dataset_id: str) -> list[Sample]:
    return [s for s in samples if s.dataset_id == dataset_id]


SUBSCRIPTIONS: list[Subscription[DatasetTransaction, Any]] = [
    Subscription(DataAdded, add_samples),
    Subscription(SourceChanged, change_sources),
    Subscription(SourceDeleted, flag_missing_sources),
    Subscription(MediaProcessed, record_media),
]
