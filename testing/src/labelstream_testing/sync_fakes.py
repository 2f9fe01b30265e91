"""In-memory fakes of sync-svc's adapters (same interfaces as adapters/mongo.py and adapters/s3.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

from labelstream_shared.clock import utc_now
from labelstream_shared.errors import ConflictError
from pydantic import BaseModel
from sync_svc.app.ports import SyncTransaction
from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.imports import MAX_ITEM_ERRORS, ImportCounts, ImportTask, ItemError
from sync_svc.domain.objects import KnownObject, ListedObject
from sync_svc.domain.runs import MAX_SKIPPED_EXAMPLES, RunCounts, SkippedObject, SyncRun

from labelstream_testing.jobs import InMemoryJobQueue
from labelstream_testing.uow import InMemoryState, InMemoryTransaction, InMemoryTransactionRunner

J = TypeVar("J", bound=BaseModel)


class FakeObjectStore:
    """A bucket: key -> (content, etag)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.watched: set[str] = set()

    def put(self, bucket: str, key: str, content: bytes = b"\x89PNG\r\n\x1a\n") -> None:
        self.objects[(bucket, key)] = content
        self.versions[(bucket, key)] = self.versions.get((bucket, key), 0) + 1

    def delete(self, bucket: str, key: str) -> None:
        del self.objects[(bucket, key)]

    async def list_objects(self, bucket: str, prefix: str) -> AsyncIterator[ListedObject]:
        for b, key in sorted(k for k in self.objects if k[0] == bucket and k[1].startswith(prefix)):
            content = self.objects[(b, key)]
            yield ListedObject(key=key, size=len(content), etag=f"v{self.versions[(b, key)]}")

    async def read_head(self, bucket: str, key: str, length: int) -> bytes:
        return self.objects[(bucket, key)][:length]

    async def stat(self, bucket: str, key: str) -> ListedObject | None:
        content = self.objects.get((bucket, key))
        if content is None:
            return None
        return ListedObject(key=key, size=len(content), etag=f"v{self.versions[(bucket, key)]}")

    async def put_object(self, bucket: str, key: str, content: BinaryIO, *, size: int) -> ListedObject:
        self.put(bucket, key, content.read(size))
        listed = await self.stat(bucket, key)
        assert listed is not None
        return listed

    async def copy(self, *, source_bucket: str, source_key: str, bucket: str, key: str) -> ListedObject:
        self.put(bucket, key, self.objects[(source_bucket, source_key)])
        listed = await self.stat(bucket, key)
        assert listed is not None
        return listed

    async def download(self, bucket: str, key: str, path: Path) -> None:
        await asyncio.to_thread(path.write_bytes, self.objects[(bucket, key)])

    async def read_lines(self, bucket: str, key: str) -> AsyncIterator[str]:
        for line in self.objects[(bucket, key)].decode().splitlines():
            yield line

    async def delete_objects(self, bucket: str, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop((bucket, key), None)

    async def watch(self, bucket: str) -> None:
        self.watched.add(bucket)


class InMemoryKnownObjects:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("objects")

    async def in_key_order(self, dataset_id: str, *, bucket: str, prefix: str) -> AsyncIterator[KnownObject]:
        rows = sorted(
            (
                r
                for r in self._rows.values()
                if r["dataset_id"] == dataset_id and r["bucket"] == bucket and r["key"].startswith(prefix)
            ),
            key=lambda r: r["key"],
        )
        for row in rows:
            yield KnownObject.model_validate(row)

    async def existing_ids(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self._rows}

    async def get_many(self, ids: Sequence[str]) -> dict[str, KnownObject]:
        return {i: KnownObject.model_validate(self._rows[i]) for i in ids if i in self._rows}

    async def get_by_keys(self, dataset_id: str, keys: Sequence[str]) -> dict[str, KnownObject]:
        wanted = set(keys)
        rows = (r for r in self._rows.values() if r["dataset_id"] == dataset_id and r["key"] in wanted)
        return {r["key"]: KnownObject.model_validate(r) for r in rows}

    async def forget(self, ids: Sequence[str]) -> None:
        for i in ids:
            self._rows.pop(i, None)

    async def add_many(self, objects: Sequence[KnownObject]) -> None:
        if any(o.id in self._rows for o in objects):
            raise ConflictError("objects were registered concurrently")
        self._rows.update({o.id: o.model_dump() for o in objects})

    async def replace_many(self, objects: Sequence[KnownObject]) -> None:
        self._rows.update({o.id: o.model_dump() for o in objects})

    async def mark_missing(self, ids: Sequence[str]) -> None:
        for i in ids:
            self._rows[i] = {**self._rows[i], "missing": True}

    async def dataset_ids(self) -> list[str]:
        return sorted({r["dataset_id"] for r in self._rows.values()})

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        ids = [k for k, r in self._rows.items() if r["dataset_id"] == dataset_id][:limit]
        for key in ids:
            del self._rows[key]
        return len(ids)


class InMemoryJobs(InMemoryJobQueue, Generic[J]):
    model: type[J]
    name: str
    active = ("queued", "running")
    claimed_status = "running"
    started_field = "started_at"

    def claim_key(self, job_id: Any, row: dict[str, Any]) -> Any:
        return job_id  # oldest first: ids grow with time, as MongoJobs' `_id` order

    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection(self.name)

    async def add(self, job: J) -> None:
        self._rows[job.model_dump()["id"]] = job.model_dump()

    async def get(self, job_id: str) -> J | None:
        row = self._rows.get(job_id)
        return self.model.model_validate(row) if row else None

    async def list_for(self, dataset_id: str, *, limit: int, before: str | None) -> list[J]:
        ids = sorted((i for i, r in self._rows.items() if r["dataset_id"] == dataset_id), reverse=True)
        return [self.model.model_validate(self._rows[i]) for i in ids if before is None or i < before][:limit]

    async def finish(self, job_id: str, *, error: str | None) -> None:
        status = "failed" if error else "succeeded"
        self._rows[job_id] = {**self._rows[job_id], "status": status, "error": error, "finished_at": utc_now()}


class InMemorySyncRuns(InMemoryJobs[SyncRun]):
    model, name = SyncRun, "runs"

    async def record_progress(self, run_id: str, *, counts: RunCounts, skipped: Sequence[SkippedObject]) -> None:
        run = SyncRun.model_validate(self._rows[run_id])
        examples = (*run.skipped_examples, *skipped)[:MAX_SKIPPED_EXAMPLES]
        updated = run.model_copy(update={"counts": run.counts.plus(counts), "skipped_examples": examples})
        self._rows[run_id] = updated.model_dump()


class InMemoryImportTasks(InMemoryJobs[ImportTask]):
    model, name = ImportTask, "imports"

    async def record_progress(self, task_id: str, *, counts: ImportCounts, errors: Sequence[ItemError]) -> None:
        task = ImportTask.model_validate(self._rows[task_id])
        total = {k: getattr(task.counts, k) + getattr(counts, k) for k in ImportCounts.model_fields}
        kept = (*task.errors, *errors)[:MAX_ITEM_ERRORS]
        self._rows[task_id] = task.model_copy(update={"counts": ImportCounts(**total), "errors": kept}).model_dump()


class InMemorySyncDatasets:
    def __init__(self, state: InMemoryState) -> None:
        self._rows = state.collection("datasets")

    async def save(self, dataset: SyncDataset) -> None:
        self._rows[dataset.id] = dataset.model_dump()

    async def get(self, dataset_id: str) -> SyncDataset | None:
        row = self._rows.get(dataset_id)
        return SyncDataset.model_validate(row) if row else None

    async def existing_ids(self, dataset_ids: Sequence[str]) -> set[str]:
        return {d for d in dataset_ids if d in self._rows}

    async def in_bucket(self, bucket: str) -> list[SyncDataset]:
        datasets = [SyncDataset.model_validate(row) for row in self._rows.values()]
        return [d for d in datasets if d.input_path.bucket == bucket]

    async def delete(self, dataset_id: str) -> None:
        self._rows.pop(dataset_id, None)


class InMemorySyncTransaction(InMemoryTransaction, SyncTransaction):
    def __init__(self, *, source: str, state: InMemoryState) -> None:
        super().__init__(source=source, state=state)
        self.objects = InMemoryKnownObjects(state)
        self.runs = InMemorySyncRuns(state)
        self.imports = InMemoryImportTasks(state)
        self.datasets = InMemorySyncDatasets(state)


def in_memory_runner(state: InMemoryState | None = None) -> InMemoryTransactionRunner[InMemorySyncTransaction]:
    return InMemoryTransactionRunner(lambda s: InMemorySyncTransaction(source="/labelstream/sync-svc", state=s), state)
