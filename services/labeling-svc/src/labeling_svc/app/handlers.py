"""Event handlers of labeling-svc. Each runs in the consumer's transaction, with the ledger record."""

from __future__ import annotations

from typing import Any

from labelstream_shared.consumer import Subscription
from labelstream_shared.events import AnnotationsImported, DatasetCreated, EventEnvelope, LabelChanged

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation
from labeling_svc.domain.datasets import LabelingDataset


async def record_dataset(tx: LabelingTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
    await tx.datasets.save(LabelingDataset.from_event(event, event_id=envelope.id))


async def take_imported_annotations(
    tx: LabelingTransaction, event: AnnotationsImported, envelope: EventEnvelope
) -> None:
    """A labeled import: the shapes become the samples' annotations; each change is announced (LabelChanged)."""
    current = await tx.annotations.get_many([a.sample_id for a in event.annotations])
    updated = []
    for imported in event.annotations:
        before = current.get(imported.sample_id) or Annotation.empty(
            sample_id=imported.sample_id, dataset_id=event.dataset_id
        )
        after, change = before.replaced(imported.shapes, labeled_by=imported.labeled_by)
        updated.append(after)
        tx.emit(
            LabelChanged(
                dataset_id=event.dataset_id,
                sample_id=after.id,
                revision=after.revision,
                shapes=after.shapes,
                change=change,
                labeled_by=after.labeled_by,
                changed_at=after.updated_at,
            )
        )
    await tx.annotations.save_many(updated)


SUBSCRIPTIONS: list[Subscription[LabelingTransaction, Any]] = [
    Subscription(DatasetCreated, record_dataset),
    Subscription(AnnotationsImported, take_imported_annotations),
]
