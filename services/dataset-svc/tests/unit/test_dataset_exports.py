"""Exports over the in-memory fakes: a published version exported (queued → completed, progress, ExportCompleted
with size and SHA-256), the archive read back, byte-identical twice, the formats listed, bad requests refused, a
worker that lost its job stops, and an export whose worker died too often fails instead of looping."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dataset_svc.app.exports import execute_export
from dataset_svc.app.publishing import execute_version_job
from labelstream_shared.events import ExportCompleted, MediaProcessed
from labelstream_shared.events.contracts import MediaMetadata
from labelstream_shared.jobs import Claim
from labelstream_testing.dataset import data_added, dataset, deliver, label_changed, sample_id, served
from labelstream_testing.dataset_fakes import InMemoryDatasetTransaction, in_memory_runner
from labelstream_testing.dataset_fakes_versions import InMemoryExportStorage, InMemoryVersionFiles
from labelstream_testing.uow import InMemoryTransactionRunner

Runner = InMemoryTransactionRunner[InMemoryDatasetTransaction]
D = dataset("cats", labels=("dog", "cat"))
Json = dict[str, Any]


@dataclass
class World:
    run: Runner
    storage: InMemoryExportStorage
    files: InMemoryVersionFiles
    client: httpx.AsyncClient
    version_id: str = ""

    async def export(self, **body: Any) -> httpx.Response:
        return await self.client.post(f"/api/datasets/{D.id}/versions/{self.version_id}/exports", json=body)

    async def work(self) -> None:
        while claim := await self.run(lambda tx: tx.exports.claim_next(owner="w", stale_after_s=60)):
            await execute_export(claim, run=self.run, storage=self.storage, owner="w")

    async def get(self, export_id: str) -> Json:
        response = await self.client.get(f"/api/datasets/{D.id}/exports/{export_id}")
        assert response.status_code == 200, response.text
        found: Json = response.json()
        return found

    def completed_events(self) -> list[ExportCompleted]:
        payloads = [e.envelope.payload() for e in self.run.state.outbox]
        return [p for p in payloads if isinstance(p, ExportCompleted)]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    run = in_memory_runner()

    async def add(tx: InMemoryDatasetTransaction) -> None:
        await tx.datasets.add(D)

    await run(add)
    await deliver(run, data_added(D.id, ["cats/a.jpg", "cats/b.jpg"]))
    await deliver(run, label_changed(D.id, "cats/a.jpg", revision=1, labels=["cat", "dog"]))
    meta = MediaMetadata(kind="image", width=640, height=480)
    for key in ("cats/a.jpg", "cats/b.jpg"):
        sid = sample_id(D.id, key)
        await deliver(run, MediaProcessed(dataset_id=D.id, sample_id=sid, status="ready", metadata=meta))
    files = InMemoryVersionFiles()
    storage = InMemoryExportStorage(files.objects)
    async with served(run, export_storage=storage) as client:
        published = await client.post(f"/api/datasets/{D.id}/versions")
        while claim := await run(lambda tx: tx.versions.claim_next(owner="w", stale_after_s=60)):
            await execute_version_job(claim, run=run, files=files, owner="w")
        yield World(run, storage, files, client, version_id=published.json()["id"])


async def test_an_export_is_queued_then_completed_with_its_archive_checksum_and_event(world: World) -> None:
    response = await world.export(format="coco")
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["status"], queued["version_name"], queued["progress"]) == (
        "queued",
        "V001",
        {"items_done": 0, "items_total": 2, "percent": 0.0},
    )
    assert response.headers["location"] == f"/api/datasets/{D.id}/exports/{queued['id']}"
    await world.work()
    done = await world.get(queued["id"])
    assert (done["status"], done["progress"]["percent"], done["outcome"]["items"]) == ("completed", 100.0, 2)
    archive = done["archive"]
    assert archive["location"]["key"] == f"cats/exports/V001/{queued['id']}.coco.zip"
    download = await world.client.get(archive["download"])
    assert download.status_code == 200
    assert download.headers["x-checksum-sha256"] == archive["sha256"]
    assert len(download.content) == archive["size"]
    document = json.loads(zipfile.ZipFile(io.BytesIO(download.content)).read("annotations/instances_default.json"))
    assert [c["name"] for c in document["categories"]] == ["dog", "cat"]  # the label set's order
    assert [i["file_name"] for i in document["images"]] == ["a.jpg", "b.jpg"]  # names under the input prefix
    assert len(document["annotations"]) == 2
    (event,) = world.completed_events()
    assert (event.export_id, event.size, event.sha256, event.items) == (
        queued["id"],
        archive["size"],
        archive["sha256"],
        2,
    )


async def test_two_exports_of_one_version_are_byte_identical(world: World) -> None:
    first = (await world.export(format="coco", options={"include_media": False})).json()
    second = (await world.export(format="coco")).json()
    await world.work()
    a, b = await world.get(first["id"]), await world.get(second["id"])
    assert a["archive"]["sha256"] == b["archive"]["sha256"]
    listed = (await world.client.get(f"/api/datasets/{D.id}/exports", params={"limit": 1})).json()
    assert len(listed["items"]) == 1 and listed["next_cursor"]
    rest = (await world.client.get(f"/api/datasets/{D.id}/exports", params={"cursor": listed["next_cursor"]})).json()
    assert {listed["items"][0]["id"], rest["items"][0]["id"]} == {first["id"], second["id"]}
    garbage = await world.client.get(f"/api/datasets/{D.id}/exports", params={"cursor": "garbage"})
    assert garbage.status_code == 422


async def test_the_formats_are_listed_and_bad_requests_are_refused_with_a_reason(world: World) -> None:
    formats = (await world.client.get("/api/exports/formats")).json()
    assert {"coco", "manifest"} <= {f["name"] for f in formats["formats"]}
    assert "include_media" in formats["options"]["properties"]
    unknown = await world.export(format="pascal-ish")
    assert unknown.status_code == 422 and "coco" in unknown.json()["message"]
    extra = await world.export(format="coco", options={"colour": "red"})
    assert extra.status_code == 422
    world.version_id = "0" * 32
    assert (await world.export(format="coco")).status_code == 404


async def test_the_archive_is_409_until_completed_and_a_dead_worker_gives_up_after_three_attempts(world: World) -> None:
    queued = (await world.export(format="manifest")).json()
    early = await world.client.get(f"/api/datasets/{D.id}/exports/{queued['id']}/archive")
    assert early.status_code == 409 and "queued" in early.json()["message"]
    await execute_export(Claim(job_id=queued["id"], attempts=4), run=world.run, storage=world.storage, owner="w")
    failed = await world.get(queued["id"])
    assert failed["status"] == "failed" and "attempts" in failed["error"]
    assert world.completed_events() == []


async def test_the_current_data_is_exported_as_a_labeling_job_shows_it(world: World) -> None:
    """No version: the samples matching the selection as they are (here the Labeled tab), labels of the moment."""
    await deliver(world.run, label_changed(D.id, "cats/b.jpg", revision=1, labels=["dog"]))  # after V001
    response = await world.client.post(
        f"/api/datasets/{D.id}/exports", json={"format": "manifest", "selection": {"tab": "labeled", "labels": ["dog"]}}
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["version_id"], queued["version_name"], queued["progress"]["items_total"]) == (None, "current", 2)
    assert queued["selection"]["tab"] == "labeled"
    await world.work()
    done = await world.get(queued["id"])
    assert done["status"] == "completed" and done["archive"]["location"]["key"].startswith("cats/exports/current/")
    archive = (await world.client.get(done["archive"]["download"])).content
    lines = [json.loads(x) for x in zipfile.ZipFile(io.BytesIO(archive)).read("manifest.jsonl").splitlines()]
    assert [(line["name"], [s["label"] for s in line["shapes"]]) for line in lines] == [
        ("a.jpg", ["cat", "dog"]),
        ("b.jpg", ["dog"]),
    ]
    (event,) = world.completed_events()
    assert event.version_id is None
    bad = await world.client.post(f"/api/datasets/{D.id}/exports", json={"format": "coco", "selection": {"tab": "x"}})
    assert bad.status_code == 422


async def test_deleting_a_version_removes_its_exports_and_their_archives(world: World) -> None:
    done = (await world.export(format="coco")).json()
    await world.work()
    archive = (await world.get(done["id"]))["archive"]["location"]
    assert (archive["bucket"], archive["key"]) in world.storage.objects
    deleted = await world.client.delete(f"/api/datasets/{D.id}/versions/{world.version_id}")
    assert deleted.status_code == 204, deleted.text
    while claim := await world.run(lambda tx: tx.versions.claim_next(owner="w", stale_after_s=60)):
        await execute_version_job(claim, run=world.run, files=world.files, owner="w")
    assert (archive["bucket"], archive["key"]) not in world.storage.objects
    assert (await world.client.get(f"/api/datasets/{D.id}/exports/{done['id']}")).status_code == 404


async def test_an_export_sent_again_with_its_idempotency_key_is_queued_once(world: World) -> None:
    url = f"/api/datasets/{D.id}/versions/{world.version_id}/exports"
    first = await world.client.post(url, json={"format": "coco"}, headers={"Idempotency-Key": "k-1"})
    again = await world.client.post(url, json={"format": "coco"}, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    other = await world.client.post(url, json={"format": "voc"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and "'k-1' was sent before with another request" in other.json()["message"]
    fresh = await world.client.post(url, json={"format": "coco"}, headers={"Idempotency-Key": "k-2"})
    unkeyed = await world.client.post(url, json={"format": "coco"})
    assert len({first.json()["id"], fresh.json()["id"], unkeyed.json()["id"]}) == 3
    current = f"/api/datasets/{D.id}/exports"
    body = {"format": "coco", "selection": {"tab": "labeled"}}
    made = await world.client.post(current, json=body, headers={"Idempotency-Key": "k-1"})
    repeated = await world.client.post(current, json=body, headers={"Idempotency-Key": "k-1"})
    assert made.status_code == 202 and repeated.json()["id"] == made.json()["id"] != first.json()["id"]
    listed = (await world.client.get(f"/api/datasets/{D.id}/exports")).json()["items"]
    assert len(listed) == 4
    empty = await world.client.post(url, json={"format": "coco"}, headers={"Idempotency-Key": ""})
    assert empty.status_code == 422
