"""Event handlers of dataset-svc: samples learnt from sync, media and label events, and the projection of each
dataset's label set (owned by labeling-svc, LabelSetChanged). Each runs in the consumer's
transaction together with its ledger record. Events of datasets that no longer exist are ignored.

MediaProcessed and LabelChanged travel on other topics than DataAdded and may be read before the sample is added:
they are kept (`early_media`, `sample_labels`) and applied when it is. Such a transaction touches the dataset's
counters, which adding samples writes as well, so the two never commit blind to each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import Subscription
from labelstream_shared.events import (
    DataAdded,
    EventEnvelope,
    LabelChanged,
    LabelSetChanged,
    MediaProcessed,
    SourceChanged,
    SourceDeleted,
)

from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.domain.labels import SampleLabels
from dataset_svc.domain.samples import MediaResult, Sample, SampleCounts, new_samples


async def add_samples(tx: DatasetTransaction, event: DataAdded, _envelope: EventEnvelope) -> None:
    """New samples are inserted, with the labels that came before them; a sample that exists stays as it is,
    except that its source is back."""
    if await tx.datasets.get(event.dataset_id) is None:
        return
    now = utc_now()
    candidates = new_samples(event.samples, dataset_id=event.dataset_id, at=now)
    labels = await tx.sample_labels.get_many(s.id for s in candidates)
    labeled = [s.labels_changed(labels[s.id], at=now) if s.id in labels else s for s in candidates]
    inserted = await tx.samples.add_new(labeled)
    if inserted:
        await tx.sample_counts.add(event.dataset_id, SampleCounts.of(inserted))
        early = await tx.early_media.take(s.id for s in inserted)
        await tx.samples.save_all([s.media_processed(early[s.id], at=now) for s in inserted if s.id in early])
    fresh = {s.id for s in inserted}
    known = await tx.samples.get_many(s.id for s in candidates if s.id not in fresh)
    restored = [s.source_restored(at=now) for s in _of_dataset(known, event.dataset_id) if s.source_missing]
    await tx.samples.save_all(restored)
    _announce(tx, [*inserted, *restored], labels)


async def change_sources(tx: DatasetTransaction, event: SourceChanged, _envelope: EventEnvelope) -> None:
    if await tx.datasets.get(event.dataset_id) is None:
        return
    now = utc_now()
    changes = {s.sample_id: s for s in event.samples}
    known = _of_dataset(await tx.samples.get_many(changes), event.dataset_id)
    changed = [s.source_replaced(size=changes[s.id].size, etag=changes[s.id].etag, at=now) for s in known]
    await tx.samples.save_all(changed)
    _announce(tx, changed)


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
    _announce(tx, list(gone.values()))


async def record_media(tx: DatasetTransaction, event: MediaProcessed, _envelope: EventEnvelope) -> None:
    await record_media_many(tx, [event])


async def record_media_many(tx: DatasetTransaction, events: list[MediaProcessed]) -> None:
    """The samples' media metadata, status and thumbnails, in the events' order; a result for a sample not known
    yet is held until it arrives (the latest held per sample wins). A batch costs a few round trips, not a few per
    event."""
    live = await tx.datasets.existing_ids({e.dataset_id for e in events})
    events = [e for e in events if e.dataset_id in live]
    known = {s.id: s for s in await tx.samples.get_many({e.sample_id for e in events})}
    now = utc_now()
    changed: dict[str, Sample] = {}
    early: dict[str, MediaProcessed] = {}
    for event in events:
        sample = changed.get(event.sample_id) or known.get(event.sample_id)
        if sample is None or sample.dataset_id != event.dataset_id:
            early[event.sample_id] = event
        else:
            changed[sample.id] = sample.media_processed(MediaResult.of(event), at=now)
    await tx.samples.save_all(list(changed.values()))
    _announce(tx, list(changed.values()))
    if early:
        await tx.early_media.hold({s: (e.dataset_id, MediaResult.of(e)) for s, e in early.items()})
        for dataset_id in sorted({e.dataset_id for e in early.values()}):
            await tx.sample_counts.touch(dataset_id)


async def record_labels(tx: DatasetTransaction, event: LabelChanged, _envelope: EventEnvelope) -> None:
    await record_labels_many(tx, [event])


async def record_labels_many(tx: DatasetTransaction, events: list[LabelChanged]) -> None:
    """The samples' new labels, in the events' order: status (labeled with at least one shape), labeled-by and
    per-label counts, with the tab counters. A revision not newer than the one kept is stale and ignored; labels of
    a sample not added yet are kept for it. A batch costs a few round trips, not a few per event."""
    live = await tx.datasets.existing_ids({e.dataset_id for e in events})
    events = [e for e in events if e.dataset_id in live]
    ids = {e.sample_id for e in events}
    labels = await tx.sample_labels.get_many(ids)
    before = {s.id: s for s in await tx.samples.get_many(ids)}
    after = dict(before)
    newer: dict[str, SampleLabels] = {}
    waiting: set[str] = set()
    for event in events:
        changed = SampleLabels.of(event)
        if not changed.supersedes(labels.get(event.sample_id)):
            continue
        labels[event.sample_id] = newer[event.sample_id] = changed
        sample = after.get(event.sample_id)
        if sample is None or sample.dataset_id != event.dataset_id:
            waiting.add(event.dataset_id)
            continue
        after[sample.id] = sample.labels_changed(changed, at=utc_now())
        tx.projected(event.dataset_id, event.sample_id, revision=changed.revision)
    await tx.sample_labels.save_all(list(newer.values()))
    moved = [s for s in after.values() if s is not before[s.id]]
    await tx.samples.save_all(moved)
    for dataset_id in sorted({s.dataset_id for s in moved}):
        of_dataset = [s for s in moved if s.dataset_id == dataset_id]
        counts = SampleCounts.change([before[s.id] for s in of_dataset], of_dataset)
        if not counts.is_zero:
            await tx.sample_counts.add(dataset_id, counts)
    for dataset_id in sorted(waiting):
        await tx.sample_counts.touch(dataset_id)


async def project_label_set(tx: DatasetTransaction, event: LabelSetChanged, _envelope: EventEnvelope) -> None:
    """The dataset's labels follow labeling-svc's set, revision by revision (an older revision is ignored)."""
    dataset = await tx.datasets.get(event.dataset_id)
    if dataset is None:
        return
    projected = dataset.label_set_changed(event)
    if projected is not dataset:
        await tx.datasets.replace(projected)


def _announce(tx: DatasetTransaction, samples: list[Sample], labels: Mapping[str, SampleLabels] | None = None) -> None:
    """The listing shows these samples as changed now (with the label revision it holds, when it has labels)."""
    for s in samples:
        held = (labels or {}).get(s.id)
        tx.projected(s.dataset_id, s.id, revision=held.revision if held else None)


def _of_dataset(samples: list[Sample], dataset_id: str) -> list[Sample]:
    return [s for s in samples if s.dataset_id == dataset_id]


SUBSCRIPTIONS: list[Subscription[DatasetTransaction, Any]] = [
    Subscription(DataAdded, add_samples),
    Subscription(SourceChanged, change_sources),
    Subscription(SourceDeleted, flag_missing_sources),
    Subscription(MediaProcessed, record_media, handle_many=record_media_many),
    Subscription(LabelChanged, record_labels, handle_many=record_labels_many),
    Subscription(LabelSetChanged, project_label_set),
]
