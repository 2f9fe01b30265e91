"""Commands of dataset-svc: one function each, run in one transaction with the events they emit."""

from __future__ import annotations

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import ConflictError, InvalidInputError, NotFoundError
from labelstream_shared.events.contracts import (
    BucketPath,
    DatasetCreated,
    DatasetDeleted,
    DatasetUpdated,
    LabelDefinition,
    LabelingType,
)
from labelstream_shared.jobs import Claim
from labelstream_shared.uow import TransactionRunner
from pydantic import BaseModel, ConfigDict

from dataset_svc.app.ports import BucketDirectory, DatasetPurgeRepository, DatasetRepository, DatasetTransaction
from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.samples import SampleCounts

PURGE_BATCH = 1000  # samples (and labels, version records, ...) removed per transaction after a dataset is deleted


class CreateDataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: tuple[LabelDefinition, ...] = ()


class UpdateDataset(BaseModel):
    """New values for the editable fields; None keeps a field as it is."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    description: str | None = None
    labels: tuple[LabelDefinition, ...] | None = None


async def create_dataset(
    command: CreateDataset, *, run: TransactionRunner[DatasetTransaction], buckets: BucketDirectory
) -> Dataset:
    dataset = Dataset.create(
        name=command.name,
        description=command.description,
        labeling_type=command.labeling_type,
        input_path=command.input_path,
        output_path=command.output_path,
        labels=command.labels,
    )
    for field, path in (("input_path", dataset.input_path), ("output_path", dataset.output_path)):
        if not await buckets.exists(path.bucket):
            raise InvalidInputError(f"{field}.bucket: bucket {path.bucket!r} does not exist")

    async def work(tx: DatasetTransaction) -> Dataset:
        await _check_name_free(tx.datasets, dataset)
        await tx.datasets.add(dataset)
        # Counters exist from the start: deleting the dataset then always writes them, so a concurrent
        # DataAdded (which writes them too) conflicts with the deletion instead of leaving samples behind.
        await tx.sample_counts.add(dataset.id, SampleCounts())
        tx.emit(
            DatasetCreated(
                dataset_id=dataset.id,
                name=dataset.name,
                description=dataset.description,
                labeling_type=dataset.labeling_type,
                input_path=dataset.input_path,
                output_path=dataset.output_path,
                labels=dataset.labels,
                created_at=dataset.created_at,
            )
        )
        return dataset

    return await run(work)


async def update_dataset(
    dataset_id: str, command: UpdateDataset, *, run: TransactionRunner[DatasetTransaction]
) -> Dataset:
    async def work(tx: DatasetTransaction) -> Dataset:
        dataset = await get_dataset(tx.datasets, dataset_id)
        edited = dataset.edited(name=command.name, description=command.description, labels=command.labels)
        if edited == dataset:
            return dataset
        await _check_name_free(tx.datasets, edited)
        await tx.datasets.replace(edited)
        tx.emit(
            DatasetUpdated(
                dataset_id=edited.id,
                name=edited.name,
                description=edited.description,
                labels=edited.labels,
                updated_at=edited.updated_at or utc_now(),
            )
        )
        return edited

    return await run(work)


async def delete_dataset(dataset_id: str, *, run: TransactionRunner[DatasetTransaction]) -> None:
    """Remove the dataset: from this transaction on its samples are unreachable (every read and every event
    handler looks the dataset up first); the purge queued with it (`execute_purge`) then removes them in small
    transactions, after a restart too. Objects in the buckets are never touched."""

    async def work(tx: DatasetTransaction) -> None:
        await get_dataset(tx.datasets, dataset_id)
        await tx.datasets.remove(dataset_id)
        await tx.sample_counts.remove(dataset_id)
        await tx.purges.add(dataset_id)
        tx.emit(DatasetDeleted(dataset_id=dataset_id, deleted_at=utc_now()))

    await run(work)


async def purge_samples(
    dataset_id: str, *, run: TransactionRunner[DatasetTransaction], batch: int = PURGE_BATCH
) -> int:
    """Remove the samples of a deleted dataset and what hangs on them (labels, deletions, versions and the
    objects they used, exports; the files of versions and exports stay in the bucket), `batch` of each per
    transaction (one transaction for a million samples outgrows MongoDB's transaction limits). Does nothing while
    the dataset exists. Returns how many samples it removed."""

    async def one_batch(tx: DatasetTransaction) -> tuple[int, int]:
        if await tx.datasets.get(dataset_id) is not None:
            return 0, 0
        # Versions first: a publication still running for this dataset then loses its claim and stops.
        others = await tx.versions.remove_some(dataset_id, limit=batch)
        samples = await tx.samples.remove_some(dataset_id, limit=batch)
        others += await tx.sample_labels.remove_some(dataset_id, limit=batch)
        others += await tx.version_objects.remove_some_of_dataset(dataset_id, limit=batch)
        others += await tx.deletions.remove_some(dataset_id, limit=batch)
        others += await tx.exports.remove_some(dataset_id, limit=batch)
        if not samples and not others:
            await tx.version_heads.remove(dataset_id)
        return samples, others

    total = 0
    while True:
        samples, others = await run(one_batch)
        total += samples
        if not samples and not others:
            return total


async def execute_purge(
    claim: Claim, *, run: TransactionRunner[DatasetTransaction], purges: DatasetPurgeRepository
) -> int:
    """The purge job of a deleted dataset (its id is the dataset id): remove what is left, then the job."""
    removed = await purge_samples(claim.job_id, run=run)
    await purges.finish(claim.job_id)
    return removed


async def get_dataset(datasets: DatasetRepository, dataset_id: str) -> Dataset:
    dataset = await datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} not found")
    return dataset


async def _check_name_free(datasets: DatasetRepository, dataset: Dataset) -> None:
    holder = await datasets.get_by_name(dataset.name)
    if holder is not None and holder.id != dataset.id:
        raise ConflictError(f"name: a dataset named {dataset.name!r} already exists")
