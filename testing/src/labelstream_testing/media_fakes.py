"""In-memory fakes of media-svc's adapters (same interfaces as adapters/mongo.py, storage.py and decoder.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from labelstream_shared.clock import utc_now
from labelstream_shared.jobs import Claim
from media_svc.app.ports import MediaTransaction, SourceMissingError
from media_svc.domain.frames import FrameIndex
from media_svc.domain.limits import MediaRejectedError
from media_svc.domain.records import MediaRecord

from labelstream_testing.jobs import InMemoryJobQueue
from labelstream_testing.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner


class InMemoryMediaRecords(InMemoryJobQueue):
    active = ("queued", "running")
    claimed_status = "running"

    def claim_key(self, job_id: Any, row: dict[str, Any]) -> Any:
        return (-row["queued_at"].timestamp(), job_id)  # newest first, as MongoMediaRecords

    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("records")
        self._purges = state.collection("purges")

    async def claim_batch(self, *, owner: str, stale_after_s: float, limit: int) -> list[Claim]:
        now = utc_now()
        stale_before = now - timedelta(seconds=stale_after_s)
        claimable = sorted(
            (self.claim_key(job_id, row), job_id)
            for job_id, row in self._rows.items()
            if row["dataset_id"] not in self._purges
            and (
                row["status"] == "queued"
                or (row["status"] == "running" and row["heartbeat_at"] and row["heartbeat_at"] < stale_before)
            )
        )
        stale = [i for _, i in claimable if self._rows[i]["status"] == "running"][:limit]
        per_dataset: dict[str, list[str]] = {}
        for _, job_id in claimable:
            if self._rows[job_id]["status"] == "queued":
                per_dataset.setdefault(self._rows[job_id]["dataset_id"], []).append(job_id)
        datasets = sorted(per_dataset)[:limit]
        share = max(1, limit // max(1, len(datasets)))
        lists = [stale, *(per_dataset[d][:share] for d in datasets)]
        picked = [i for row in itertools.zip_longest(*lists) for i in row if i is not None][:limit]
        claims = []
        for job_id in picked:
            row = self._rows[job_id]
            row.update(owner=owner, heartbeat_at=now, attempts=row.get("attempts", 0) + 1, status="running")
            claims.append(Claim(job_id=job_id, attempts=row["attempts"]))
        return claims

    async def heartbeat_many(self, job_ids: Iterable[str], *, owner: str) -> None:
        for job_id in job_ids:
            await self.heartbeat(job_id, owner=owner)

    async def get(self, sample_id: str) -> MediaRecord | None:
        row = self._rows.get(sample_id)
        return MediaRecord.model_validate(row) if row else None

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, MediaRecord]:
        return {i: MediaRecord.model_validate(self._rows[i]) for i in sample_ids if i in self._rows}

    async def queue(self, records: Sequence[MediaRecord]) -> None:
        for record in records:
            self._rows[record.id] = {**record.model_dump(), "owner": None, "heartbeat_at": None}

    async def save(self, record: MediaRecord) -> None:
        self._rows[record.id] = {**record.model_dump(), "owner": None, "heartbeat_at": None}

    async def save_many(self, records: Sequence[MediaRecord]) -> None:
        for record in records:
            await self.save(record)

    async def release(self, dataset_id: str) -> None:
        for row in self._rows.values():
            if row["dataset_id"] == dataset_id and row["status"] == "held":
                row["status"] = "queued"

    async def delete(self, sample_ids: Iterable[str]) -> None:
        for sample_id in sample_ids:
            self._rows.pop(sample_id, None)

    async def ids_of_dataset(self, dataset_id: str, *, limit: int) -> list[str]:
        return [i for i, r in self._rows.items() if r["dataset_id"] == dataset_id][:limit]


class InMemoryMediaDatasets:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("datasets")

    async def seen(self, dataset_id: str) -> bool:
        row = self._rows.setdefault(dataset_id, {"created": False})
        return bool(row["created"])

    async def created(self, dataset_id: str) -> None:
        self._rows[dataset_id] = {"created": True}

    async def deleted(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)


class InMemoryTranscodes(InMemoryJobQueue):
    active = ("queued", "running")
    claim_order = "queued_at"
    claimed_status = "running"

    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("transcodes")

    async def queue(self, sample_id: str, *, etag: str) -> None:
        self._rows[sample_id] = {"etag": etag, "status": "queued", "queued_at": utc_now(), "owner": None}

    async def etag_of(self, sample_id: str) -> str | None:
        row = self._rows.get(sample_id)
        return str(row["etag"]) if row else None

    async def done(self, sample_id: str) -> None:
        self._rows.pop(sample_id, None)

    async def delete(self, sample_ids: Iterable[str]) -> None:
        for sample_id in sample_ids:
            self._rows.pop(sample_id, None)


class InMemoryMediaPurges(InMemoryJobQueue):
    active = ("queued",)
    claim_order = "created_at"

    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("purges")

    async def add(self, dataset_id: str) -> None:
        self._rows.setdefault(dataset_id, {"status": "queued", "created_at": utc_now(), "owner": None, "attempts": 0})

    async def finish(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)


class InMemoryFrameIndexes:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("frame_indexes")

    async def get(self, sample_id: str, *, etag: str) -> FrameIndex | None:
        row = self._rows.get(sample_id)
        return FrameIndex.model_validate(row["index"]) if row and row["etag"] == etag else None

    async def save(self, sample_id: str, *, etag: str, index: FrameIndex) -> None:
        self._rows[sample_id] = {"etag": etag, "index": index.model_dump()}

    async def delete(self, sample_ids: Iterable[str]) -> None:
        for sample_id in sample_ids:
            self._rows.pop(sample_id, None)


class InMemoryMediaTransaction(InMemoryTransaction, MediaTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.datasets = InMemoryMediaDatasets(state)
        self.records = InMemoryMediaRecords(state)
        self.frame_indexes = InMemoryFrameIndexes(state)
        self.transcodes = InMemoryTranscodes(state)
        self.purges = InMemoryMediaPurges(state)


def in_memory_runner(state: InMemoryState | None = None) -> InMemoryTransactionRunner[InMemoryMediaTransaction]:
    return InMemoryTransactionRunner(
        lambda s: InMemoryMediaTransaction(source="/labelstream/media-svc", state=s), state
    )


class FakeMediaStore:
    """Buckets in a dict: (bucket, key) -> bytes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def download(self, bucket: str, key: str, path: str, *, max_bytes: int) -> int:
        data = self._read(bucket, key)
        if len(data) > max_bytes:
            raise MediaRejectedError(f"the file has {len(data):,} bytes, more than the limit of {max_bytes:,}")
        await asyncio.to_thread(Path(path).write_bytes, data)
        return len(data)

    async def put(self, bucket: str, key: str, data: bytes, *, content_type: str) -> None:
        self.objects[(bucket, key)] = data

    async def put_file(self, bucket: str, key: str, path: str, *, content_type: str) -> None:
        self.objects[(bucket, key)] = await asyncio.to_thread(Path(path).read_bytes)

    async def get(self, bucket: str, key: str) -> bytes:
        return self._read(bucket, key)

    async def size(self, bucket: str, key: str) -> int:
        return len(self._read(bucket, key))

    async def read_range(self, bucket: str, key: str, *, offset: int, length: int) -> AsyncIterator[bytes]:
        yield self._read(bucket, key)[offset : offset + length]

    async def ensure_bucket(self, bucket: str) -> None:
        return None

    async def delete_some(self, bucket: str, prefix: str, *, limit: int) -> int:
        names = [k for b, k in self.objects if b == bucket and k.startswith(prefix)][:limit]
        for name in names:
            del self.objects[(bucket, name)]
        return len(names)

    def _read(self, bucket: str, key: str) -> bytes:
        if (bucket, key) not in self.objects:
            raise SourceMissingError(f"{bucket}/{key}")
        return self.objects[(bucket, key)]
