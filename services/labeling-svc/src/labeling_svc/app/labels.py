"""Use cases on a dataset's label set, which labeling-svc owns: add a label; rename or recolour it, or delete it,
everywhere.

Every edit is a new revision of the set, announced by LabelSetChanged in the edit's transaction (dataset-svc projects
it). A rename or a deletion then changes every annotation holding the label, in batches, each batch one transaction
with a new revision, history entry and LabelChanged per annotation (a dataset's labels may be on a million samples:
one transaction would not hold them)."""

from __future__ import annotations

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import NotFoundError
from labelstream_shared.events.contracts import LabelDefinition, LabelSetChange, LabelSetChanged
from labelstream_shared.uow import TransactionRunner

from labeling_svc.app.annotations import record_change
from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.datasets import LabelingDataset

BATCH = 200


async def _dataset(tx: LabelingTransaction, dataset_id: str) -> LabelingDataset:
    dataset = await tx.datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to labeling")
    return dataset


async def _save_edit(
    tx: LabelingTransaction, dataset: LabelingDataset, change: LabelSetChange, *, by: str
) -> LabelingDataset:
    """Store an edited set and announce it, in one transaction; an empty change is no edit."""
    if change == LabelSetChange():
        return dataset
    await tx.datasets.save(dataset)
    tx.emit(
        LabelSetChanged(
            dataset_id=dataset.id,
            revision=dataset.label_set_revision,
            labels=dataset.labels,
            change=change,
            changed_by=by,
            changed_at=utc_now(),
        )
    )
    return dataset


async def add_label(tx: LabelingTransaction, *, dataset_id: str, label: LabelDefinition, by: str) -> LabelingDataset:
    dataset, change = (await _dataset(tx, dataset_id)).label_added(label)
    return await _save_edit(tx, dataset, change, by=by)


async def change_label(
    run: TransactionRunner[LabelingTransaction],
    *,
    dataset_id: str,
    name: str,
    new_name: str | None,
    color: str | None,
    by: str,
) -> tuple[LabelingDataset, int]:
    """Rename and/or recolour; returns the dataset and how many samples' shapes were renamed."""

    async def change_set(tx: LabelingTransaction) -> LabelingDataset:
        dataset, change = (await _dataset(tx, dataset_id)).label_changed(name, new_name=new_name, color=color)
        return await _save_edit(tx, dataset, change, by=by)

    dataset = await run(change_set)
    changed = 0
    if new_name is not None and new_name != name:
        changed = await _rewrite(run, dataset_id=dataset_id, label=name, new_name=new_name, by=by)
    return dataset, changed


async def delete_label(
    run: TransactionRunner[LabelingTransaction], *, dataset_id: str, name: str, by: str
) -> tuple[LabelingDataset, int]:
    """The label leaves the label set and every shape of it is deleted; returns how many samples changed."""

    async def change_set(tx: LabelingTransaction) -> LabelingDataset:
        dataset, change = (await _dataset(tx, dataset_id)).label_removed(name)
        return await _save_edit(tx, dataset, change, by=by)

    dataset = await run(change_set)
    return dataset, await _rewrite(run, dataset_id=dataset_id, label=name, new_name=None, by=by)


async def _rewrite(
    run: TransactionRunner[LabelingTransaction], *, dataset_id: str, label: str, new_name: str | None, by: str
) -> int:
    async def batch(tx: LabelingTransaction) -> int:
        found = await tx.annotations.with_label(dataset_id, label, limit=BATCH)
        for before in found:
            if new_name is None:
                after, change = before.without(lambda s: s.label == label, by=before.labeled_by)
                operation = f"label {label!r} deleted"
            else:
                after, change = before.relabeled(label, new_name)
                operation = f"label {label!r} renamed to {new_name!r}"
            await record_change(tx, before=before, after=after, change=change, operation=operation, by=by)
        return len(found)

    total = 0
    while done := await run(batch):
        total += done
    return total
