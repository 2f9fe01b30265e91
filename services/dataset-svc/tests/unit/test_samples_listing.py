"""The samples API over the in-memory fakes: tabs, filters, counts, pagination, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from labelstream_shared.sample_listing import SamplePosition
from labelstream_testing.dataset import dataset, sample, sample_id, served, store
from labelstream_testing.dataset_fakes import in_memory_runner

D = dataset("cats", labels=("cat", "dog"))
OTHER = dataset("dogs")
SAMPLES = [
    sample(D.id, "a/cat1.jpg", status="labeled", labeled_by="ann", label_counts={"cat": 2}),
    sample(D.id, "a/Cat2.JPG", status="labeled", labeled_by="bob", label_counts={"cat": 1, "dog": 1}),
    sample(D.id, "a/dog1.jpg", status="labeled", labeled_by="ann", label_counts={"dog": 3}, hard_example=True),
    sample(D.id, "b/empty.jpg"),
    sample(D.id, "b/hard.mp4", hard_example=True),
    sample(D.id, "b/catalog.png"),
    sample(D.id, "c/zebra.jpg"),
    sample(OTHER.id, "a/cat1.jpg"),
]
Listing = dict[str, Any]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    run = in_memory_runner()

    async def add_datasets(tx: Any) -> None:
        for d in (D, OTHER):
            await tx.datasets.add(d)

    await run(add_datasets)
    await store(run, SAMPLES)
    async with served(run) as http:
        yield http


async def listing(client: httpx.AsyncClient, **params: Any) -> Listing:
    response = await client.get(f"/api/datasets/{D.id}/samples", params=params)
    assert response.status_code == 200, response.text
    body: Listing = response.json()
    return body


def keys(body: Listing) -> list[str]:
    return [item["key"] for item in body["items"]]


async def test_tabs_list_samples_in_key_order_with_the_counts_of_every_tab(client: httpx.AsyncClient) -> None:
    everything = await listing(client)
    assert keys(everything) == sorted(s.key for s in SAMPLES if s.dataset_id == D.id)
    assert everything["counts"] == {"all": 7, "unlabeled": 4, "labeled": 3}
    assert everything["next_cursor"] is None
    unlabeled = await listing(client, tab="unlabeled")
    assert keys(unlabeled) == ["b/catalog.png", "b/empty.jpg", "b/hard.mp4", "c/zebra.jpg"]
    assert unlabeled["counts"] == everything["counts"]
    assert keys(await listing(client, tab="labeled")) == ["a/Cat2.JPG", "a/cat1.jpg", "a/dog1.jpg"]


@pytest.mark.parametrize(
    ("params", "expected", "counts"),
    [
        ({"hard_example": "true"}, ["a/dog1.jpg", "b/hard.mp4"], (2, 1, 1)),
        ({"hard_example": "false", "tab": "unlabeled"}, ["b/catalog.png", "b/empty.jpg", "c/zebra.jpg"], (5, 3, 2)),
        ({"label": "cat"}, ["a/Cat2.JPG", "a/cat1.jpg"], (2, 0, 2)),
        ({"label": ["cat", "dog"]}, ["a/Cat2.JPG", "a/cat1.jpg", "a/dog1.jpg"], (3, 0, 3)),
        ({"label": "bird"}, [], (0, 0, 0)),
        ({"name": "CAT"}, ["a/Cat2.JPG", "a/cat1.jpg", "b/catalog.png"], (3, 1, 2)),
        ({"name": "b/"}, ["b/catalog.png", "b/empty.jpg", "b/hard.mp4"], (3, 3, 0)),
        ({"name": ".jpg", "tab": "unlabeled"}, ["b/empty.jpg", "c/zebra.jpg"], (5, 2, 3)),
        ({"labeled_by": "ann"}, ["a/cat1.jpg", "a/dog1.jpg"], (2, 0, 2)),
        ({"labeled_by": "ann", "label": "dog", "hard_example": "true"}, ["a/dog1.jpg"], (1, 0, 1)),
        ({"labeled_by": "ann", "name": "cat", "tab": "unlabeled"}, [], (1, 0, 1)),
    ],
)
async def test_filters_combine_and_the_counts_follow_them(
    client: httpx.AsyncClient, params: dict[str, Any], expected: list[str], counts: tuple[int, int, int]
) -> None:
    body = await listing(client, **params)
    assert keys(body) == expected
    assert (body["counts"]["all"], body["counts"]["unlabeled"], body["counts"]["labeled"]) == counts


async def test_pages_follow_each_other_without_gaps_or_repeats(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "hard_example": "false"}
        if cursor:
            params["cursor"] = cursor
        body = await listing(client, **params)
        seen += keys(body)
        pages += 1
        cursor = body["next_cursor"]
        assert body["counts"]["all"] == 5
        if cursor is None:
            break
    assert pages == 3
    assert seen == ["a/Cat2.JPG", "a/cat1.jpg", "b/catalog.png", "b/empty.jpg", "c/zebra.jpg"]


async def test_one_sample_is_served_with_everything_known_about_it(client: httpx.AsyncClient) -> None:
    the_id = sample_id(D.id, "a/Cat2.JPG")
    response = await client.get(f"/api/datasets/{D.id}/samples/{the_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["label_counts"] == {"cat": 1, "dog": 1} and body["file_name"] == "Cat2.JPG"
    assert (body["status"], body["labeled_by"], body["media_status"], body["media"]) == (
        "labeled",
        "bob",
        "pending",
        None,
    )
    foreign = sample_id(OTHER.id, "a/cat1.jpg")
    for path in (f"/api/datasets/{D.id}/samples/nope", f"/api/datasets/{D.id}/samples/{foreign}"):
        missing = await client.get(path)
        assert missing.status_code == 404 and "not found in dataset" in missing.json()["message"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/datasets/nope/samples", 404, "dataset 'nope' not found"),
        ("/api/datasets/nope/samples/x", 404, "dataset 'nope' not found"),
        (f"/api/datasets/{D.id}/samples?tab=done", 422, "query.tab: Input should be 'all', 'unlabeled' or 'labeled'"),
        (f"/api/datasets/{D.id}/samples?hard_example=maybe", 422, "query.hard_example"),
        (f"/api/datasets/{D.id}/samples?cursor=not-a-cursor", 422, "cursor: not a cursor of this listing"),
        (f"/api/datasets/{D.id}/samples?limit=0", 422, "query.limit"),
        (f"/api/datasets/{D.id}/samples?limit=501", 422, "query.limit"),
        (f"/api/datasets/{D.id}/samples?name={'x' * 201}", 422, "query.name"),
    ],
)
async def test_bad_requests_are_4xx_naming_the_problem(
    client: httpx.AsyncClient, path: str, status: int, message: str
) -> None:
    response = await client.get(path)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]


async def test_a_cursor_with_a_long_key_is_accepted(client: httpx.AsyncClient) -> None:
    cursor = SamplePosition(key="b/" + "x" * 1020, id="x").to_cursor()  # S3 keys reach 1024 bytes
    assert len(cursor) > 1000
    assert keys(await listing(client, cursor=cursor)) == ["c/zebra.jpg"]
