"""Forgetting the objects of deleted datasets, in the background: a batch per transaction, so a dataset of a million
objects neither holds up the consumer (DatasetDeleted only forgets the dataset) nor needs one huge transaction.
Nothing to resume: the objects of any dataset sync-svc no longer knows are removed, after a restart too (and so are
those a run still registered after the deletion)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from labelstream_shared.jobs import repeatedly
from labelstream_shared.uow import TransactionRunner

from sync_svc.app.ports import SyncTransaction

BATCH = 1000


async def purge_once(run: TransactionRunner[SyncTransaction], *, batch: int = BATCH) -> int:
    """Forget every object of every dataset sync-svc no longer knows; returns how many."""

    async def orphaned(tx: SyncTransaction) -> list[str]:
        held = await tx.objects.dataset_ids()
        known = await tx.datasets.existing_ids(held)
        return [d for d in held if d not in known]

    total = 0
    for dataset_id in await run(orphaned):

        async def one_batch(tx: SyncTransaction, dataset_id: str = dataset_id) -> int:
            if await tx.datasets.get(dataset_id) is not None:  # it came back (an id is never reused, but be sure)
                return 0
            return await tx.objects.remove_some(dataset_id, limit=batch)

        while (done := await run(one_batch)) > 0:
            total += done
    return total


def purger(
    run: TransactionRunner[SyncTransaction], *, interval_s: float = 2.0
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """Background work (runs with the consumers): purge, then wait `interval_s`, until stopped."""
    return repeatedly(lambda: purge_once(run), interval_s=interval_s, what="forgot the objects of deleted datasets")
