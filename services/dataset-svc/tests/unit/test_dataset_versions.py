"""Versions over the in-memory fakes: publishing (manifest, statistics, VersionPublished), numbering, the current
version, deletion of a version and its files, failures, and the worker that runs the jobs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from dataset_svc.app.publishing import execute_version_job
from dataset_svc.domain.deletion import SourceObject
from labelstream_shared.events import MediaProcessed, SourceDeleted, VersionPublished
from labelstream_shared.events.contracts import LabelStatistic, MediaMetadata, ObjectRef, Shape
from labelstream_shared.jobs import Claim, JobWorker
from labelstream_testing.dataset import (
    OUTPUT_BUCKET,
    data_added,
    dataset,
    deliver,
    fake_deps,
    label_changed,
    run_purges,
    sample_id,
    served,
)
from labelstream_testing.dataset_fakes import InMemoryDatasetTransaction, in_memory_runner
from labelstream_testing.dataset_fakes_versions import InMemoryExportStorage, InMemoryVersionFiles
from labelstream_testing.uow import InMemoryTransactionRunner

Runner = InMemoryTransactionRunner[InMemoryDatasetTransaction]
D = dataset("cats", labels=("cat", "dog", "bird"))
Json = dict[str, Any]


@dataclass
class World:
    run: Runner
    files: InMemoryVersionFiles
    client: httpx.AsyncClient
    url: str = f"/api/datasets/{D.id}/versions"

    async def publish(self, **body: Any) -> Json:
        response = await self.client.post(self.url, json=body or None)
        assert response.status_code == 202, response.text
        assert response.headers["location"] == f"{self.url}/{response.json()['id']}"
        published: Json = response.json()
        return published

    async def work(self, *, page: int = 2) -> None:
        """Run every job waiting for the worker."""
        while claim := await self.run(lambda tx: tx.versions.claim_next(owner="w", stale_after_s=60)):
            await execute_version_job(claim, run=self.run, files=self.files, owner="w", page=page)

    async def get(self, version_id: str) -> Json:
        response = await self.client.get(f"{self.url}/{version_id}")
        assert response.status_code == 200, response.text
        found: Json = response.json()
        return found

    async def names(self, **params: Any) -> list[tuple[str, str, bool]]:
        items = (await self.client.get(self.url, params=params)).json()["items"]
        return [(v["name"], v["status"], v["is_current"]) for v in items]

    def file(self, key: str) -> bytes:
        return self.files.objects[(OUTPUT_BUCKET, key)]

    def published_events(self) -> list[VersionPublished]:
        payloads = [e.envelope.payload() for e in self.run.state.outbox]
        return [p for p in payloads if isinstance(p, VersionPublished)]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    run = in_memory_runner()

    async def add(tx: InMemoryDatasetTransaction) -> None:
        await tx.datasets.add(D)

    await run(add)
    await deliver(run, data_added(D.id, ["b/2.jpg", "a/1.jpg", "c/3.mp4", "d/gone.jpg", "e/5.jpg"]))
    await deliver(run, label_changed(D.id, "a/1.jpg", revision=2, labels=["cat", "cat", "dog"]))
    await deliver(run, label_changed(D.id, "c/3.mp4", revision=1, labels=["dog"], labeled_by="bob"))
    meta = MediaMetadata(kind="image", width=640, height=480)
    await deliver(
        run, MediaProcessed(dataset_id=D.id, sample_id=sample_id(D.id, "a/1.jpg"), status="ready", metadata=meta)
    )
    gone = ObjectRef(bucket="raw-data", key="d/gone.jpg", sample_id=sample_id(D.id, "d/gone.jpg"))
    await deliver(run, SourceDeleted(dataset_id=D.id, reason="vanished", objects=(gone,)))
    files = InMemoryVersionFiles()
    async with served(run, export_storage=InMemoryExportStorage(files.objects)) as client:
        yield World(run, files, client)


def manifest_lines(data: bytes) -> list[Json]:
    return [json.loads(line) for line in data.decode().splitlines()]


async def test_a_published_version_has_a_manifest_of_its_samples_and_labels_and_statistics(world: World) -> None:
    publishing = await world.publish(description="first cut")
    assert (publishing["name"], publishing["status"], publishing["is_current"]) == ("V001", "publishing", False)
    assert publishing["manifest"] == {
        "bucket": OUTPUT_BUCKET,
        "key": "cats/versions/V001/manifest.jsonl",
        "url": "s3://out-data/cats/versions/V001/manifest.jsonl",
    }
    await world.work()
    version = await world.get(publishing["id"])
    assert (version["status"], version["is_current"], version["sample_count"]) == ("published", True, 4)
    assert version["description"] == "first cut" and version["published_at"] is not None

    lines = manifest_lines(world.file("cats/versions/V001/manifest.jsonl"))
    assert [line["source"] for line in lines] == [
        f"s3://raw-data/{k}" for k in ("a/1.jpg", "b/2.jpg", "c/3.mp4", "e/5.jpg")
    ]
    first = lines[0]
    assert first["sample_id"] == sample_id(D.id, "a/1.jpg")
    assert (first["media_kind"], first["media"], first["status"], first["labeled_by"]) == (
        "image",
        {"kind": "image", "width": 640, "height": 480},
        "labeled",
        "ann",
    )
    assert [Shape.model_validate(s).label for s in first["shapes"]] == ["cat", "cat", "dog"]
    assert (lines[1]["status"], lines[1]["shapes"], "media" in lines[1]) == ("unlabeled", [], False)

    statistics = json.loads(world.file("cats/versions/V001/statistics.json"))
    expected_labels = [
        {"label": "bird", "shapes": 0, "samples": 0},
        {"label": "cat", "shapes": 2, "samples": 1},
        {"label": "dog", "shapes": 2, "samples": 2},
    ]
    assert statistics == {
        "dataset_id": D.id,
        "version": "V001",
        "samples": 4,
        "labeled_samples": 2,
        "shapes": 4,
        "labels": expected_labels,
    }
    assert version["statistics"] == {k: v for k, v in statistics.items() if k not in ("dataset_id", "version")}

    [event] = world.published_events()
    assert (event.version_id, event.name, event.sample_count) == (version["id"], "V001", 4)
    assert (event.manifest.bucket, event.manifest.prefix) == (OUTPUT_BUCKET, "cats/versions/V001/manifest.jsonl")
    assert event.statistics == tuple(LabelStatistic.model_validate(s) for s in expected_labels)
    used = await world.run(lambda tx: tx.version_objects.users_of([SourceObject("raw-data", "a/1.jpg")]))
    assert [u.holder for u in used] == [version["id"]]


async def test_versions_are_numbered_listed_newest_first_and_one_is_current(world: World) -> None:
    v1, v2 = await world.publish(), await world.publish()
    await world.work()
    v3 = await world.publish()  # publishing again with nothing changed: a new version all the same
    assert await world.names() == [
        ("V003", "publishing", False),
        ("V002", "published", True),
        ("V001", "published", False),
    ]
    assert world.file("cats/versions/V001/manifest.jsonl") == world.file("cats/versions/V002/manifest.jsonl")

    first_page = (await world.client.get(world.url, params={"limit": 2})).json()
    assert first_page["next_cursor"] == "2"
    assert await world.names(limit=2, cursor="2") == [("V001", "published", False)]

    made_current = await world.client.post(f"{world.url}/{v1['id']}/current")
    assert made_current.status_code == 200 and made_current.json()["is_current"]
    assert [current for *_, current in await world.names()] == [False, False, True]
    refused = await world.client.post(f"{world.url}/{v3['id']}/current")
    assert refused.status_code == 409
    assert refused.json()["message"] == "version V003 is publishing: only a published version can be current"

    await world.work()
    # V003 is newer than the current V001: publishing it makes it current
    assert [current for *_, current in await world.names()] == [True, False, False]
    assert v2["name"] == "V002"


async def test_a_version_published_after_a_newer_one_does_not_take_current_from_it(world: World) -> None:
    v1, v2 = await world.publish(), await world.publish()
    claim_v1 = await world.run(lambda tx: tx.versions.claim_next(owner="w", stale_after_s=60))
    assert claim_v1 is not None and claim_v1.job_id == v1["id"]
    await world.work()  # V002 first
    await execute_version_job(claim_v1, run=world.run, files=world.files, owner="w")
    assert await world.names() == [("V002", "published", True), ("V001", "published", False)]
    assert v2["name"] == "V002"


async def test_deleting_a_version_removes_it_and_its_files_and_never_source_objects(world: World) -> None:
    v1, v2 = await world.publish(), await world.publish()
    refused = await world.client.delete(f"{world.url}/{v1['id']}")
    assert refused.status_code == 409  # still publishing
    await world.work()
    world.files.objects[("raw-data", "a/1.jpg")] = b"source"
    assert (await world.client.delete(f"{world.url}/{v2['id']}")).status_code == 204
    assert (await world.client.get(f"{world.url}/{v2['id']}")).status_code == 404
    assert await world.names() == [("V001", "published", True)]  # the current one went: the newest left is current
    await world.work()
    assert set(world.files.objects) == {
        (OUTPUT_BUCKET, "cats/versions/V001/manifest.jsonl"),
        (OUTPUT_BUCKET, "cats/versions/V001/statistics.json"),
        ("raw-data", "a/1.jpg"),
    }
    used = await world.run(lambda tx: tx.version_objects.users_of([SourceObject("raw-data", "a/1.jpg")]))
    assert [u.holder for u in used] == [v1["id"]]
    assert await world.run(lambda tx: tx.versions.get(v2["id"])) is None
    assert (await world.client.delete(f"{world.url}/{v2['id']}")).status_code == 404
    assert (await world.client.delete(f"{world.url}/{v1['id']}")).status_code == 204
    assert await world.names() == []
    assert (await world.publish())["name"] == "V003"  # numbers are never given out again


async def test_a_failed_publication_says_why_and_keeps_its_number(world: World) -> None:
    world.files.fail_after_chunks = 1
    v1 = await world.publish()
    await world.work(page=1)
    failed = await world.get(v1["id"])
    assert (failed["status"], failed["error"], failed["is_current"]) == (
        "failed",
        "OSError: object storage went away",
        False,
    )
    assert world.published_events() == []
    world.files.fail_after_chunks = None
    v2 = await world.publish()
    await world.work()
    assert await world.names() == [("V002", "published", True), ("V001", "failed", False)]
    assert (await world.client.delete(f"{world.url}/{v1['id']}")).status_code == 204
    assert v2["status"] == "publishing"


async def test_a_publication_that_keeps_killing_its_worker_fails(world: World) -> None:
    v1 = await world.publish()
    await execute_version_job(Claim(v1["id"], attempts=4), run=world.run, files=world.files, owner="w")
    assert (await world.get(v1["id"]))["error"].endswith(
        "gave up after 3 attempts (the worker stopped while publishing)"
    )


async def test_versions_are_immutable_and_bad_requests_are_refused(world: World) -> None:
    v1 = await world.publish()
    for method in ("PATCH", "PUT"):
        assert (await world.client.request(method, f"{world.url}/{v1['id']}", json={})).status_code == 405
    assert (await world.client.get("/api/datasets/nope/versions")).status_code == 404
    assert (await world.client.post("/api/datasets/nope/versions")).status_code == 404
    bad_cursor = await world.client.get(world.url, params={"cursor": "V001"})
    assert bad_cursor.status_code == 422 and bad_cursor.json()["message"].startswith("cursor:")
    extra = await world.client.post(world.url, json={"name": "V9"})
    assert extra.status_code == 422 and extra.json()["message"] == "body.name: Extra inputs are not permitted"


async def test_the_worker_runs_the_jobs_it_claims(world: World) -> None:
    async def execute(claim: Claim, owner: str) -> None:
        await execute_version_job(claim, run=world.run, files=world.files, owner=owner)

    worker = JobWorker(name="versions", jobs=fake_deps(world.run).versions, execute=execute, poll_interval_s=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    v1 = await world.publish()
    for _ in range(200):
        if (await world.get(v1["id"]))["status"] == "published":
            break
        await asyncio.sleep(0.01)
    stop.set()
    await running
    assert (await world.get(v1["id"]))["status"] == "published"


async def test_deleting_the_dataset_purges_its_labels_versions_and_their_records_but_not_the_files(
    world: World,
) -> None:
    await world.publish()
    await world.work()
    await world.client.post(f"/api/datasets/{D.id}/samples/deletions", json={"filter": {"name": "e/"}})
    assert (await world.client.delete(f"/api/datasets/{D.id}")).status_code == 204
    await run_purges(world.run)
    for name in ("samples", "sample_labels", "versions", "version_heads", "version_objects", "sample_deletions"):
        assert world.run.state.collection(name) == {}, name
    assert set(world.files.objects) == {
        (OUTPUT_BUCKET, "cats/versions/V001/manifest.jsonl"),
        (OUTPUT_BUCKET, "cats/versions/V001/statistics.json"),
    }


async def test_a_published_version_s_files_are_read_through_the_api_and_409_before(world: World) -> None:
    publishing = await world.publish()
    files = [f"{world.url}/{publishing['id']}/manifest", f"{world.url}/{publishing['id']}/statistics"]
    for path in files:
        early = await world.client.get(path)
        assert early.status_code == 409 and "once published" in early.json()["message"], early.text
    await world.work()
    manifest, statistics = [await world.client.get(path) for path in files]
    assert manifest.status_code == 200 and manifest.headers["content-type"] == "application/x-ndjson"
    assert manifest.content == world.file("cats/versions/V001/manifest.jsonl")
    assert statistics.status_code == 200 and statistics.content == world.file("cats/versions/V001/statistics.json")
    assert (await world.client.get(f"{world.url}/nope/manifest")).status_code == 404


async def test_a_publication_sent_again_with_its_idempotency_key_makes_one_version(world: World) -> None:
    url = f"/api/datasets/{D.id}/versions"
    key = {"Idempotency-Key": "publish-1"}
    first = await world.client.post(url, json={"description": "nightly"}, headers=key)
    again = await world.client.post(url, json={"description": "nightly"}, headers=key)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"] and again.json()["name"] == first.json()["name"] == "V001"
    other = await world.client.post(url, json={"description": "another"}, headers=key)
    assert other.status_code == 409
    assert (await world.client.post(url, json={"description": "nightly"})).json()["name"] == "V002"
    names = [v["name"] for v in (await world.client.get(url)).json()["items"]]
    assert names == ["V002", "V001"]
