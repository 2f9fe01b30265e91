"""A deleted dataset's known objects are forgotten in the background, a batch per transaction; the consumer only
forgets the dataset. Other datasets keep theirs."""

from __future__ import annotations

from labelstream_shared.clock import utc_now
from labelstream_shared.events import DatasetDeleted
from labelstream_testing.sync import BUCKET, Harness
from sync_svc.app.handlers import subscriptions
from sync_svc.app.ports import SyncTransaction
from sync_svc.app.purge import purge_once


async def test_a_deleted_datasets_objects_are_forgotten_in_batches() -> None:
    h = Harness()
    await h.register("d1")
    await h.register("d2")
    for i in range(7):
        h.store.put(BUCKET, f"d1/img-{i}.png")
    await h.sync("d1")
    await h.sync("d2")
    known = await h.reads.objects.dataset_ids()
    assert known == ["d1"]  # d2's input path is empty
    h.store.put(BUCKET, "d2/img.png")
    await h.sync("d2")
    forget = next(s for s in subscriptions(h.store) if s.payload_type is DatasetDeleted)
    event = DatasetDeleted(dataset_id="d1", deleted_at=utc_now())

    async def deliver(tx: SyncTransaction) -> None:
        await forget.handle(tx, event, None)  # type: ignore[arg-type]

    await h.run(deliver)
    assert await h.reads.objects.dataset_ids() == ["d1", "d2"]  # the handler only forgot the dataset
    assert await purge_once(h.run, batch=3) == 7
    assert await h.reads.objects.dataset_ids() == ["d2"]
    assert await purge_once(h.run, batch=3) == 0
