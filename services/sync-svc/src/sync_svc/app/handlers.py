"""Event handlers of sync-svc: it learns where each dataset's objects are."""

from __future__ import annotations

from typing import Any

from labelstream_shared.consumer import Subscription
from labelstream_shared.events import DatasetCreated, DatasetDeleted, EventEnvelope

from sync_svc.app.ports import SyncTransaction
from sync_svc.domain.datasets import SyncDataset


async def register_dataset(tx: SyncTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
    dataset = SyncDataset(id=event.dataset_id, labeling_type=event.labeling_type, input_path=event.input_path)
    await tx.datasets.save(dataset)


async def forget_dataset(tx: SyncTransaction, event: DatasetDeleted, envelope: EventEnvelope) -> None:
    """The dataset's objects stay in the bucket; only sync-svc's records of them go."""
    await tx.datasets.delete(event.dataset_id)
    await tx.objects.delete_dataset(event.dataset_id)


SUBSCRIPTIONS: list[Subscription[SyncTransaction, Any]] = [
    Subscription(DatasetCreated, register_dataset),
    Subscription(DatasetDeleted, forget_dataset),
]
