"""What media-svc's use cases need: its records (which are also its job queue), frame indexes, object storage
and the decoder (worker processes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Protocol

from labelstream_shared.jobs import JobQueue
from labelstream_shared.uow import Transaction

from media_svc.domain.frames import FrameIndex, FrameTarget
from media_svc.domain.processed import Processed
from media_svc.domain.records import MediaRecord


class MediaRecords(JobQueue, Protocol):
    """One record per sample; a queued record is a media job (claimed: status running, with an owner)."""

    async def get(self, sample_id: str) -> MediaRecord | None: ...

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, MediaRecord]: ...

    async def queue(self, records: Sequence[MediaRecord]) -> None:
        """Insert or replace the records as queued jobs (a running job of an older version loses its claim)."""
        ...

    async def save(self, record: MediaRecord) -> None:
        """Store a finished (or requeued) record; it no longer has an owner."""
        ...

    async def release(self, dataset_id: str) -> None:
        """Queue the dataset's held records (its DatasetCreated came after their DataAdded)."""
        ...

    async def delete(self, sample_ids: Iterable[str]) -> None: ...

    async def delete_dataset(self, dataset_id: str) -> None: ...


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


class FrameIndexes(Protocol):
    async def get(self, sample_id: str, *, etag: str) -> FrameIndex | None: ...

    async def save(self, sample_id: str, *, etag: str, index: FrameIndex) -> None: ...

    async def delete(self, sample_ids: Iterable[str]) -> None: ...


class MediaTransaction(Transaction):
    datasets: MediaDatasets
    records: MediaRecords
    frame_indexes: FrameIndexes
    transcodes: Transcodes


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


class Decoder(Protocol):
    """The CPU work, off the event loop and bounded (worker processes)."""

    async def process(self, path: str, *, kind: str) -> Processed: ...

    async def frame(self, path: str, target: FrameTarget, *, rotation: int) -> bytes: ...

    async def extract(self, path: str, targets: list[FrameTarget], *, rotation: int, out_path: str) -> int: ...

    async def transcode(self, path: str, out_path: str, *, rotation: int) -> None: ...
