"""Datasets as labeling sees them: what it needs to label their samples, learnt from DatasetCreated and
DatasetUpdated, and the label set, which labeling owns: it starts as the set of DatasetCreated (revision 0) and only
labeling edits it (labels added, renamed, recoloured, deleted), each edit a new revision announced by
LabelSetChanged. Pure: no IO."""

from __future__ import annotations

from datetime import datetime

from labelstream_shared.errors import ConflictError, NotFoundError
from labelstream_shared.events.contracts import (
    DatasetCreated,
    DatasetUpdated,
    LabelDefinition,
    LabelingType,
    LabelRename,
    LabelSetChange,
)
from labelstream_shared.label_sets import check_label_set, name_key
from pydantic import BaseModel, ConfigDict


class LabelingDataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    labeling_type: LabelingType
    labels: tuple[LabelDefinition, ...] = ()
    label_set_revision: int = 0
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

    def _taken(self, name: str, *, but: str | None = None) -> bool:
        return any(name_key(lb.name) == name_key(name) for lb in self.labels if lb.name != but)

    def updated(self, event: DatasetUpdated) -> LabelingDataset:
        """Renamed in dataset-svc. The event's labels are dataset-svc's projection of the set owned here: ignored (a
        stale projection must never bring back a deleted label)."""
        return self.model_copy(update={"name": event.name})

    def label_added(self, label: LabelDefinition) -> tuple[LabelingDataset, LabelSetChange]:
        if self._taken(label.name):
            raise ConflictError(f"label {label.name!r} exists already")
        return self._edited((*self.labels, label)), LabelSetChange(added=(label.name,))

    def label_changed(
        self, name: str, *, new_name: str | None, color: str | None
    ) -> tuple[LabelingDataset, LabelSetChange]:
        """Rename and/or recolour. Nothing to change is no edit: the same dataset and an empty change."""
        current = self.label(name)
        renamed = new_name is not None and new_name != name
        if new_name is not None and self._taken(new_name, but=name):
            raise ConflictError(f"label {new_name!r} exists already")
        changed = LabelDefinition(name=new_name or name, color=color or current.color)
        if changed == current:
            return self, LabelSetChange()
        change = LabelSetChange(
            renamed=(LabelRename(old=name, new=changed.name),) if renamed else (),
            recoloured=(changed.name,) if changed.color != current.color else (),
        )
        return self._edited(tuple(changed if lb.name == name else lb for lb in self.labels)), change

    def label_removed(self, name: str) -> tuple[LabelingDataset, LabelSetChange]:
        self.label(name)
        return self._edited(tuple(lb for lb in self.labels if lb.name != name)), LabelSetChange(removed=(name,))

    def _edited(self, labels: tuple[LabelDefinition, ...]) -> LabelingDataset:
        check_label_set(labels)
        return self.model_copy(update={"labels": labels, "label_set_revision": self.label_set_revision + 1})

    def label(self, name: str) -> LabelDefinition:
        for label in self.labels:
            if label.name == name:
                return label
        raise NotFoundError(f"label {name!r} is not in the label set of dataset {self.id!r}")
