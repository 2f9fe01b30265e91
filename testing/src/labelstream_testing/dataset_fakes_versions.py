"""In-memory fakes of the labels, deletions and versions adapters (mongo_jobs.py, mongo_versions.py,
storage.py), for unit tests; the contract tests run one suite against both."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from dataset_svc.domain.deletion import ObjectReference, SampleDeletion, SourceObject
from dataset_svc.domain.exports import Export
from dataset_svc.domain.labels import SampleLabels
from dataset_svc.domain.versions import ObjectLocation, Version
from labelstream_shared.clock import utc_now
from pydantic import BaseModel

from labelstream_testing.jobs import InMemoryJobQueue
from labelstream_testing.uow import InMemoryState

Row = dict[str, Any]
JOB_FIELDS = ("owner", "heartbeat_at", "attempts")


class InMemoryRows:
    """A fake repository's rows: one collection of the shared state, looked up on every use. A transaction
    that fails puts back the state's collections as they were (new dict objects), and a repository used
    outside transactions (the API's reads) must see those, not the ones it found when it was made."""

    collection: str

    def __init__(self, state: InMemoryState) -> None:
        self._state = state
        self._rows: dict[Any, Row] = state.collection(self.collection)  # rolled back in place: the same dict


def _remove_some(rows: dict[Any, Row], *, limit: int, where: dict[str, str]) -> int:
    doomed = [i for i, r in rows.items() if all(r[f] == v for f, v in where.items())][:limit]
    for i in doomed:
        del rows[i]
    return len(doomed)


class InMemoryJobs(InMemoryRows, InMemoryJobQueue):
    def _save(self, model: BaseModel, *, job_id: str, status: str) -> None:
        row = self._rows.get(job_id)
        if row is None:
            return
        row.update(model.model_dump())
        if status not in self.active:
            for field in JOB_FIELDS:
                row.pop(field, None)


class InMemorySampleDeletionRepository(InMemoryJobs):
    active = ("queued", "running")

    collection = "sample_deletions"

    async def add(self, deletion: SampleDeletion) -> None:
        self._rows[deletion.id] = deletion.model_dump()

    async def save(self, deletion: SampleDeletion) -> None:
        self._save(deletion, job_id=deletion.id, status=deletion.status)

    async def get(self, deletion_id: str) -> SampleDeletion | None:
        row = self._rows.get(deletion_id)
        return SampleDeletion.model_validate(row) if row else None

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return _remove_some(self._rows, limit=limit, where={"dataset_id": dataset_id})


class InMemorySampleLabelRepository(InMemoryRows):
    collection = "sample_labels"

    async def get(self, sample_id: str) -> SampleLabels | None:
        row = self._rows.get(sample_id)
        return SampleLabels.model_validate(row) if row else None

    async def get_many(self, sample_ids: Iterable[str]) -> dict[str, SampleLabels]:
        return {i: SampleLabels.model_validate(self._rows[i]) for i in dict.fromkeys(sample_ids) if i in self._rows}

    async def save_all(self, labels: Sequence[SampleLabels]) -> None:
        for each in labels:
            self._rows[each.id] = each.model_dump()

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return _remove_some(self._rows, limit=limit, where={"dataset_id": dataset_id})


class InMemoryDatasetPurgeRepository(InMemoryJobs):
    active = ("queued",)

    collection = "dataset_purges"

    async def add(self, dataset_id: str) -> None:
        self._rows[dataset_id] = {"id": dataset_id, "status": "queued", "created_at": utc_now()}

    async def finish(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)


class InMemoryVersionRepository(InMemoryJobs):
    active = ("publishing", "deleting")

    collection = "versions"

    def _of(self, dataset_id: str) -> list[Version]:
        return [Version.model_validate(r) for r in self._rows.values() if r["dataset_id"] == dataset_id]

    async def add(self, version: Version) -> None:
        self._rows[version.id] = version.model_dump()

    async def save(self, version: Version) -> None:
        self._save(version, job_id=version.id, status=version.status)

    async def get(self, version_id: str) -> Version | None:
        row = self._rows.get(version_id)
        return Version.model_validate(row) if row else None

    async def latest_published(self, dataset_id: str) -> Version | None:
        published = [v for v in self._of(dataset_id) if v.status == "published"]
        return max(published, key=lambda v: v.number) if published else None

    async def visible(self, version_ids: Iterable[str]) -> set[str]:
        return {i for i in version_ids if (row := self._rows.get(i)) and row["status"] != "deleting"}

    async def remove(self, version_id: str) -> None:
        self._rows.pop(version_id, None)

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return _remove_some(self._rows, limit=limit, where={"dataset_id": dataset_id})

    async def list(self, dataset_id: str, *, limit: int, before: int | None = None) -> list[Version]:
        found = [v for v in self._of(dataset_id) if v.status != "deleting" and (before is None or v.number < before)]
        return sorted(found, key=lambda v: v.number, reverse=True)[:limit]


class InMemoryVersionHeadRepository(InMemoryRows):
    collection = "version_heads"

    async def next_number(self, dataset_id: str) -> int:
        row = self._rows.setdefault(dataset_id, {"last_number": 0, "current": None})
        row["last_number"] += 1
        return int(row["last_number"])

    async def current(self, dataset_id: str) -> str | None:
        row = self._rows.get(dataset_id)
        return row["current"] if row else None

    async def set_current(self, dataset_id: str, version_id: str | None) -> None:
        self._rows.setdefault(dataset_id, {"last_number": 0, "current": None})["current"] = version_id

    async def remove(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)


class InMemoryVersionObjectRepository(InMemoryRows):
    collection = "version_objects"

    async def add(self, *, dataset_id: str, version_id: str, objects: Sequence[SourceObject]) -> None:
        for o in objects:
            row = {"dataset_id": dataset_id, "version_id": version_id, "bucket": o.bucket, "key": o.key}
            self._rows[uuid.uuid4().hex] = row

    async def users_of(self, objects: Sequence[SourceObject]) -> list[ObjectReference]:
        wanted = set(objects)
        found = [(r["version_id"], SourceObject(r["bucket"], r["key"])) for r in self._rows.values()]
        return [ObjectReference(v, o) for v, o in found if o in wanted]

    async def remove_some(self, *, dataset_id: str, version_id: str, limit: int) -> int:
        return _remove_some(self._rows, limit=limit, where={"dataset_id": dataset_id, "version_id": version_id})

    async def remove_some_of_dataset(self, dataset_id: str, *, limit: int) -> int:
        return _remove_some(self._rows, limit=limit, where={"dataset_id": dataset_id})


class InMemoryVersionFiles:
    """Objects in memory; `fail_after_chunks` makes a streamed write break off (storage going away)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.fail_after_chunks: int | None = None

    async def write(self, *, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = data

    async def write_stream(self, *, bucket: str, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        parts: list[bytes] = []
        async for chunk in chunks:
            if self.fail_after_chunks is not None and len(parts) >= self.fail_after_chunks:
                raise OSError("object storage went away")
            parts.append(chunk)
        self.objects[(bucket, key)] = b"".join(parts)
        return sum(len(p) for p in parts)

    async def remove(self, *, bucket: str, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop((bucket, key), None)


class InMemoryExportStorage:
    """Objects in memory as an export uses them (share `objects` with InMemoryVersionFiles to read its manifests)."""

    def __init__(self, objects: dict[tuple[str, str], bytes] | None = None) -> None:
        self.objects = objects if objects is not None else {}

    def lines(self, location: ObjectLocation) -> Iterator[bytes]:
        yield from (line for line in self.objects[(location.bucket, location.key)].split(b"\n") if line.strip())

    def read(self, bucket: str, key: str) -> Iterator[bytes]:
        yield self.objects[(bucket, key)]

    def write(self, location: ObjectLocation, chunks: Iterator[bytes], *, content_type: str) -> int:
        data = b"".join(chunks)
        self.objects[(location.bucket, location.key)] = data
        return len(data)


class InMemoryExportRepository(InMemoryJobs):
    active = ("queued", "running")
    claimed_status = "running"

    collection = "exports"

    async def add(self, export: Export) -> None:
        self._rows[export.id] = export.model_dump()

    async def save(self, export: Export) -> None:
        self._save(export, job_id=export.id, status=export.status)

    async def get(self, export_id: str) -> Export | None:
        row = self._rows.get(export_id)
        return Export.model_validate(row) if row else None

    async def list(
        self, dataset_id: str, *, version_id: str | None, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[Export]:
        found = [
            Export.model_validate(r)
            for r in self._rows.values()
            if r["dataset_id"] == dataset_id and version_id in (None, r["version_id"])
        ]
        found.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return [e for e in found if before is None or (e.created_at, e.id) < before][:limit]

    async def remove(self, export_ids: Sequence[str]) -> None:
        for export_id in export_ids:
            self._rows.pop(export_id, None)

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        return _remove_some(self._rows, limit=limit, where={"dataset_id": dataset_id})
