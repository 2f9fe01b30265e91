from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from dataset_svc.app.use_cases import CreateDataset, create_dataset
from labelstream_shared.errors import ConflictError, InvalidInputError
from labelstream_shared.events import DatasetCreated
from labelstream_shared.events.contracts import BucketPath, LabelDefinition
from labelstream_testing.dataset import served
from labelstream_testing.dataset_fakes import InMemoryBucketDirectory, InMemoryDatasetRepository, in_memory_runner
from labelstream_testing.uow import InMemoryState

BODY = {
    "name": "cats",
    "labeling_type": "image_segmentation",
    "input_path": {"bucket": "raw-data", "prefix": "cats/"},
    "output_path": {"bucket": "out-data", "prefix": "cats/"},
    "labels": [{"name": "cat", "color": "#ff0000"}],
}


BUCKETS = InMemoryBucketDirectory({"raw-data", "out-data"})


def command(**changes: object) -> CreateDataset:
    return CreateDataset.model_validate({**BODY, **changes})


async def test_creating_a_dataset_stores_it_and_emits_dataset_created() -> None:
    run = in_memory_runner()
    dataset = await create_dataset(command(), run=run, buckets=BUCKETS)
    assert await InMemoryDatasetRepository(run.state).get(dataset.id) == dataset
    [event] = run.state.outbox
    payload = event.envelope.payload()
    assert isinstance(payload, DatasetCreated)
    assert payload.dataset_id == dataset.id and payload.labels == (LabelDefinition(name="cat", color="#ff0000"),)


async def test_names_are_unique_ignoring_case() -> None:
    run = in_memory_runner()
    await create_dataset(command(), run=run, buckets=BUCKETS)
    with pytest.raises(ConflictError, match="already exists"):
        await create_dataset(command(name="  CATS "), run=run, buckets=BUCKETS)
    assert len(run.state.outbox) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"labels": [{"name": "cat", "color": "#ff0000"}, {"name": "Cat", "color": "#00ff00"}]}, "duplicate label"),
        ({"input_path": {"bucket": "Bad_Bucket"}}, "input_path.bucket"),
        ({"output_path": {"bucket": "out-data", "prefix": "/abs"}}, "output_path.prefix"),
        ({"input_path": {"bucket": "raw-data", "prefix": "a/../../b"}}, "input_path.prefix"),
        ({"name": "   "}, "name"),
        ({"input_path": {"bucket": "no-such-bucket"}}, "input_path.bucket: bucket 'no-such-bucket' does not exist"),
        ({"output_path": {"bucket": "gone-bucket"}}, "output_path.bucket: bucket 'gone-bucket' does not exist"),
        (
            {"input_path": {"bucket": "no-such-bucket"}, "labels": [{"name": "a", "color": "#000000"}] * 2},
            "duplicate label",  # the rules of the request itself are checked before asking the storage
        ),
    ],
)
async def test_invalid_datasets_are_refused_naming_the_problem(changes: dict[str, object], message: str) -> None:
    run = in_memory_runner()
    with pytest.raises(InvalidInputError, match=message):
        await create_dataset(command(**changes), run=run, buckets=BUCKETS)
    assert run.state.outbox == []


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, InMemoryState]]:
    run = in_memory_runner()
    async with served(run) as client:
        yield client, run.state


async def test_api_creates_lists_and_gets(api: tuple[httpx.AsyncClient, InMemoryState]) -> None:
    client, _ = api
    created = await client.post("/api/datasets", json=BODY, headers={"X-Correlation-ID": "req-1"})
    assert created.status_code == 201, created.text
    assert created.headers["X-Correlation-ID"] == "req-1"
    dataset_id = created.json()["id"]
    assert (await client.get(f"/api/datasets/{dataset_id}")).json()["name"] == "cats"
    assert [d["id"] for d in (await client.get("/api/datasets")).json()["items"]] == [dataset_id]
    missing = await client.get("/api/datasets/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_api_reports_bad_input_as_4xx_naming_the_field(api: tuple[httpx.AsyncClient, InMemoryState]) -> None:
    client, state = api
    bad_color = {**BODY, "labels": [{"name": "cat", "color": "red"}]}
    response = await client.post("/api/datasets", json=bad_color)
    assert response.status_code == 422
    assert "labels.0.color" in response.json()["message"]
    unknown_type = await client.post("/api/datasets", json={**BODY, "labeling_type": "audio"})
    assert unknown_type.status_code == 422 and "labeling_type" in unknown_type.json()["message"]
    assert (await client.post("/api/datasets", json=BODY)).status_code == 201
    assert (await client.post("/api/datasets", json=BODY)).status_code == 409
    unknown_bucket = await client.post("/api/datasets", json={**BODY, "name": "dogs", "input_path": {"bucket": "nope"}})
    assert unknown_bucket.status_code == 422
    assert unknown_bucket.json()["message"] == "input_path.bucket: bucket 'nope' does not exist"
    assert len(state.outbox) == 1


async def test_pagination_is_stable(api: tuple[httpx.AsyncClient, InMemoryState]) -> None:
    client, _ = api
    for i in range(5):
        assert (await client.post("/api/datasets", json={**BODY, "name": f"set {i}"})).status_code == 201
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/datasets", params=params)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)


def test_bucket_path_contract_rejects_short_bucket_names() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        BucketPath(bucket="ab")
