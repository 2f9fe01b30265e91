"""Objects under a dataset's input path, and the ones sync-svc already turned into samples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from labelstream_shared.events.contracts import AddedSample, MediaKind
from labelstream_shared.samples import sample_id_for as sample_id_for  # the rule lives in shared; sync-svc applies it
from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One object as the bucket listing shows it (a plain dataclass: listings hold millions of them)."""

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None


class KnownObject(BaseModel):
    """An object sync-svc registered as a sample of a dataset."""

    model_config = ConfigDict(frozen=True)

    id: str  # the sample id
    dataset_id: str
    bucket: str
    key: str
    size: int
    etag: str
    media_kind: MediaKind
    last_modified: datetime | None = None
    missing: bool = False

    @classmethod
    def register(cls, *, dataset_id: str, bucket: str, listed: ListedObject, media_kind: MediaKind) -> KnownObject:
        return cls.model_construct(  # trusted values on a hot path: no validation pass
            id=sample_id_for(dataset_id, listed.key),
            dataset_id=dataset_id,
            bucket=bucket,
            key=listed.key,
            size=listed.size,
            etag=listed.etag,
            media_kind=media_kind,
            last_modified=listed.last_modified,
            missing=False,
        )

    def as_added(self) -> AddedSample:
        return AddedSample.model_construct(  # copied from a validated model: no second validation pass
            sample_id=self.id,
            bucket=self.bucket,
            key=self.key,
            size=self.size,
            etag=self.etag,
            media_kind=self.media_kind,
            last_modified=self.last_modified,
        )
