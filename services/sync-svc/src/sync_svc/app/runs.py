"""Starting and reading synchronization runs."""

from __future__ import annotations

from labelstream_shared.errors import NotFoundError
from labelstream_shared.uow import TransactionRunner

from sync_svc.app.ports import SyncDatasets, SyncRuns, SyncTransaction
from sync_svc.domain.runs import SyncRun


async def start_sync_run(run: TransactionRunner[SyncTransaction], *, dataset_id: str) -> SyncRun:
    """Queue a run; a worker picks it up (see entrypoints/worker.py)."""

    async def work(tx: SyncTransaction) -> SyncRun:
        if await tx.datasets.get(dataset_id) is None:
            raise NotFoundError(f"dataset {dataset_id!r} is not known to sync-svc (yet)")
        sync_run = SyncRun.queue(dataset_id)
        await tx.runs.add(sync_run)
        return sync_run

    return await run(work)


async def get_sync_run(runs: SyncRuns, run_id: str) -> SyncRun:
    found = await runs.get(run_id)
    if found is None:
        raise NotFoundError(f"sync run {run_id!r} not found")
    return found


async def require_dataset(datasets: SyncDatasets, dataset_id: str) -> None:
    if await datasets.get(dataset_id) is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to sync-svc (yet)")
