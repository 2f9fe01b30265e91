"""Frames of ready videos: the exact frame at a time point (cached), many frames in one pass, derived pictures and
the playable file. Source videos are read from a local copy (see adapters/sources.py)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from labelstream_shared.errors import ConflictError, InvalidInputError, NotFoundError

from media_svc.app.ports import Decoder, FrameIndexes, MediaRecords, MediaStore, SourceMissingError
from media_svc.domain.frames import FrameIndex, FrameTarget, parse_time_points
from media_svc.domain.limits import DecoderFailedError, MediaRejectedError
from media_svc.domain.records import MediaRecord

MAX_EXTRACTED = 10_000
RECORD_TTL_S = 2.0


class UndecodableError(InvalidInputError):
    """The video is ready but a frame of it could not be decoded (corrupt data past the probe, a decoder crash)."""

    code = "undecodable"


T = TypeVar("T")


class FrameCache(Protocol):
    def get(self, key: tuple[str, str, int]) -> bytes | None: ...

    def put(self, key: tuple[str, str, int], value: bytes) -> None: ...


class SourceFiles(Protocol):
    async def local_path(self, record: MediaRecord) -> str:
        """A local copy of the record's source version (downloaded once, kept while there is room)."""
        ...


@dataclass(frozen=True)
class Frames:
    records: MediaRecords
    indexes: FrameIndexes
    store: MediaStore
    decoder: Decoder
    sources: SourceFiles
    cache: FrameCache
    index_cache: dict[tuple[str, str], FrameIndex]
    record_cache: dict[str, tuple[float, MediaRecord]] = field(default_factory=dict)

    async def record(self, dataset_id: str, sample_id: str) -> MediaRecord:
        record = await self.records.get(sample_id)
        if record is None or record.dataset_id != dataset_id:
            raise NotFoundError(f"sample {sample_id} of dataset {dataset_id} is not known to media-svc")
        return record

    async def _ready_record(self, dataset_id: str, sample_id: str) -> MediaRecord:
        """The record, from a cache of ready videos for RECORD_TTL_S: a frame request that the frame cache answers
        makes no database round trip (a changed source shows up that much later)."""
        now = time.monotonic()
        cached = self.record_cache.get(sample_id)
        if cached is not None and cached[0] > now and cached[1].dataset_id == dataset_id:
            return cached[1]
        record = await self.records.get(sample_id)
        if record is not None and record.status == "ready" and record.kind == "video":
            if len(self.record_cache) >= 1024:
                self.record_cache.pop(next(iter(self.record_cache)))
            self.record_cache[sample_id] = (now + RECORD_TTL_S, record)
        if record is None or record.dataset_id != dataset_id:
            raise NotFoundError(f"sample {sample_id} of dataset {dataset_id} is not known to media-svc")
        return record

    async def ready_video(self, dataset_id: str, sample_id: str) -> tuple[MediaRecord, FrameIndex]:
        record = await self._ready_record(dataset_id, sample_id)
        if record.kind != "video":
            raise InvalidInputError(f"sample {sample_id}: frames are for videos; this sample is an image")
        if record.status != "ready":
            reason = f" ({record.failure_reason})" if record.failure_reason else ""
            raise ConflictError(f"sample {sample_id}: media is {record.status}{reason}, frames come once it is ready")
        index = await self._index(record)
        return record, index

    async def _index(self, record: MediaRecord) -> FrameIndex:
        cached = self.index_cache.get((record.id, record.etag))
        if cached is not None:
            return cached
        index = await self.indexes.get(record.id, etag=record.etag)
        if index is None:
            raise ConflictError(f"sample {record.id}: its frame index is missing; it is being processed again")
        if len(self.index_cache) >= 64:
            self.index_cache.pop(next(iter(self.index_cache)))
        self.index_cache[(record.id, record.etag)] = index
        return index

    async def frame(self, dataset_id: str, sample_id: str, *, t: float | None, n: int | None) -> tuple[bytes, int]:
        """The frame shown at `t` seconds (or frame `n`) as a JPEG, and its index."""
        record, index = await self.ready_video(dataset_id, sample_id)
        if (t is None) == (n is None):
            raise InvalidInputError("t: give a time point t (seconds) or a frame index n")
        frame = index.frame_at_time(t) if t is not None else index.check_index(n or 0)
        key = (record.id, record.etag, frame)
        if (jpeg := self.cache.get(key)) is not None:
            return jpeg, frame
        path = await self._local(record)
        rotation = (record.metadata.rotation or 0) if record.metadata else 0
        try:
            jpeg = await self.decoder.frame(path, FrameTarget.of(index, frame), rotation=rotation)
        except (MediaRejectedError, DecoderFailedError) as exc:
            raise UndecodableError(f"sample {sample_id}: frame {frame} could not be decoded ({exc})") from exc
        self.cache.put(key, jpeg)
        return jpeg, frame

    async def extract(
        self, dataset_id: str, sample_id: str, *, times: list[float] | None, indices: list[int] | None, out_path: str
    ) -> int:
        """Frames at many time points into a zip of JPEGs (named by frame index), in one pass over the video."""
        record, index = await self.ready_video(dataset_id, sample_id)
        frames = sorted(set(parse_time_points(times, indices, index)))
        if len(frames) > MAX_EXTRACTED:
            raise InvalidInputError(f"times: at most {MAX_EXTRACTED} frames per request")
        targets = [FrameTarget.of(index, f, name=f"frame_{f:07d}.jpg") for f in frames]
        rotation = (record.metadata.rotation or 0) if record.metadata else 0
        try:
            return await self.decoder.extract(await self._local(record), targets, rotation=rotation, out_path=out_path)
        except (MediaRejectedError, DecoderFailedError) as exc:
            raise UndecodableError(f"sample {sample_id}: frames could not be decoded ({exc})") from exc

    async def _local(self, record: MediaRecord) -> str:
        try:
            return await self.sources.local_path(record)
        except SourceMissingError as exc:
            raise NotFoundError(f"sample {record.id}: the source object is gone from the bucket") from exc

    async def derived(self, dataset_id: str, sample_id: str, *, which: str) -> bytes:
        """The thumbnail, poster or timeline strip."""
        record = await self.record(dataset_id, sample_id)
        derived = record.derived if record.status == "ready" else None
        key: str | None = getattr(derived, f"{which}_key", None) if derived else None
        if derived is None or key is None:
            raise NotFoundError(f"sample {sample_id} has no {which} (media is {record.status})")
        return await _or_404(lambda: self.store.get(derived.bucket, key), what=which)

    async def playable(self, dataset_id: str, sample_id: str) -> tuple[str, str, int]:
        """Where the browser-playable file of a video is: bucket, key and size."""
        record = await self.record(dataset_id, sample_id)
        playback = record.playback
        if record.kind != "video" or playback is None:
            raise NotFoundError(f"sample {sample_id} has no playable video (media is {record.status})")
        if playback.status != "ready" or not playback.bucket or not playback.key:
            raise ConflictError(f"sample {sample_id}: the playable video is {playback.status} ({playback.mode})")
        bucket, key = playback.bucket, playback.key
        size = await _or_404(lambda: self.store.size(bucket, key), what="playable video")
        return bucket, key, size


async def _or_404(read: Callable[[], Awaitable[T]], *, what: str) -> T:
    try:
        return await read()
    except SourceMissingError as exc:
        raise NotFoundError(f"{what}: not found in object storage") from exc
