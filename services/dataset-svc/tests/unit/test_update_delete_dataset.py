from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from dataset_svc.app.handlers import add_samples
from dataset_svc.app.use_cases import delete_dataset, purge_samples
from labelstream_shared.events import DataAdded, DatasetDeleted, DatasetUpdated, envelope_for
from labelstream_testing.dataset import data_added, run_purges, served
from labelstream_testing.dataset_fakes import InMemoryDatasetTransaction, in_memory_runner
from labelstream_testing.uow import InMemoryState, InMemoryTransactionRunner

BODY = {
    "name": "cats",
    "description": "house cats",
    "labeling_type": "object_detection",
    "input_path": {"bucket": "raw-data", "prefix": "cats/"},
    "output_path": {"bucket": "out-data", "prefix": "cats/"},
    "labels": [{"name": "cat", "color": "#ff0000"}],
}
Runner = InMemoryTransactionRunner[InMemoryDatasetTransaction]


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, Runner]]:
    run = in_memory_runner()
    async with served(run) as client:
        yield client, run


async def create(client: httpx.AsyncClient, **changes: object) -> str:
    created = await client.post("/api/datasets", json={**BODY, **changes})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def add(run: Runner, event: DataAdded) -> None:
    envelope = envelope_for(event, source="/labelstream/sync-svc", correlation_id="c")

    async def work(tx: InMemoryDatasetTransaction) -> None:
        await add_samples(tx, event, envelope)

    await run(work)


def emitted(state: InMemoryState) -> list[object]:
    return [event.envelope.payload() for event in state.outbox]


async def test_patch_changes_name_and_description_and_emits_dataset_updated(
    api: tuple[httpx.AsyncClient, Runner],
) -> None:
    client, run = api
    dataset_id = await create(client)
    # the labels as read (a client sending back what it got) are accepted: they change nothing
    response = await client.patch(f"/api/datasets/{dataset_id}", json={"name": " Felines ", "labels": BODY["labels"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["description"], body["labels"]) == ("Felines", "house cats", BODY["labels"])
    assert body["input_path"] == BODY["input_path"] and body["updated_at"] is not None
    assert body["label_set_revision"] == 0
    assert (await client.get(f"/api/datasets/{dataset_id}")).json() == body
    updated = emitted(run.state)[-1]
    assert isinstance(updated, DatasetUpdated)
    assert updated.dataset_id == dataset_id and updated.name == "Felines" and updated.description == "house cats"
    assert [label.name for label in updated.labels] == ["cat"]


async def test_patch_without_changes_emits_nothing(api: tuple[httpx.AsyncClient, Runner]) -> None:
    client, run = api
    dataset_id = await create(client)
    response = await client.patch(f"/api/datasets/{dataset_id}", json={"name": "cats", "description": "house cats"})
    assert response.status_code == 200 and response.json()["updated_at"] is None
    assert len(run.state.outbox) == 1  # DatasetCreated only


async def test_patch_may_change_the_case_of_its_own_name(api: tuple[httpx.AsyncClient, Runner]) -> None:
    client, _ = api
    dataset_id = await create(client)
    response = await client.patch(f"/api/datasets/{dataset_id}", json={"name": "CATS"})
    assert response.status_code == 200 and response.json()["name"] == "CATS"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "   "}, 422, "name: must not be blank"),
        ({"name": ""}, 422, "body.name"),
        (
            {"labels": [{"name": "cat", "color": "#ff0000"}, {"name": "dog", "color": "#00ff00"}]},
            422,
            "labels: the label set is edited through labeling, which owns it",
        ),
        ({"labels": []}, 422, "POST /api/labeling/datasets/"),
        ({"labels": [{"name": "cat", "color": "red"}]}, 422, "body.labels.0.color"),
        ({"input_path": {"bucket": "other"}}, 422, "body.input_path: Extra inputs are not permitted"),
        ({"labeling_type": "video_labeling"}, 422, "body.labeling_type: Extra inputs are not permitted"),
        ({"name": "dogs"}, 409, "name: a dataset named 'dogs' already exists"),
    ],
)
async def test_patch_refuses_bad_input_naming_the_problem(
    api: tuple[httpx.AsyncClient, Runner], body: dict[str, object], status: int, message: str
) -> None:
    client, run = api
    dataset_id = await create(client)
    await create(client, name="dogs")
    response = await client.patch(f"/api/datasets/{dataset_id}", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    assert not any(isinstance(e, DatasetUpdated) for e in emitted(run.state))
    assert (await client.get(f"/api/datasets/{dataset_id}")).json()["name"] == "cats"


async def test_patch_and_delete_of_an_unknown_dataset_are_404(api: tuple[httpx.AsyncClient, Runner]) -> None:
    client, _ = api
    for response in (
        await client.patch("/api/datasets/nope", json={"name": "x"}),
        await client.delete("/api/datasets/nope"),
    ):
        assert response.status_code == 404 and response.json()["message"] == "dataset 'nope' not found"


async def test_delete_removes_the_dataset_and_its_samples_and_emits_dataset_deleted(
    api: tuple[httpx.AsyncClient, Runner],
) -> None:
    client, run = api
    dataset_id = await create(client)
    other_id = await create(client, name="dogs")
    await add(run, data_added(dataset_id, ["a.jpg", "b.jpg"]))
    await add(run, data_added(other_id, ["c.jpg"]))

    assert (await client.delete(f"/api/datasets/{dataset_id}")).status_code == 204
    assert (await client.get(f"/api/datasets/{dataset_id}")).status_code == 404
    assert (await client.get(f"/api/datasets/{dataset_id}/samples")).status_code == 404
    deleted = emitted(run.state)[-1]
    assert isinstance(deleted, DatasetDeleted) and deleted.dataset_id == dataset_id
    assert list(run.state.collection("dataset_purges")) == [dataset_id]  # queued with the deletion
    assert len(run.state.collection("samples")) == 3  # unreachable at once, removed by the purge job
    await run_purges(run)
    remaining = run.state.collection("samples").values()
    assert [row["dataset_id"] for row in remaining] == [other_id]
    assert run.state.collection("dataset_purges") == {}
    assert dataset_id not in run.state.collection("sample_counts")
    assert (await client.get(f"/api/datasets/{other_id}/samples")).json()["counts"]["all"] == 1
    assert (await client.delete(f"/api/datasets/{dataset_id}")).status_code == 404
    assert (await client.post("/api/datasets", json=BODY)).status_code == 201  # the name is free again


async def test_purging_works_in_batches_and_never_touches_a_live_dataset(api: tuple[httpx.AsyncClient, Runner]) -> None:
    client, run = api
    live_id = await create(client)
    await add(run, data_added(live_id, [f"{i}.jpg" for i in range(5)]))
    assert await purge_samples(live_id, run=run, batch=2) == 0
    await delete_dataset(live_id, run=run)
    assert len(run.state.collection("samples")) == 5  # unreachable, not yet removed
    assert await purge_samples(live_id, run=run, batch=2) == 5
    assert run.state.collection("samples") == {}
