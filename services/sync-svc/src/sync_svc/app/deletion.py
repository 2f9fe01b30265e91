"""Source deletion: sync-svc is the only service that deletes objects from a bucket.

On SampleDeleted the dataset's records of those samples go. With `delete_source`, the objects are deleted from the
bucket (deleting a missing object is not an error, so a retried handler is harmless), and every dataset that had
a sample on one of them learns it through SourceDeleted.
"""

from __future__ import annotations

from collections import defaultdict

from labelstream_shared.events import SampleDeleted, SourceDeleted
from labelstream_shared.events.contracts import ObjectRef

from sync_svc.app.ports import ObjectStore, SyncTransaction


async def delete_samples(tx: SyncTransaction, event: SampleDeleted, *, store: ObjectStore) -> None:
    await tx.objects.forget(event.sample_ids)
    if not (event.delete_source and event.objects):
        return
    by_bucket: dict[str, list[str]] = defaultdict(list)
    for ref in event.objects:
        by_bucket[ref.bucket].append(ref.key)
    for bucket, keys in by_bucket.items():
        await store.delete_objects(bucket, keys)
    tx.emit(SourceDeleted(dataset_id=event.dataset_id, reason="deleted_on_request", objects=event.objects))
    for bucket, keys in by_bucket.items():
        await _tell_other_datasets(tx, bucket, keys)


async def _tell_other_datasets(tx: SyncTransaction, bucket: str, keys: list[str]) -> None:
    shared = [
        known
        for dataset in await tx.datasets.in_bucket(bucket)
        for known in (await tx.objects.get_by_keys(dataset.id, keys)).values()
        if not known.missing
    ]
    await tx.objects.mark_missing([o.id for o in shared])
    per_dataset: dict[str, list[ObjectRef]] = defaultdict(list)
    for known in shared:
        per_dataset[known.dataset_id].append(ObjectRef(bucket=known.bucket, key=known.key, sample_id=known.id))
    for dataset_id, refs in per_dataset.items():
        tx.emit(SourceDeleted(dataset_id=dataset_id, reason="deleted_on_request", objects=tuple(refs)))
