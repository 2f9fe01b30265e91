"""Executing a synchronization run: stream the diff, apply it in batches, one transaction per batch.

Each batch transaction writes the known-object records, the events (DataAdded, SourceChanged, SourceDeleted)
and the run's progress together, so a crash never leaves a sample without its event or counts that lie.
Runs of one dataset may overlap: a batch re-reads which objects exist inside its transaction, so an object
is added once whoever gets there first.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from labelstream_shared.errors import ConflictError
from labelstream_shared.events import DataAdded, SourceChanged, SourceDeleted
from labelstream_shared.events.contracts import MediaKind, ObjectRef
from labelstream_shared.uow import TransactionRunner

from sync_svc.app.ports import ImportTasks, KnownObjects, ObjectStore, SyncDatasets, SyncRuns, SyncTransaction
from sync_svc.app.watching import watch_input_bucket
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.diff import Changed, Difference, New, Reappeared, Unchanged, Vanished, diff
from sync_svc.domain.media_kinds import SNIFF_BYTES, Skipped, kind_from_content, kind_from_name
from sync_svc.domain.objects import KnownObject
from sync_svc.domain.runs import MAX_SKIPPED_EXAMPLES, RunCounts, SkippedObject

BATCH_SIZE = 5000  # objects per transaction: fewer commits (each waits for the journal)
EVENT_SAMPLES = 1000  # samples per event: messages stay well under Kafka's 1 MB default
SNIFF_CONCURRENCY = 16


@dataclass(frozen=True)
class SyncReads:
    """Reads outside transactions: streams and lookups."""

    objects: KnownObjects
    runs: SyncRuns
    imports: ImportTasks
    datasets: SyncDatasets


@dataclass
class BatchPlan:
    """What one batch of differences turns into."""

    added: list[KnownObject] = field(default_factory=list)
    reappeared: list[KnownObject] = field(default_factory=list)
    changed: list[KnownObject] = field(default_factory=list)
    vanished: list[KnownObject] = field(default_factory=list)
    skipped: list[SkippedObject] = field(default_factory=list)
    unchanged: int = 0


async def execute_sync_run(
    run_id: str, *, run: TransactionRunner[SyncTransaction], reads: SyncReads, store: ObjectStore
) -> None:
    sync_run = await reads.runs.get(run_id)
    dataset = await reads.datasets.get(sync_run.dataset_id) if sync_run else None
    if sync_run is None or dataset is None:
        await reads.runs.finish(run_id, error="the dataset no longer exists")
        return
    await watch_input_bucket(store, dataset.input_path.bucket)
    try:
        skipped_total = 0
        differences = diff(
            store.list_objects(dataset.input_path.bucket, dataset.input_path.prefix),
            reads.objects.in_key_order(dataset.id, bucket=dataset.input_path.bucket, prefix=dataset.input_path.prefix),
        )
        # batch N is written while batch N+1 is diffed and planned; writes stay one at a time (two transactions
        # in flight were slower here: MongoDB's work, not the client's, bounds a run)
        writing: asyncio.Task[None] | None = None
        async for batch in _batches(differences, BATCH_SIZE):
            plan = await plan_batch(batch, dataset=dataset, store=store)
            examples = plan.skipped[: max(MAX_SKIPPED_EXAMPLES - skipped_total, 0)]
            skipped_total += len(plan.skipped)
            if writing is not None:
                await writing
            apply = _apply_with_retry(run, run_id=run_id, dataset=dataset, plan=plan, examples=examples)
            writing = asyncio.create_task(apply)
        if writing is not None:
            await writing
    except Exception as exc:
        await reads.runs.finish(run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    await reads.runs.finish(run_id, error=None)


async def plan_batch(batch: Sequence[Difference], *, dataset: SyncDataset, store: ObjectStore) -> BatchPlan:
    plan = BatchPlan()
    new = [d for d in batch if isinstance(d, New)]
    kinds = await _classify([d.listed.key for d in new], bucket=dataset.input_path.bucket, store=store)
    for item, kind in zip(new, kinds, strict=True):
        if isinstance(kind, Skipped):
            plan.skipped.append(SkippedObject(key=item.listed.key, reason=kind.reason))
        else:
            known = KnownObject.register(
                dataset_id=dataset.id, bucket=dataset.input_path.bucket, listed=item.listed, media_kind=kind
            )
            plan.added.append(known)
    for difference in batch:
        if isinstance(difference, Reappeared | Changed):
            listed = difference.listed
            updated = difference.known.model_copy(
                update={
                    "etag": listed.etag,
                    "size": listed.size,
                    "last_modified": listed.last_modified,
                    "missing": False,
                }
            )
            (plan.reappeared if isinstance(difference, Reappeared) else plan.changed).append(updated)
        elif isinstance(difference, Vanished):
            plan.vanished.append(difference.known)
        elif isinstance(difference, Unchanged):
            plan.unchanged += 1
    return plan


async def _classify(keys: list[str], *, bucket: str, store: ObjectStore) -> list[Skipped | MediaKind]:
    """By extension; objects without one are sniffed (a ranged read), a few at a time."""
    kinds = [kind_from_name(key) for key in keys]
    unnamed = [i for i, kind in enumerate(kinds) if kind is None]
    if not unnamed:
        return cast(list[Skipped | MediaKind], kinds)
    limit = asyncio.Semaphore(SNIFF_CONCURRENCY)

    async def sniff(key: str) -> Skipped | MediaKind:
        async with limit:
            return kind_from_content(await store.read_head(bucket, key, SNIFF_BYTES))

    sniffed = await asyncio.gather(*(sniff(keys[i]) for i in unnamed))
    for i, kind in zip(unnamed, sniffed, strict=True):
        kinds[i] = kind
    return cast(list[Skipped | MediaKind], kinds)


async def _apply_with_retry(
    run: TransactionRunner[SyncTransaction],
    *,
    run_id: str,
    dataset: SyncDataset,
    plan: BatchPlan,
    examples: Sequence[SkippedObject],
) -> None:
    # the first attempt trusts the diff (its objects were unknown when listed); a concurrent run or a notification
    # that registered one of them meanwhile makes the insert fail, and the retry re-reads what exists
    checked = False

    async def work(tx: SyncTransaction) -> None:
        counts = await apply_plan(tx, dataset=dataset, plan=plan, origin="sync", check_new=checked)
        await tx.runs.record_progress(run_id, counts=counts, skipped=examples)

    for attempt in itertools.count(1):
        try:
            await run(work)
            return
        except ConflictError:
            checked = True
            if attempt == 3:
                raise


async def apply_plan(
    tx: SyncTransaction,
    *,
    dataset: SyncDataset,
    plan: BatchPlan,
    origin: Literal["sync", "notification"],
    check_new: bool = True,
) -> RunCounts:
    """Write a batch's changes and the events announcing them; returns what it counted.

    The plan was made from reads outside the transaction; the stored state is read again here, so a change that
    a concurrent run or a notification applied first is neither written nor announced twice. With `check_new`
    False the new objects are inserted without that read: one registered meanwhile raises ConflictError."""
    existing = await tx.objects.existing_ids([o.id for o in plan.added]) if check_new else set()
    added = [o for o in plan.added if o.id not in existing]
    current = await tx.objects.get_many([o.id for o in (*plan.reappeared, *plan.changed, *plan.vanished)])
    reappeared = [o for o in plan.reappeared if (c := current.get(o.id)) and c.missing]
    changed = [o for o in plan.changed if (c := current.get(o.id)) and not c.missing and c.etag != o.etag]
    vanished = [o for o in plan.vanished if (c := current.get(o.id)) and not c.missing]
    await tx.objects.add_many(added)
    await tx.objects.replace_many([*reappeared, *changed])
    await tx.objects.mark_missing([o.id for o in vanished])
    for chunk in _chunks([*added, *reappeared]):
        tx.emit(DataAdded(dataset_id=dataset.id, origin=origin, samples=tuple(o.as_added() for o in chunk)))
    for chunk in _chunks(changed):
        tx.emit(SourceChanged(dataset_id=dataset.id, samples=tuple(o.as_added() for o in chunk)))
    for chunk in _chunks(vanished):
        refs = tuple(ObjectRef(bucket=o.bucket, key=o.key, sample_id=o.id) for o in chunk)
        tx.emit(SourceDeleted(dataset_id=dataset.id, reason="vanished", objects=refs))
    settled_elsewhere = len(plan.added) - len(added) + len(plan.reappeared) - len(reappeared)
    return RunCounts(
        listed=len(plan.added) + len(plan.skipped) + len(plan.reappeared) + len(plan.changed) + plan.unchanged,
        added=len(added) + len(reappeared),
        removed=len(vanished),
        changed=len(changed),
        unchanged=plan.unchanged + settled_elsewhere + len(plan.changed) - len(changed),
        skipped=len(plan.skipped),
    )


def _chunks(objects: list[KnownObject]) -> list[list[KnownObject]]:
    return [objects[i : i + EVENT_SAMPLES] for i in range(0, len(objects), EVENT_SAMPLES)]


async def _batches(items: AsyncIterator[Difference], size: int) -> AsyncIterator[list[Difference]]:
    batch: list[Difference] = []
    async for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
