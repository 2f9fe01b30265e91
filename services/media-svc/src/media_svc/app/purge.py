"""Purging a deleted dataset's media, as a job outside the consumer: its records (with their frame indexes and
transcode jobs) go `chunk` per transaction, then its derived files (thumbnails, posters, timelines, transcodes,
cached frames: everything under the dataset's prefix in the derived bucket) `chunk` per batch delete. Each chunk
is a heartbeat; a purge whose worker stopped is taken over and resumes where it was (what is gone stays gone). Media
jobs of the dataset are no longer claimed from the moment the purge is queued."""

from __future__ import annotations

import logging

from labelstream_shared.jobs import Claim, JobLostError
from labelstream_shared.uow import TransactionRunner

from media_svc.app.ports import MediaPurges, MediaStore, MediaTransaction
from media_svc.domain import keys

log = logging.getLogger(__name__)
PURGE_CHUNK = 1000


async def execute_purge(
    claim: Claim,
    owner: str,
    *,
    run: TransactionRunner[MediaTransaction],
    store: MediaStore,
    derived_bucket: str,
    purges: MediaPurges,
    chunk: int = PURGE_CHUNK,
) -> int:
    """Remove what is left of the dataset (its id is the job id), then the job; returns how many records went."""
    dataset_id = claim.job_id

    async def one_chunk(tx: MediaTransaction) -> int:
        ids = await tx.records.ids_of_dataset(dataset_id, limit=chunk)
        await tx.records.delete(ids)
        await tx.frame_indexes.delete(ids)
        await tx.transcodes.delete(ids)
        return len(ids)

    removed = 0
    while True:
        await _still_mine(purges, dataset_id, owner)
        done = await run(one_chunk)
        removed += done
        if done < chunk:
            break
    prefix = keys.dataset_prefix(dataset_id)
    while True:
        await _still_mine(purges, dataset_id, owner)
        if await store.delete_some(derived_bucket, prefix, limit=chunk) < chunk:
            break
    await purges.finish(dataset_id)
    log.info("purged the media of a deleted dataset", extra={"fields": {"dataset": dataset_id, "records": removed}})
    return removed


async def _still_mine(purges: MediaPurges, dataset_id: str, owner: str) -> None:
    if not await purges.heartbeat(dataset_id, owner=owner):
        raise JobLostError(f"the purge of {dataset_id} went to another worker")
