from __future__ import annotations

import httpx
import pytest
from labelstream_shared.events import DataAdded, DatasetProjected
from labelstream_testing.sync import BUCKET, Harness
from sync_svc.bootstrap import create_app
from sync_svc.entrypoints.api import SyncDeps
from sync_svc.settings import SyncSettings


@pytest.fixture
async def harness() -> Harness:
    h = Harness()
    await h.register()
    return h


async def upload(h: Harness, name: str, body: bytes, *, limit: int = 1024) -> httpx.Response:
    deps = SyncDeps(run=h.run, reads=h.reads, store=h.store, max_upload_bytes=limit)
    app = create_app(SyncSettings(), fake_deps=deps)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sync") as client:
            return await client.put(f"/api/sync/datasets/d1/uploads/{name}", content=body)


async def test_an_uploaded_file_lands_in_the_input_path_and_becomes_a_sample(harness: Harness) -> None:
    response = await upload(harness, "cam 1/frame.png", b"\x89PNG\r\n\x1a\n....")
    assert response.status_code == 201, response.text
    assert response.json()["source"] == {"kind": "upload", "file_name": "cam 1/frame.png"}
    assert (BUCKET, "d1/cam 1/frame.png") in harness.store.objects
    [added] = harness.events(DataAdded)
    assert isinstance(added, DataAdded)
    assert [s.key for s in added.samples] == ["d1/cam 1/frame.png"]
    # a file without extension is judged by its content
    assert (await upload(harness, "clip", b"\x00\x00\x00\x20ftypisom....")).status_code == 201


@pytest.mark.parametrize(
    ("name", "body", "status", "problem"),
    [
        ("%2E%2E/escape.png", b"\x89PNG", 422, "name:"),  # encoded: clients normalise a plain ..
        ("a//b.png", b"\x89PNG", 422, "name:"),
        ("notes.txt", b"hello", 422, "not a supported image or video"),
        ("blob", b"%PDF-1.7", 422, "not a supported image or video"),
        ("empty.png", b"", 422, "empty"),
        ("big.png", b"\x89PNG" + b"0" * 2000, 413, "larger than"),
    ],
)
async def test_hostile_uploads_are_refused_and_nothing_is_stored(
    harness: Harness, name: str, body: bytes, status: int, problem: str
) -> None:
    response = await upload(harness, name, body)
    assert response.status_code == status
    assert problem in response.json()["message"]
    assert harness.store.objects == {}
    # only the announcement that sync-svc knows the dataset (its registration)
    assert [e.envelope.type for e in harness.run.state.outbox] == [DatasetProjected.event_type()]
