"""media-svc's record of a sample's source object and what processing it produced. A record is also a job:
queued when a sample is added or its source changes, claimed by one worker, done or failed. Pure: no IO."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from labelstream_shared.events.contracts import AddedSample, MediaKind, MediaMetadata, MediaPlayback, MediaProcessed
from pydantic import BaseModel, ConfigDict

from media_svc.domain import keys

# held: the dataset is not known yet (DataAdded read before DatasetCreated, or a dataset that never existed)
JobStatus = Literal["held", "queued", "running", "ready", "failed"]
TranscodeStatus = Literal["none", "queued", "running", "ready", "failed"]


class DerivedFiles(BaseModel):
    model_config = ConfigDict(frozen=True)

    bucket: str
    thumbnail_key: str | None = None
    poster_key: str | None = None
    timeline_key: str | None = None


class MediaRecord(BaseModel):
    """One sample's source (bucket, key, etag) and its processing state. `id` is the sample id."""

    model_config = ConfigDict(frozen=True)

    id: str
    dataset_id: str
    bucket: str
    key: str
    etag: str
    size: int
    kind: MediaKind
    status: JobStatus = "queued"
    queued_at: datetime
    finished_at: datetime | None = None
    attempts: int = 0
    metadata: MediaMetadata | None = None
    failure_reason: str | None = None
    derived: DerivedFiles | None = None
    playback: MediaPlayback | None = None
    transcode_status: TranscodeStatus = "none"

    @classmethod
    def queued(cls, sample: AddedSample, *, dataset_id: str, at: datetime, held: bool = False) -> MediaRecord:
        return cls(
            status="held" if held else "queued",
            id=sample.sample_id,
            dataset_id=dataset_id,
            bucket=sample.bucket,
            key=sample.key,
            etag=sample.etag,
            size=sample.size,
            kind=sample.media_kind,
            queued_at=at,
        )

    @property
    def derived_prefix(self) -> str:
        return keys.derived_prefix(dataset_id=self.dataset_id, sample_id=self.id, etag=self.etag)

    def is_same_source(self, sample: AddedSample) -> bool:
        return (self.bucket, self.key, self.etag) == (sample.bucket, sample.key, sample.etag)

    def succeeded(
        self, *, metadata: MediaMetadata, derived: DerivedFiles, playback: MediaPlayback | None, at: datetime
    ) -> MediaRecord:
        transcode: TranscodeStatus = "queued" if playback and playback.mode == "transcode" else "none"
        update = {"status": "ready", "metadata": metadata, "derived": derived, "playback": playback}
        return self.model_copy(
            update={**update, "failure_reason": None, "finished_at": at, "transcode_status": transcode}
        )

    def failed(self, reason: str, *, at: datetime) -> MediaRecord:
        update = {"status": "failed", "failure_reason": reason, "finished_at": at, "transcode_status": "none"}
        return self.model_copy(update={**update, "metadata": None, "derived": None, "playback": None})

    def transcoded(self, playback: MediaPlayback) -> MediaRecord:
        status: TranscodeStatus = "ready" if playback.status == "ready" else "failed"
        return self.model_copy(update={"playback": playback, "transcode_status": status})

    def event(self) -> MediaProcessed:
        """What dataset-svc learns: the result of this record's source version."""
        if self.status not in ("ready", "failed"):
            raise ValueError(f"record {self.id} is {self.status}: nothing to announce")
        derived = self.derived
        return MediaProcessed(
            dataset_id=self.dataset_id,
            sample_id=self.id,
            status="ready" if self.status == "ready" else "failed",
            failure_reason=self.failure_reason,
            metadata=self.metadata,
            thumbnail_key=derived.thumbnail_key if derived else None,
            poster_key=derived.poster_key if derived else None,
            timeline_key=derived.timeline_key if derived else None,
            derived_bucket=derived.bucket if derived else None,
            etag=self.etag,
            playback=self.playback,
        )
