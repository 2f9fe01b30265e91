"""Purging the samples of deleted datasets, in the background: a batch per transaction (samples, their history and
a tombstone on the compacted topic for each labeled one), so a dataset of a million samples neither holds up the
consumer nor needs one huge transaction. A dataset's samples are purged once labeling no longer knows the dataset."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from labelstream_shared.events.topics import LABELS_LATEST
from labelstream_shared.jobs import repeatedly
from labelstream_shared.uow import TransactionRunner

from labeling_svc.app.ports import LabelingTransaction

BATCH = 1000


async def purge_once(run: TransactionRunner[LabelingTransaction], *, batch: int = BATCH) -> int:
    """Purge every sample of every dataset labeling no longer knows; returns how many were removed."""

    async def orphaned(tx: LabelingTransaction) -> list[str]:
        held = await tx.samples.dataset_ids()
        known = await tx.datasets.existing_ids(held)
        return [d for d in held if d not in known]

    total = 0
    for dataset_id in await run(orphaned):
        while True:

            async def one_batch(tx: LabelingTransaction, dataset_id: str = dataset_id) -> int:
                removed = await tx.samples.remove_some(dataset_id, limit=batch)
                await tx.history.remove(list(removed))
                for sample_id, revision in removed.items():
                    if revision:
                        tx.emit_tombstone(LABELS_LATEST, sample_id)
                return len(removed)

            done = await run(one_batch)
            total += done
            if done < batch:
                break
    return total


def purger(
    run: TransactionRunner[LabelingTransaction], *, interval_s: float = 2.0
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """Background work (runs with the consumers): purge, then wait `interval_s`, until stopped."""
    return repeatedly(lambda: purge_once(run), interval_s=interval_s, what="purged samples of deleted datasets")
