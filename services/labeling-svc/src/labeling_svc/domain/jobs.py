"""Labeling jobs: a named piece of labeling work on a dataset, of one labeling type. Pure: no IO.

A job covers the samples of its dataset: new samples join every job of their dataset as their DataAdded event is
consumed (automatic pick-up). "Synchronize new data" catches up on demand: it reports the samples that arrived
since the job's last synchronization and moves the job's mark."""

from __future__ import annotations

from datetime import datetime

from labelstream_shared.clock import time_ordered_id
from labelstream_shared.events.contracts import LabelingType
from pydantic import BaseModel, ConfigDict, Field

from labeling_svc.domain.samples import SampleCounts


class LabelingJob(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    name: str = Field(min_length=1, max_length=200)
    labeling_type: LabelingType
    created_at: datetime
    synced_at: datetime

    @classmethod
    def new(cls, *, dataset_id: str, name: str, labeling_type: LabelingType, at: datetime) -> LabelingJob:
        return cls(
            id=time_ordered_id(at),
            dataset_id=dataset_id,
            name=name,
            labeling_type=labeling_type,
            created_at=at,
            synced_at=at,
        )

    def synchronized(self, at: datetime) -> LabelingJob:
        return self.model_copy(update={"synced_at": at})


class LabelCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    color: str
    samples: int  # samples with at least one shape of the label


class JobDetails(BaseModel):
    model_config = ConfigDict(frozen=True)

    job: LabelingJob
    counts: SampleCounts
    labels: tuple[LabelCount, ...]
