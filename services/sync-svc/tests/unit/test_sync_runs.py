from __future__ import annotations

import httpx
from labelstream_shared.events import DataAdded, SourceChanged, SourceDeleted
from labelstream_testing.sync import BUCKET, Harness
from sync_svc.app.sync_run import BATCH_SIZE, EVENT_SAMPLES
from sync_svc.bootstrap import create_app
from sync_svc.entrypoints.api import SyncDeps
from sync_svc.settings import SyncSettings


async def test_new_objects_become_samples_once() -> None:
    h = Harness()
    await h.register()
    for i in range(BATCH_SIZE + 3):  # more than one batch
        h.store.put(BUCKET, f"d1/img-{i:04d}.png")
    h.store.put(BUCKET, "d1/readme.txt", b"hello")
    h.store.put(BUCKET, "d1/no-extension", b"\xff\xd8\xff\xe0jpeg")
    h.store.put(BUCKET, "elsewhere/img.png")  # outside the input path
    counts = await h.sync()
    assert h.store.watched == {BUCKET}
    assert counts["added"] == BATCH_SIZE + 4
    assert counts["skipped"] == 1
    added = [s for e in h.events(DataAdded) for s in e.samples]  # type: ignore[attr-defined]
    assert len(added) == len({s.sample_id for s in added}) == BATCH_SIZE + 4
    assert {s.media_kind for s in added if s.key == "d1/no-extension"} == {"image"}

    again = await h.sync()
    assert again["added"] == 0
    assert again["unchanged"] == BATCH_SIZE + 4
    events = -(-(BATCH_SIZE + 4) // EVENT_SAMPLES)  # samples are announced in events of EVENT_SAMPLES
    assert len(h.events(DataAdded)) == events  # nothing new was emitted


async def test_vanished_changed_and_reappearing_objects() -> None:
    h = Harness()
    await h.register()
    for name in ("a", "b", "c"):
        h.store.put(BUCKET, f"d1/{name}.jpg")
    await h.sync()
    h.store.delete(BUCKET, "d1/a.jpg")
    h.store.put(BUCKET, "d1/b.jpg")  # replaced: new etag
    counts = await h.sync()
    assert (counts["removed"], counts["changed"], counts["unchanged"]) == (1, 1, 1)
    [deleted] = h.events(SourceDeleted)
    assert [o.key for o in deleted.objects] == ["d1/a.jpg"]  # type: ignore[attr-defined]
    assert [s.key for s in h.events(SourceChanged)[0].samples] == ["d1/b.jpg"]  # type: ignore[attr-defined]

    assert (await h.sync())["removed"] == 0  # a vanished object is reported once
    h.store.put(BUCKET, "d1/a.jpg")
    assert (await h.sync())["added"] == 1
    readded = h.events(DataAdded)[-1].samples[0]  # type: ignore[attr-defined]
    assert readded.sample_id == deleted.objects[0].sample_id  # type: ignore[attr-defined]


async def test_api_queues_runs_and_refuses_unknown_datasets() -> None:
    h = Harness()
    await h.register()
    app = create_app(SyncSettings(), fake_deps=SyncDeps(run=h.run, reads=h.reads, store=h.store))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sync") as client:
            started = await client.post("/api/sync/datasets/d1/runs")
            assert started.status_code == 202
            assert started.json()["status"] == "queued"
            run_id = started.json()["id"]
            assert (await client.get(f"/api/sync/runs/{run_id}")).json()["dataset_id"] == "d1"
            listed = (await client.get("/api/sync/datasets/d1/runs")).json()
            assert [r["id"] for r in listed["items"]] == [run_id]
            unknown = await client.post("/api/sync/datasets/nope/runs")
            assert unknown.status_code == 404
            assert "not known" in unknown.json()["message"]
            assert (await client.get("/api/sync/runs/nope")).status_code == 404
