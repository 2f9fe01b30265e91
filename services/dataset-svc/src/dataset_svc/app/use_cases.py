"""Commands of dataset-svc: one function each, run in one transaction with the events they emit."""

from __future__ import annotations

from labelstream_shared.errors import ConflictError, NotFoundError
from labelstream_shared.events.contracts import BucketPath, DatasetCreated, LabelDefinition, LabelingType
from labelstream_shared.uow import TransactionRunner
from pydantic import BaseModel, ConfigDict

from dataset_svc.app.ports import DatasetRepository, DatasetTransaction
from dataset_svc.domain.datasets import Dataset


class CreateDataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    labeling_type: LabelingType
    input_path: BucketPath
    output_path: BucketPath
    labels: tuple[LabelDefinition, ...] = ()


async def create_dataset(run: TransactionRunner[DatasetTransaction], command: CreateDataset) -> Dataset:
    dataset = Dataset.create(
        name=command.name,
        description=command.description,
        labeling_type=command.labeling_type,
        input_path=command.input_path,
        output_path=command.output_path,
        labels=command.labels,
    )

    async def work(tx: DatasetTransaction) -> Dataset:
        if await tx.datasets.get_by_name(dataset.name) is not None:
            raise ConflictError(f"name: a dataset named {dataset.name!r} already exists")
        await tx.datasets.add(dataset)
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


async def get_dataset(datasets: DatasetRepository, dataset_id: str) -> Dataset:
    dataset = await datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} not found")
    return dataset
