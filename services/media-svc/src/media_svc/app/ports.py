"""What media-svc's use cases need: its records (which are also its job queue), frame indexes, purges of deleted
datasets, object storage and the decoder (worker processes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Protocol

from labelstream_shared.jobs import Claim, JobQueue
from labelstream_shared.uow import Transaction

from media_svc.domain.frames import FrameIndex, FrameTarget
from media_svc.domain.limits import MediaRejectedError
from media_svc.domain.processed import Processed
from media_svc.domain.records import MediaRecord


class MediaRecords(JobQueue, Protocol):
    """One record per sample; a queued record is a media job (claimed: status running, with an owner)."""

    async def claim_batch(self, *, owner: str, stale_after_s: float, limit: int) -> list[Claim]:
        """Claim up to `limit` jobs at once (each claim counts as an attempt). Fair: every dataset with waiting jobs
        gets an equal share of the batch, its newest jobs first, so a new object of a small dataset never waits behind
        a big dataset's backlog; jobs of a dataset being purged are not claimed."""
        ...

    async def heartbeat_many(self, job_ids: Iterable[str], *, owner: str) -> None:
        """Tell that `owner` still runs these jobs."""
        ...

    async def get(self, sample_id: str) -> MediaRecord | None: ...

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, MediaRecord]: ...

    async def queue(self, records: Sequence[MediaRecord]) -> None:
        """Insert or replace the records as queued jobs (a running job of an older version loses its claim)."""
        ...

    async def save(self, record: MediaRecord) -> None:
        """Store a finished (or requeued) record; it no longer has an owner."""
        ...

    async def save_many(self, records: Sequence[MediaRecord]) -> None:
        """`save` for many records at once."""
        ...

    async def release(self, dataset_id: str) -> None:
        """Queue the dataset's held records (its DatasetCreated came after their DataAdded)."""
        ...

    async def delete(self, sample_ids: Iterable[str]) -> None: ...

    async def ids_of_dataset(self, dataset_id: str, *, limit: int) -> list[str]:
        """Up to `limit` ids of the dataset's records (what a purge removes next)."""
        ...


class MediaDatasets(Protocol):
    """Which datasets exist. Samples of a dataset media-svc has not seen created are held, not processed (as
    dataset-svc ignores them); both handlers write the dataset's document, so the two never commit blind to each
    other (snapshot isolation)."""

    async def seen(self, dataset_id: str) -> bool:
        """Whether the dataset was created; writes its document either way."""
        ...

    async def created(self, dataset_id: str) -> None: ...

    async def deleted(self, dataset_id: str) -> None: ...


class Transcodes(JobQueue, Protocol):
    """Background transcodes to H.264/MP4, one per sample and source version (job id: the sample id)."""

    async def queue(self, sample_id: str, *, etag: str) -> None: ...

    async def etag_of(self, sample_id: str) -> str | None: ...

    async def done(self, sample_id: str) -> None: ...

    async def delete(self, sample_ids: Iterable[str]) -> None: ...


class MediaPurges(JobQueue, Protocol):
    """Purges of deleted datasets, one job per dataset (job id: the dataset id): its records, frame indexes,
    transcode jobs and derived files go in chunks, outside the consumer, resumable by another worker."""

    async def add(self, dataset_id: str) -> None: ...

    async def finish(self, dataset_id: str) -> None: ...


class FrameIndexes(Protocol):
    async def get(self, sample_id: str, *, etag: str) -> FrameIndex | None: ...

    async def save(self, sample_id: str, *, etag: str, index: FrameIndex) -> None: ...

    async def delete(self, sample_ids: Iterable[str]) -> None: ...


class MediaTransaction(Transaction):
    datasets: MediaDatasets
    records: MediaRecords
    frame_indexes: FrameIndexes
    transcodes: Transcodes
    purges: MediaPurges


class SourceMissingError(Exception):
    """The source object is not in the bucket (deleted, or never readable)."""


class MediaStore(Protocol):
    async def download(self, bucket: str, key: str, path: str, *, max_bytes: int) -> int:
        """Copy the object to a local file; returns its size. SourceMissingError when it is not there."""
        ...

    async def put(self, bucket: str, key: str, data: bytes, *, content_type: str) -> None: ...

    async def put_file(self, bucket: str, key: str, path: str, *, content_type: str) -> None: ...

    async def get(self, bucket: str, key: str) -> bytes:
        """A (small) object's bytes; SourceMissingError when it is not there."""
        ...

    async def size(self, bucket: str, key: str) -> int:
        """The object's size; SourceMissingError when it is not there."""
        ...

    def read_range(self, bucket: str, key: str, *, offset: int, length: int) -> AsyncIterator[bytes]:
        """`length` bytes from `offset`, streamed."""
        ...

    async def ensure_bucket(self, bucket: str) -> None: ...

    async def delete_some(self, bucket: str, prefix: str, *, limit: int) -> int:
        """Delete up to `limit` objects under `prefix` (one listing, one batch delete); returns how many."""
        ...


class Decoder(Protocol):
    """The CPU work, off the event loop and bounded (worker processes)."""

    async def process(self, path: str, *, kind: str) -> Processed: ...

    async def process_many(self, sources: Sequence[tuple[str, str]]) -> list[Processed | MediaRejectedError]:
        """Process several (path, kind) sources in one task: small sources cost no task each. A rejected source is
        its MediaRejectedError in the result; a crash or time-out fails the whole task (DecoderFailedError)."""
        ...

    async def frame(self, path: str, target: FrameTarget, *, rotation: int) -> bytes: ...

    async def extract(self, path: str, targets: list[FrameTarget], *, rotation: int, out_path: str) -> int: ...

    async def transcode(self, path: str, out_path: str, *, rotation: int) -> None: ...
