"""Event handlers of labeling-svc. Each runs in the consumer's transaction, with the ledger record.

Datasets come from dataset-svc's events; samples from DataAdded (they join every job of their dataset) and their
media size and duration from MediaProcessed (which may come first: it is kept for the sample). A deleted sample's
annotation goes, with a tombstone on the compacted latest-labels topic."""

from __future__ import annotations

from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import Subscription
from labelstream_shared.events import (
    AnnotationsImported,
    DataAdded,
    DatasetCreated,
    DatasetDeleted,
    DatasetUpdated,
    EventEnvelope,
    LabelChanged,
    MediaProcessed,
    SampleDeleted,
)
from labelstream_shared.events.contracts import AnnotationChange
from labelstream_shared.events.topics import LABELS_LATEST

from labeling_svc.app.imports import release_held_imports, take_imported_annotations
from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.datasets import LabelingDataset
from labeling_svc.domain.samples import LabelingSample, MediaResult


async def record_dataset(tx: LabelingTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
    await tx.datasets.save(LabelingDataset.from_event(event, event_id=envelope.id))
    tx.projected_dataset(event.dataset_id)  # its label set can be read now


async def update_dataset(tx: LabelingTransaction, event: DatasetUpdated, _envelope: EventEnvelope) -> None:
    dataset = await tx.datasets.get(event.dataset_id)
    if dataset is not None:
        await tx.datasets.save(dataset.updated(event))


async def drop_dataset(tx: LabelingTransaction, event: DatasetDeleted, _envelope: EventEnvelope) -> None:
    """The dataset and its jobs go at once; its samples, annotations and history are purged in the background in
    batches (app/purge.py), with a tombstone for every labeled sample: a dataset may hold a million samples."""
    await tx.jobs.remove_dataset(event.dataset_id)
    await tx.datasets.remove(event.dataset_id)


async def add_samples(tx: LabelingTransaction, event: DataAdded, _envelope: EventEnvelope) -> None:
    if await tx.datasets.get(event.dataset_id) is None:
        return
    now = utc_now()
    await tx.samples.add_new([LabelingSample.from_added(s, dataset_id=event.dataset_id, at=now) for s in event.samples])
    for s in event.samples:  # every one is known now (an existing one unchanged): the label page waits for it
        tx.projected(event.dataset_id, s.sample_id)


async def remove_samples(tx: LabelingTransaction, event: SampleDeleted, _envelope: EventEnvelope) -> None:
    """The samples' annotations go: a tombstone on the compacted topic, and for one that had labels a last
    LabelChanged without shapes on the labels topic (dataset-svc keeps labels of deleted samples for their return:
    they must be none)."""
    removed = await tx.samples.remove(event.dataset_id, event.sample_ids)
    await tx.history.remove(list(removed))
    now = utc_now()
    for sample_id, revision in removed.items():
        if revision:
            tx.emit(
                LabelChanged(
                    dataset_id=event.dataset_id,
                    sample_id=sample_id,
                    revision=revision,
                    shapes=(),
                    change=AnnotationChange(),
                    changed_at=now,
                    hard_example=False,
                    summary="sample deleted",
                )
            )
        tx.emit_tombstone(LABELS_LATEST, sample_id)


async def record_media(tx: LabelingTransaction, event: MediaProcessed, _envelope: EventEnvelope) -> None:
    await record_media_many(tx, [event])


async def record_media_many(tx: LabelingTransaction, events: list[MediaProcessed]) -> None:
    """Size and duration for validation; a failed result keeps what was known. Either settles the imported
    annotations held for the media. Results of datasets labeling does not know are ignored (like their DataAdded).
    A run of results costs a few round trips, whatever its length."""
    known = await tx.datasets.existing_ids({e.dataset_id for e in events})
    events = [e for e in events if e.dataset_id in known]
    results = [MediaResult.of(e) for e in events]
    await tx.samples.set_media_results(results)
    for r in results:
        if r.media is not None:
            tx.projected(r.dataset_id, r.sample_id)
    holding = await tx.samples.holding_imports(e.sample_id for e in events)
    for e in {e.sample_id: e for e in events if e.sample_id in holding}.values():
        await release_held_imports(tx, dataset_id=e.dataset_id, sample_id=e.sample_id)


async def take_imports(tx: LabelingTransaction, event: AnnotationsImported, _envelope: EventEnvelope) -> None:
    """A labeled import (it follows the samples' DataAdded on the same topic and key): see app/imports.py."""
    await take_imported_annotations(tx, event)


SUBSCRIPTIONS: list[Subscription[LabelingTransaction, Any]] = [
    Subscription(DatasetCreated, record_dataset),
    Subscription(DatasetUpdated, update_dataset),
    Subscription(DatasetDeleted, drop_dataset),
    Subscription(DataAdded, add_samples),
    Subscription(SampleDeleted, remove_samples),
    Subscription(MediaProcessed, record_media, handle_many=record_media_many),
    Subscription(AnnotationsImported, take_imports),
]
