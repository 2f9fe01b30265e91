from __future__ import annotations

from labelstream_shared.events import DatasetProjected, SampleDeleted, SourceDeleted
from labelstream_shared.events.contracts import ObjectRef
from labelstream_testing.events import dataset_created
from labelstream_testing.sync_fakes import (
    FakeObjectStore,
    InMemoryKnownObjects,
    InMemorySyncTransaction,
    in_memory_runner,
)
from sync_svc.app.deletion import delete_samples
from sync_svc.app.handlers import subscriptions
from sync_svc.domain.objects import KnownObject, ListedObject


async def test_only_the_requested_objects_are_deleted_and_sharing_datasets_are_told() -> None:
    store = FakeObjectStore()
    for key in ("shared/a.png", "shared/b.png", "shared/c.png"):
        store.put("raw-data", key)
    run = in_memory_runner()
    register = subscriptions(store)[0]
    for dataset_id in ("d1", "d2"):  # two datasets on the same prefix
        await run(lambda tx, d=dataset_id: register.handle(tx, dataset_created(d), None))  # type: ignore[misc, arg-type]

    def known(dataset_id: str, key: str) -> KnownObject:
        listed = ListedObject(key=key, size=8, etag="v1")
        return KnownObject.register(dataset_id=dataset_id, bucket="raw-data", listed=listed, media_kind="image")

    objects = InMemoryKnownObjects(run.state)
    await objects.add_many([known(d, f"shared/{n}.png") for d in ("d1", "d2") for n in ("a", "b", "c")])
    a, b = known("d1", "shared/a.png"), known("d1", "shared/b.png")
    event = SampleDeleted(
        dataset_id="d1",
        sample_ids=(a.id, b.id),
        delete_source=True,
        objects=tuple(ObjectRef(bucket="raw-data", key=o.key, sample_id=o.id) for o in (a, b)),
    )

    async def work(tx: InMemorySyncTransaction) -> None:
        await delete_samples(tx, event, store=store)

    await run(work)
    assert sorted(k for _, k in store.objects) == ["shared/c.png"]
    deleted = [e.envelope.payload() for e in run.state.outbox]
    deleted = [p for p in deleted if not isinstance(p, DatasetProjected)]  # the datasets' registration
    assert all(isinstance(p, SourceDeleted) for p in deleted)
    by_dataset = {p.dataset_id: sorted(o.key for o in p.objects) for p in deleted if isinstance(p, SourceDeleted)}
    assert by_dataset == {"d1": ["shared/a.png", "shared/b.png"], "d2": ["shared/a.png", "shared/b.png"]}
    remaining = [o.key async for o in objects.in_key_order("d2", bucket="raw-data", prefix="") if not o.missing]
    assert remaining == ["shared/c.png"]


async def test_without_delete_source_the_objects_stay() -> None:
    store = FakeObjectStore()
    store.put("raw-data", "d1/a.png")
    run = in_memory_runner()
    event = SampleDeleted(dataset_id="d1", sample_ids=("x",))

    async def work(tx: InMemorySyncTransaction) -> None:
        await delete_samples(tx, event, store=store)

    await run(work)
    assert list(store.objects) == [("raw-data", "d1/a.png")]
    assert run.state.outbox == []
