"""Continuous sync: bucket notifications turned into the same sample changes and events as a sync run.

Notifications arrive in batches (one Kafka poll). Only the last change of each object counts (Kafka keeps one
object's notifications in order: MinIO keys them by bucket/key), and each dataset's changes are applied as one
plan, so a burst of uploads becomes a few DataAdded events rather than one per object.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync_svc.app.ports import ObjectStore, SyncTransaction
from sync_svc.app.sync_run import apply_plan, plan_batch
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.diff import Unchanged
from sync_svc.domain.notifications import BucketChange, difference_for


async def apply_bucket_changes(tx: SyncTransaction, changes: Iterable[BucketChange], *, store: ObjectStore) -> None:
    latest = {(c.bucket, c.key): c for c in changes}
    for bucket in {b for b, _ in latest}:
        in_bucket = [c for (b, _), c in latest.items() if b == bucket]
        for dataset in await tx.datasets.in_bucket(bucket):
            covered = [c for c in in_bucket if dataset.covers(c.bucket, c.key)]
            if covered:
                await _apply_to_dataset(tx, dataset, covered, store=store)


async def _apply_to_dataset(
    tx: SyncTransaction, dataset: SyncDataset, changes: list[BucketChange], *, store: ObjectStore
) -> None:
    known = await tx.objects.get_by_keys(dataset.id, [c.key for c in changes])
    differences = [difference_for(c, known.get(c.key)) for c in changes]
    relevant = [d for d in differences if d is not None and not isinstance(d, Unchanged)]
    if relevant:
        plan = await plan_batch(relevant, dataset=dataset, store=store)
        await apply_plan(tx, dataset=dataset, plan=plan, origin="notification")


async def apply_notifications(
    tx: SyncTransaction, notifications: list[list[BucketChange]], *, store: ObjectStore
) -> None:
    await apply_bucket_changes(tx, (c for changes in notifications for c in changes), store=store)
