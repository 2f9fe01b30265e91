"""Deleting samples over the in-memory fakes: the preview's reference counts, selections by ids or by filter,
deletions at once or in batches by the worker (resumed without repeating a batch), SampleDeleted and counters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from dataset_svc.app.deletion import _next_batch, delete_samples, execute_deletion
from dataset_svc.domain.deletion import SampleSelection, SourceObject
from dataset_svc.domain.samples import SampleCounts, SampleQuery
from dataset_svc.domain.versions import Version
from labelstream_shared.events import SampleDeleted
from labelstream_shared.jobs import Claim
from labelstream_testing.dataset import dataset, sample, sample_id, served, store
from labelstream_testing.dataset_fakes import (
    InMemoryDatasetTransaction,
    InMemorySampleCountRepository,
    in_memory_runner,
)
from labelstream_testing.uow import InMemoryTransactionRunner

Runner = InMemoryTransactionRunner[InMemoryDatasetTransaction]
D = dataset("cats", labels=("cat",))
OTHER = dataset("dogs")
THIRD = dataset("birds")
KEYS = ["a/1.jpg", "a/2.jpg", "a/3.jpg", "b/4.jpg", "b/5.jpg"]


@dataclass
class World:
    run: Runner
    client: httpx.AsyncClient

    async def post(self, path: str, body: dict[str, Any], *, dataset_id: str = D.id) -> httpx.Response:
        return await self.client.post(f"/api/datasets/{dataset_id}/samples/{path}", json=body)

    def deleted_events(self) -> list[SampleDeleted]:
        payloads = [e.envelope.payload() for e in self.run.state.outbox]
        return [p for p in payloads if isinstance(p, SampleDeleted)]

    async def keys(self, dataset_id: str = D.id) -> list[str]:
        async def work(tx: InMemoryDatasetTransaction) -> list[str]:
            return [s.key for s in await tx.samples.find(dataset_id, query=SampleQuery(), limit=100)]

        return await self.run(work)

    async def counts(self, dataset_id: str = D.id) -> SampleCounts:
        return await InMemorySampleCountRepository(self.run.state).get(dataset_id)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    run = in_memory_runner()

    async def setup(tx: InMemoryDatasetTransaction) -> None:
        for d in (D, OTHER, THIRD):
            await tx.datasets.add(d)
        # a/1.jpg and a/2.jpg are shared with "dogs", a/2.jpg with "birds"; a/3.jpg is in a version of "dogs".
        for other, keys in ((OTHER, ["a/1.jpg", "a/2.jpg"]), (THIRD, ["a/2.jpg"])):
            await tx.samples.add_new([sample(other.id, k) for k in keys])
        for name, number in (("used", 1), ("being-deleted", 2)):
            version = Version.create(dataset_id=OTHER.id, number=number, output_path=OTHER.output_path)
            version = version.model_copy(update={"id": name, "status": "published"})
            await tx.versions.add(version if number == 1 else version.deleting())
            objects = [SourceObject("raw-data", "a/3.jpg"), SourceObject("raw-data", "b/4.jpg" if number == 2 else "x")]
            await tx.version_objects.add(dataset_id=OTHER.id, version_id=name, objects=objects)

    await run(setup)
    await store(run, [sample(D.id, k, status="labeled" if k.startswith("b/") else "unlabeled") for k in KEYS])
    async with served(run) as client:
        yield World(run, client)


def ids(*keys: str) -> list[str]:
    return [sample_id(D.id, k) for k in keys]


async def test_the_preview_counts_samples_and_who_else_uses_their_objects(world: World) -> None:
    preview = await world.post("deletion-preview", {"sample_ids": ids("a/1.jpg", "a/2.jpg", "a/3.jpg", "b/4.jpg")})
    assert preview.status_code == 200, preview.text
    # b/4.jpg is only in a version being deleted: not counted
    assert preview.json() == {"samples": 4, "other_datasets": 2, "versions": 1, "shared_objects": 3}
    by_filter = await world.post("deletion-preview", {"filter": {"tab": "labeled"}})
    assert by_filter.json() == {"samples": 2, "other_datasets": 0, "versions": 0, "shared_objects": 0}
    by_name = await world.post("deletion-preview", {"filter": {"name": "A/"}})
    assert by_name.json() == {"samples": 3, "other_datasets": 2, "versions": 1, "shared_objects": 3}
    assert await world.keys() == KEYS  # nothing deleted


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "selection: give either sample_ids or filter (not both, not neither)"),
        ({"sample_ids": ["x"], "filter": {}}, "selection: give either sample_ids or filter (not both, not neither)"),
        ({"sample_ids": []}, "sample_ids: select at least one sample"),
        ({"sample_ids": [f"id{i}" for i in range(10_001)]}, "body.sample_ids: List should have at most 10000 items"),
        ({"filter": {"tab": "nope"}}, "body.filter.tab: Input should be 'all', 'unlabeled' or 'labeled'"),
        ({"filter": {"colour": "red"}}, "body.filter.colour: Extra inputs are not permitted"),
    ],
)
async def test_bad_selections_are_refused_naming_the_problem(world: World, body: dict[str, Any], message: str) -> None:
    for path in ("deletion-preview", "deletions"):
        response = await world.post(path, body)
        assert response.status_code == 422, response.text
        assert response.json()["message"].startswith(message)
    assert await world.keys() == KEYS


async def test_unknown_sample_ids_refuse_the_whole_selection_saying_how_many(world: World) -> None:
    theirs = sample_id(OTHER.id, "a/1.jpg")  # a sample, but of another dataset
    for path in ("deletion-preview", "deletions"):
        response = await world.post(path, {"sample_ids": [*ids("a/1.jpg", "b/4.jpg"), "nope", theirs]})
        assert response.status_code == 422
        body = response.json()
        assert body["message"] == f"sample_ids: 2 of 4 samples not found in dataset {D.id!r}"
        assert body["details"] == {"not_found": 2, "sample_ids": ["nope", theirs]}
    assert await world.keys() == KEYS
    assert (await world.post("deletions", {"sample_ids": ["x"]}, dataset_id="nope")).status_code == 404


async def test_a_small_selection_is_deleted_at_once_with_its_event_and_counters(world: World) -> None:
    response = await world.post("deletions", {"sample_ids": ids("a/1.jpg", "b/4.jpg", "a/1.jpg")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["deleted"], body["selected_by"], body["selected_ids"]) == (
        "succeeded",
        2,
        "sample_ids",
        2,
    )
    assert await world.keys() == ["a/2.jpg", "a/3.jpg", "b/5.jpg"]
    assert await world.counts() == SampleCounts(unlabeled=2, labeled=1)
    assert await world.keys(OTHER.id) == ["a/1.jpg", "a/2.jpg"]  # the other dataset's samples of the same objects
    [event] = world.deleted_events()
    assert (set(event.sample_ids), event.delete_source, event.objects) == (set(ids("a/1.jpg", "b/4.jpg")), False, ())
    polled = await world.client.get(f"/api/datasets/{D.id}/samples/deletions/{body['id']}")
    assert polled.json() == body


async def test_deleting_the_sources_names_the_objects_for_sync_svc(world: World) -> None:
    response = await world.post("deletions", {"filter": {"tab": "labeled"}, "delete_source": True})
    assert response.status_code == 200
    assert response.json()["filter"] == {
        "tab": "labeled",
        "hard_example": None,
        "labels": [],
        "name": None,
        "labeled_by": None,
    }
    [event] = world.deleted_events()
    assert event.delete_source
    assert {(o.bucket, o.key, o.sample_id) for o in event.objects} == {
        ("raw-data", "b/4.jpg", sample_id(D.id, "b/4.jpg")),
        ("raw-data", "b/5.jpg", sample_id(D.id, "b/5.jpg")),
    }
    assert await world.counts() == SampleCounts(unlabeled=3)


async def test_a_large_selection_is_queued_and_deleted_by_the_worker_in_batches(world: World) -> None:
    selection = SampleSelection.of(sample_ids=None, query=SampleQuery(name="jpg"))
    queued = await delete_samples(D.id, selection, delete_source=False, run=world.run, batch=2)
    assert (queued.status, queued.deleted) == ("queued", 0)
    await store(
        world.run,
        [sample(D.id, "a/0-late.jpg").model_copy(update={"added_at": queued.created_at + timedelta(seconds=1)})],
    )
    claim = await world.run(lambda tx: tx.deletions.claim_next(owner="w", stale_after_s=60))
    assert claim == Claim(queued.id, attempts=1)
    await execute_deletion(claim, run=world.run, owner="w")
    polled = await world.client.get(f"/api/datasets/{D.id}/samples/deletions/{queued.id}")
    assert (polled.json()["status"], polled.json()["deleted"]) == ("succeeded", 5)
    assert await world.keys() == ["a/0-late.jpg"]  # added after the deletion was asked for: spared
    assert [len(e.sample_ids) for e in world.deleted_events()] == [1, 2, 2]  # a/0-late.jpg was in the first page
    assert await world.counts() == SampleCounts(unlabeled=1)


async def test_a_deletion_taken_over_from_a_stopped_worker_repeats_no_batch(world: World) -> None:
    selection = SampleSelection.of(sample_ids=ids(*KEYS), query=None)
    queued = await delete_samples(D.id, selection, delete_source=True, run=world.run, batch=2)
    first = await world.run(lambda tx: tx.deletions.claim_next(owner="first", stale_after_s=60))
    assert first is not None and first.job_id == queued.id
    await world.run(lambda tx: _next_batch(queued.id, "first", tx))  # then the first worker stops
    assert await world.run(lambda tx: tx.deletions.claim_next(owner="second", stale_after_s=60)) is None
    second = await world.run(lambda tx: tx.deletions.claim_next(owner="second", stale_after_s=-1))
    assert second == Claim(queued.id, attempts=2)
    await execute_deletion(second, run=world.run, owner="second")
    await execute_deletion(first, run=world.run, owner="first")  # finished meanwhile: nothing to do
    events = world.deleted_events()
    assert sorted(i for e in events for i in e.sample_ids) == sorted(ids(*KEYS))
    assert await world.keys() == [] and await world.counts() == SampleCounts()
    polled = (await world.client.get(f"/api/datasets/{D.id}/samples/deletions/{queued.id}")).json()
    assert (polled["status"], polled["deleted"], polled["selected_ids"]) == ("succeeded", 5, 5)


async def test_a_deletion_that_keeps_killing_its_worker_fails(world: World) -> None:
    selection = SampleSelection.of(sample_ids=ids(*KEYS), query=None)
    queued = await delete_samples(D.id, selection, delete_source=False, run=world.run, batch=2)
    await execute_deletion(Claim(queued.id, attempts=4), run=world.run, owner="w")
    polled = (await world.client.get(f"/api/datasets/{D.id}/samples/deletions/{queued.id}")).json()
    assert polled["status"] == "failed" and "gave up after 3 attempts" in polled["error"]
    assert await world.keys() == KEYS
    missing = await world.client.get(f"/api/datasets/{OTHER.id}/samples/deletions/{queued.id}")
    assert missing.status_code == 404
