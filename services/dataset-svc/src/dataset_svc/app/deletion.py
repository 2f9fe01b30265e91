"""Deleting samples: the preview (how many samples, and who else uses their source objects), and the deletion.

A selection that fits one batch (up to 1,000 samples) is deleted at once, in one transaction; a larger one is
recorded as a queued deletion that the worker runs a batch per transaction (samples removed, counters fixed,
SampleDeleted emitted, progress moved on: a resumed deletion repeats nothing). Source objects are deleted by
sync-svc on SampleDeleted, never here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from labelstream_shared.errors import NotFoundError
from labelstream_shared.events import SampleDeleted
from labelstream_shared.events.contracts import ObjectRef
from labelstream_shared.jobs import Claim, JobLostError
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.uow import TransactionRunner

from dataset_svc.app.ports import DatasetTransaction, SampleDeletionRepository
from dataset_svc.app.use_cases import get_dataset
from dataset_svc.domain.deletion import (
    DELETION_BATCH,
    DeletionPreview,
    ObjectReference,
    ReferenceTally,
    SampleDeletion,
    SampleSelection,
    SourceObject,
    missing_ids_error,
)
from dataset_svc.domain.samples import Sample, SampleCounts
from dataset_svc.domain.versions import MAX_ATTEMPTS

log = logging.getLogger(__name__)
Run = TransactionRunner[DatasetTransaction]


@dataclass(frozen=True)
class Walk:
    """Where a walk through a selection is: the batch of ids, or the position in the filtered listing."""

    step: int = 0
    after: SamplePosition | None = None


async def preview_deletion(
    dataset_id: str, selection: SampleSelection, *, run: Run, batch: int = DELETION_BATCH
) -> DeletionPreview:
    """What deleting the selection would do, a page of it per transaction: at a million samples this takes a
    while (two index lookups per page of 1,000), but memory stays flat."""
    await _check_ids(dataset_id, selection, run=run, batch=batch)
    tally = ReferenceTally()
    walk: Walk | None = Walk()
    while walk is not None:
        page = await run(partial(_preview_page, dataset_id, selection, walk, batch))
        tally.add(samples=page.samples, datasets=page.datasets, versions=page.versions)
        walk = page.following
    return tally.result()


@dataclass(frozen=True)
class _PreviewPage:
    samples: int
    datasets: list[ObjectReference]
    versions: list[ObjectReference]
    following: Walk | None


async def _preview_page(
    dataset_id: str, selection: SampleSelection, walk: Walk, batch: int, tx: DatasetTransaction
) -> _PreviewPage:
    samples, following = await _selected(tx, dataset_id, selection, walk, batch=batch)
    objects = [SourceObject.of(s) for s in samples]
    datasets = await tx.samples.users_of(objects, other_than=dataset_id) if objects else []
    versions = await tx.version_objects.users_of(objects) if objects else []
    visible = await tx.versions.visible({r.holder for r in versions})  # not those being deleted
    return _PreviewPage(len(samples), datasets, [r for r in versions if r.holder in visible], following)


async def delete_samples(
    dataset_id: str, selection: SampleSelection, *, delete_source: bool, run: Run, batch: int = DELETION_BATCH
) -> SampleDeletion:
    """Delete the selected samples: at once when they fit one batch (the deletion returned has succeeded),
    else queued for the worker (returned queued). Unknown sample ids refuse the whole selection."""
    deletion = SampleDeletion.create(
        dataset_id=dataset_id, selection=selection, delete_source=delete_source, batch_size=batch
    )
    if selection.sample_ids is None or len(selection.sample_ids) <= batch:
        done = await run(partial(_delete_at_once, deletion))
        if done is not None:
            return done
    else:
        await _check_ids(dataset_id, selection, run=run, batch=batch)

    async def queue(tx: DatasetTransaction) -> SampleDeletion:
        await get_dataset(tx.datasets, dataset_id)
        await tx.deletions.add(deletion)
        return deletion

    return await run(queue)


async def _delete_at_once(deletion: SampleDeletion, tx: DatasetTransaction) -> SampleDeletion | None:
    """Delete a selection of one batch in this transaction; None when it selects more (a filter)."""
    await get_dataset(tx.datasets, deletion.dataset_id)
    selection, batch = deletion.selection, deletion.batch_size
    if selection.sample_ids is not None:
        samples = [s for s in await tx.samples.get_many(selection.sample_ids) if deletion.selects(s)]
        stored = {s.id for s in samples}
        missing = [i for i in selection.sample_ids if i not in stored]
        if missing:
            raise missing_ids_error(missing, selected=len(selection.sample_ids), dataset_id=deletion.dataset_id)
    else:
        assert selection.query is not None
        found = await tx.samples.find(deletion.dataset_id, query=selection.query, limit=batch + 1)
        if len(found) > batch:
            return None
        samples = [s for s in found if deletion.selects(s)]
    await _delete_batch(tx, deletion, samples)
    done = deletion.advanced(deleted=len(samples)).succeeded()
    await tx.deletions.add(done)
    return done


async def execute_deletion(claim: Claim, *, run: Run, owner: str) -> None:
    """Run a queued deletion (the worker claimed it) to its end, a batch per transaction."""
    deletion = await run(lambda tx: tx.deletions.get(claim.job_id))
    if deletion is None or deletion.is_finished:
        return
    try:
        if claim.attempts > MAX_ATTEMPTS:
            raise RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts (the worker stopped while running it)")
        while not deletion.is_finished:
            deletion = await run(partial(_next_batch, deletion.id, owner))
    except JobLostError:
        log.warning("sample deletion %s was taken over by another worker", claim.job_id)
    except Exception as exc:
        log.exception("sample deletion %s failed", claim.job_id)
        await run(partial(_fail, claim.job_id, f"{type(exc).__name__}: {exc}"))


async def _next_batch(deletion_id: str, owner: str, tx: DatasetTransaction) -> SampleDeletion:
    deletion = await tx.deletions.get(deletion_id)
    if deletion is None or not await tx.deletions.heartbeat(deletion_id, owner=owner):
        raise JobLostError(deletion_id)
    if await tx.datasets.get(deletion.dataset_id) is None:
        finished = deletion.failed("the dataset was deleted")
    else:
        walk = Walk(step=deletion.batches_done, after=deletion.position)
        found, following = await _selected(tx, deletion.dataset_id, deletion.selection, walk, batch=deletion.batch_size)
        samples = [s for s in found if deletion.selects(s)]
        await _delete_batch(tx, deletion, samples)
        finished = deletion.advanced(deleted=len(samples), position=following.after if following else None)
        if following is None:
            finished = finished.succeeded()
    await tx.deletions.save(finished)
    return finished


async def _fail(deletion_id: str, error: str, tx: DatasetTransaction) -> None:
    deletion = await tx.deletions.get(deletion_id)
    if deletion is not None and not deletion.is_finished:
        await tx.deletions.save(deletion.failed(error))


async def _delete_batch(tx: DatasetTransaction, deletion: SampleDeletion, samples: list[Sample]) -> None:
    if not samples:
        return
    dataset_id = deletion.dataset_id
    await tx.samples.remove(dataset_id, [s.id for s in samples])
    await tx.sample_counts.add(dataset_id, SampleCounts.change(samples, []))
    objects = tuple(ObjectRef(bucket=s.bucket, key=s.key, sample_id=s.id) for s in samples)
    tx.emit(
        SampleDeleted(
            dataset_id=dataset_id,
            sample_ids=tuple(s.id for s in samples),
            delete_source=deletion.delete_source,
            objects=objects if deletion.delete_source else (),
        )
    )


async def _selected(
    tx: DatasetTransaction, dataset_id: str, selection: SampleSelection, walk: Walk, *, batch: int
) -> tuple[list[Sample], Walk | None]:
    """One page of the selection, and where the next one starts (None after the last)."""
    if selection.sample_ids is not None:
        batches = selection.id_batches(size=batch)
        if walk.step >= len(batches):
            return [], None
        found = [s for s in await tx.samples.get_many(batches[walk.step]) if s.dataset_id == dataset_id]
        return found, Walk(step=walk.step + 1) if walk.step + 1 < len(batches) else None
    assert selection.query is not None
    page = await tx.samples.find(dataset_id, query=selection.query, limit=batch, after=walk.after)
    following = Walk(step=walk.step + 1, after=SamplePosition.of(page[-1])) if len(page) == batch else None
    return page, following


async def _check_ids(dataset_id: str, selection: SampleSelection, *, run: Run, batch: int) -> None:
    """Refuse a selection naming samples the dataset does not have, saying how many."""
    if selection.sample_ids is None:
        return
    missing: list[str] = []
    for ids in selection.id_batches(size=batch):

        async def existing(tx: DatasetTransaction, ids: tuple[str, ...] = ids) -> set[str]:
            return await tx.samples.existing_ids(dataset_id, ids)

        found = await run(existing)
        missing += [i for i in ids if i not in found]
    if missing:
        raise missing_ids_error(missing, selected=len(selection.sample_ids), dataset_id=dataset_id)


async def get_deletion(deletions: SampleDeletionRepository, *, dataset_id: str, deletion_id: str) -> SampleDeletion:
    deletion = await deletions.get(deletion_id)
    if deletion is None or deletion.dataset_id != dataset_id:
        raise NotFoundError(f"sample deletion {deletion_id!r} not found in dataset {dataset_id!r}")
    return deletion
