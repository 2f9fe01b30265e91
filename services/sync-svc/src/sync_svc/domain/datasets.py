"""Datasets as sync-svc sees them: where their input objects are (learnt from DatasetCreated)."""

from __future__ import annotations

from labelstream_shared.events.contracts import BucketPath, LabelingType
from pydantic import BaseModel, ConfigDict


class SyncDataset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    labeling_type: LabelingType
    input_path: BucketPath

    def covers(self, bucket: str, key: str) -> bool:
        return bucket == self.input_path.bucket and key.startswith(self.input_path.prefix)
