"""Datasets as labeling sees them: what it needs to label their samples, learnt from DatasetCreated and
DatasetUpdated, and the label set, which labeling also edits (labels added, renamed, recoloured, deleted while
labeling). Pure: no IO."""

from __future__ import annotations

from datetime import datetime

from labelstream_shared.errors import ConflictError, NotFoundError
from labelstream_shared.events.contracts import DatasetCreated, DatasetUpdated, LabelDefinition, LabelingType
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

    @property
    def label_names(self) -> frozenset[str]:
        return frozenset(label.name for label in self.labels)

    def updated(self, event: DatasetUpdated) -> LabelingDataset:
        """Name and labels edited in dataset-svc. Labels the event does not name are kept: shapes may use them,
        and labels are deleted from shapes only here (DELETE label)."""
        named = {label.name for label in event.labels}
        kept = tuple(label for label in self.labels if label.name not in named)
        return self.model_copy(update={"name": event.name, "labels": (*event.labels, *kept)})

    def label_added(self, label: LabelDefinition) -> LabelingDataset:
        if label.name in self.label_names:
            raise ConflictError(f"label {label.name!r} exists already")
        return self.model_copy(update={"labels": (*self.labels, label)})

    def label_changed(self, name: str, *, new_name: str | None, color: str | None) -> LabelingDataset:
        current = self.label(name)
        if new_name is not None and new_name != name and new_name in self.label_names:
            raise ConflictError(f"label {new_name!r} exists already")
        changed = LabelDefinition(name=new_name or name, color=color or current.color)
        return self.model_copy(update={"labels": tuple(changed if lb.name == name else lb for lb in self.labels)})

    def label_removed(self, name: str) -> LabelingDataset:
        self.label(name)
        return self.model_copy(update={"labels": tuple(lb for lb in self.labels if lb.name != name)})

    def label(self, name: str) -> LabelDefinition:
        for label in self.labels:
            if label.name == name:
                return label
        raise NotFoundError(f"label {name!r} is not in the label set of dataset {self.id!r}")
