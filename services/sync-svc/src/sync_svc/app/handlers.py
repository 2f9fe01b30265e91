"""Event handlers of sync-svc: it learns where each dataset's objects are, and watches those buckets."""

from __future__ import annotations

from typing import Any

from labelstream_shared.consumer import IncomingMessage, InvalidMessageError, Subscription
from labelstream_shared.events import (
    DatasetCreated,
    DatasetDeleted,
    EventEnvelope,
    ImportedAnnotationsApplied,
    SampleDeleted,
)

from sync_svc.app.deletion import delete_samples
from sync_svc.app.imports import record_annotation_results
from sync_svc.app.ports import ObjectStore, SyncTransaction
from sync_svc.app.watching import watch_input_bucket
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.notifications import BucketChange, InvalidNotificationError, parse_notification


def subscriptions(store: ObjectStore) -> list[Subscription[SyncTransaction, Any]]:
    async def register_dataset(tx: SyncTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
        dataset = SyncDataset(id=event.dataset_id, labeling_type=event.labeling_type, input_path=event.input_path)
        await tx.datasets.save(dataset)
        await watch_input_bucket(store, dataset.input_path.bucket)
        tx.projected_dataset(event.dataset_id)  # runs can be asked for now: a page waiting to synchronize hears it

    async def forget_dataset(tx: SyncTransaction, event: DatasetDeleted, envelope: EventEnvelope) -> None:
        """The dataset's objects stay in the bucket; only sync-svc's records of them go, in the background and in
        batches (app/purge.py): a dataset may hold a million objects."""
        await tx.datasets.delete(event.dataset_id)

    async def samples_deleted(tx: SyncTransaction, event: SampleDeleted, envelope: EventEnvelope) -> None:
        await delete_samples(tx, event, store=store)

    async def annotations_applied(
        tx: SyncTransaction, event: ImportedAnnotationsApplied, envelope: EventEnvelope
    ) -> None:
        await record_annotation_results(tx, event)

    return [
        Subscription(DatasetCreated, register_dataset),
        Subscription(DatasetDeleted, forget_dataset),
        Subscription(SampleDeleted, samples_deleted),
        Subscription(ImportedAnnotationsApplied, annotations_applied),
    ]


def decode_notification(message: IncomingMessage) -> tuple[str, list[BucketChange]]:
    try:
        return parse_notification(message.value)
    except InvalidNotificationError as exc:
        raise InvalidMessageError(str(exc)) from exc
