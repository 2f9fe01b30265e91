"""Use cases of labeling jobs: create, details with counts, synchronize new data."""

from __future__ import annotations

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import NotFoundError
from labelstream_shared.events.contracts import LabelingType

from labeling_svc.app.ports import LabelingTransaction, SampleRepository
from labeling_svc.domain.datasets import LabelingDataset
from labeling_svc.domain.jobs import JobDetails, LabelCount, LabelingJob
from labeling_svc.domain.samples import SampleQuery


async def create_job(
    tx: LabelingTransaction, *, dataset_id: str, name: str, labeling_type: LabelingType | None
) -> LabelingJob:
    dataset = await tx.datasets.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"dataset {dataset_id!r} is not known to labeling (yet)")
    job = LabelingJob.new(
        dataset_id=dataset_id, name=name, labeling_type=labeling_type or dataset.labeling_type, at=utc_now()
    )
    await tx.jobs.save(job)
    return job


async def job_details(job: LabelingJob, dataset: LabelingDataset, samples: SampleRepository) -> JobDetails:
    """All / Unlabeled / Labeled counts and, per label of the label set, the samples having it."""
    counts = await samples.count(job.dataset_id, query=SampleQuery())
    labels: list[LabelCount] = []
    for label in dataset.labels:
        having = await samples.count_with_label(job.dataset_id, label.name)
        labels.append(LabelCount(name=label.name, color=label.color, samples=having))
    return JobDetails(job=job, counts=counts, labels=tuple(labels))


async def synchronize(tx: LabelingTransaction, *, job_id: str) -> tuple[LabelingJob, int]:
    """Catch up: how many samples arrived since the last synchronization; the job's mark moves to now."""
    job = await tx.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"labeling job {job_id!r} not found")
    new = await tx.samples.count_added_since(job.dataset_id, job.synced_at)
    synced = job.synchronized(utc_now())
    await tx.jobs.save(synced)
    return synced, new
