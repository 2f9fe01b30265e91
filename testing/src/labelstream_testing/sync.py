"""Test support for sync-svc: the use cases wired to the in-memory fakes (no IO)."""

from __future__ import annotations

from labelstream_shared.events import EventPayload
from sync_svc.app import runs
from sync_svc.app.handlers import subscriptions
from sync_svc.app.sync_run import SyncReads, execute_sync_run

from labelstream_testing.events import dataset_created
from labelstream_testing.sync_fakes import (
    FakeObjectStore,
    InMemoryImportTasks,
    InMemoryKnownObjects,
    InMemorySyncDatasets,
    InMemorySyncRuns,
    InMemorySyncTransaction,
    in_memory_runner,
)
from labelstream_testing.uow import InMemoryState

BUCKET = "raw-data"


class Harness:
    def __init__(self) -> None:
        self.run = in_memory_runner()
        state: InMemoryState = self.run.state
        self.reads = SyncReads(
            objects=InMemoryKnownObjects(state),
            runs=InMemorySyncRuns(state),
            imports=InMemoryImportTasks(state),
            datasets=InMemorySyncDatasets(state),
        )
        self.store = FakeObjectStore()

    async def register(self, dataset_id: str = "d1") -> None:
        event = dataset_created(dataset_id)

        register = subscriptions(self.store)[0]

        async def work(tx: InMemorySyncTransaction) -> None:
            await register.handle(tx, event, None)  # type: ignore[arg-type]

        await self.run(work)

    async def sync(self, dataset_id: str = "d1") -> dict[str, int]:
        queued = await runs.start_sync_run(self.run, dataset_id=dataset_id)
        await execute_sync_run(queued.id, run=self.run, reads=self.reads, store=self.store)
        done = await self.reads.runs.get(queued.id)
        assert done is not None
        assert done.status == "succeeded", done.error
        return done.counts.model_dump()

    def events(self, kind: type[EventPayload]) -> list[EventPayload]:
        payloads = [e.envelope.payload() for e in self.run.state.outbox]
        return [p for p in payloads if isinstance(p, kind)]
