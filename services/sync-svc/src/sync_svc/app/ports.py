"""What sync-svc's use cases need: the bucket, and its own records (known objects, runs, datasets)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from labelstream_shared.jobs import JobQueue
from labelstream_shared.uow import Transaction

from sync_svc.domain.datasets import SyncDataset
from sync_svc.domain.imports import ImportCounts, ImportTask, ItemError
from sync_svc.domain.objects import KnownObject, ListedObject
from sync_svc.domain.runs import RunCounts, SkippedObject, SyncRun


class ObjectStore(Protocol):
    def list_objects(self, bucket: str, prefix: str) -> AsyncIterator[ListedObject]:
        """Every object under the prefix, in key order, streamed page by page."""
        ...

    async def read_head(self, bucket: str, key: str, length: int) -> bytes:
        """The first `length` bytes of an object."""
        ...

    async def stat(self, bucket: str, key: str) -> ListedObject | None:
        """The object's size and etag; None when it does not exist."""
        ...

    async def put_object(self, bucket: str, key: str, content: BinaryIO, *, size: int) -> ListedObject:
        """Store `size` bytes read from `content` (a blocking file object); returns the new object."""
        ...

    async def copy(self, *, source_bucket: str, source_key: str, bucket: str, key: str) -> ListedObject:
        """Server-side copy; returns the new object."""
        ...

    async def download(self, bucket: str, key: str, path: Path) -> None:
        """Write the object into the local file `path` (streamed)."""

    def read_lines(self, bucket: str, key: str) -> AsyncIterator[str]:
        """A text object's lines, streamed."""
        ...

    async def delete_objects(self, bucket: str, keys: Sequence[str]) -> None:
        """Delete the objects (a missing one is not an error); raises when the store refuses."""
        ...

    async def watch(self, bucket: str) -> None:
        """Make the bucket publish put/delete notifications to Kafka (idempotent)."""
        ...


class KnownObjects(Protocol):
    def in_key_order(self, dataset_id: str, *, bucket: str, prefix: str) -> AsyncIterator[KnownObject]:
        """A dataset's known objects under bucket/prefix in key order, streamed (outside any transaction).
        Objects imported by reference from elsewhere are not under the input path, so a sync leaves them be."""
        ...

    async def existing_ids(self, ids: Sequence[str]) -> set[str]: ...

    async def get_many(self, ids: Sequence[str]) -> dict[str, KnownObject]:
        """The stored state of these objects, by id (read inside the transaction)."""
        ...

    async def get_by_keys(self, dataset_id: str, keys: Sequence[str]) -> dict[str, KnownObject]:
        """The known objects among `keys`, by key."""
        ...

    async def forget(self, ids: Sequence[str]) -> None: ...

    async def add_many(self, objects: Sequence[KnownObject]) -> None: ...

    async def replace_many(self, objects: Sequence[KnownObject]) -> None: ...

    async def mark_missing(self, ids: Sequence[str]) -> None: ...

    async def dataset_ids(self) -> list[str]:
        """The datasets that have known objects."""
        ...

    async def remove_some(self, dataset_id: str, *, limit: int) -> int:
        """Forget up to `limit` of the dataset's objects; returns how many."""
        ...


class ImportTasks(JobQueue, Protocol):
    async def add(self, task: ImportTask) -> None: ...

    async def get(self, task_id: str) -> ImportTask | None: ...

    async def list_for(self, dataset_id: str, *, limit: int, before: str | None) -> list[ImportTask]: ...

    async def record_progress(self, task_id: str, *, counts: ImportCounts, errors: Sequence[ItemError]) -> None: ...

    async def finish(self, task_id: str, *, error: str | None) -> None: ...


class SyncRuns(JobQueue, Protocol):
    async def add(self, run: SyncRun) -> None: ...

    async def get(self, run_id: str) -> SyncRun | None: ...

    async def list_for(self, dataset_id: str, *, limit: int, before: str | None) -> list[SyncRun]:
        """Newest first, starting before the cursor `before`."""
        ...

    async def record_progress(self, run_id: str, *, counts: RunCounts, skipped: Sequence[SkippedObject]) -> None: ...

    async def finish(self, run_id: str, *, error: str | None) -> None: ...


class SyncDatasets(Protocol):
    async def save(self, dataset: SyncDataset) -> None: ...

    async def get(self, dataset_id: str) -> SyncDataset | None: ...

    async def existing_ids(self, dataset_ids: Sequence[str]) -> set[str]:
        """Which of these datasets sync-svc knows (one query)."""
        ...

    async def in_bucket(self, bucket: str) -> list[SyncDataset]:
        """The datasets whose input path is in this bucket."""
        ...

    async def delete(self, dataset_id: str) -> None: ...


class SyncTransaction(Transaction):
    objects: KnownObjects
    runs: SyncRuns
    imports: ImportTasks
    datasets: SyncDatasets
