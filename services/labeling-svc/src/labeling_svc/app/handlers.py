"""Event handlers of labeling-svc. Each runs in the consumer's transaction, with the ledger record."""

from __future__ import annotations

from labelstream_shared.consumer import Subscription
from labelstream_shared.events import DatasetCreated, EventEnvelope

from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.datasets import LabelingDataset


async def record_dataset(tx: LabelingTransaction, event: DatasetCreated, envelope: EventEnvelope) -> None:
    await tx.datasets.save(LabelingDataset.from_event(event, event_id=envelope.id))


SUBSCRIPTIONS: list[Subscription[LabelingTransaction, DatasetCreated]] = [
    Subscription(DatasetCreated, record_dataset),
]
