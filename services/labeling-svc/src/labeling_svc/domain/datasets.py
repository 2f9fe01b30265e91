"""Datasets as labeling sees them: what it needs to label their samples, learnt from DatasetCreated."""

from __future__ import annotations

from datetime import datetime

from labelstream_shared.events.contracts import DatasetCreated, LabelDefinition, LabelingType
from pydantic import BaseModel, ConfigDict


class LabelingDataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    labeling_type: LabelingType
    labels: tuple[LabelDefinition, ...] = ()
    created_at: datetime
    registered_from_event: str

    @classmethod
    def from_event(cls, event: DatasetCreated, *, event_id: str) -> LabelingDataset:
        return cls(
            id=event.dataset_id,
            name=event.name,
            labeling_type=event.labeling_type,
            labels=event.labels,
            created_at=event.created_at,
            registered_from_event=event_id,
        )
