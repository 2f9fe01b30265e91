"""Acceptance (issue 11, point 1), through the gateway: the label set has one owner (labeling-svc). Labels renamed,
deleted and added through labeling, and the dataset edited through the dataset API, in every order: labeling,
dataset-svc and a freshly published version agree, and no edit brings a deleted label back."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from labelstream_testing.labeling import LabelingPlatform, box

pytestmark = pytest.mark.e2e

STEPS = ("rename", "delete", "add", "dataset_api")
EXPECTED = ["feline", "zebra"]  # cat renamed to feline (in its place), dog deleted, zebra added at the end


def names(labels: list[dict[str, Any]]) -> list[str]:
    return [label["name"] for label in labels]


async def edit_through_the_dataset_api(platform: LabelingPlatform, dataset_id: str, read: dict[str, Any]) -> None:
    """A dataset-API client: a new description with the labels as it read them at the start (maybe stale by now),
    then a label set of its own. The first is accepted only as "no change" to the labels, the second refused, both
    naming the owner; neither may change labeling's set."""
    url = f"/api/datasets/{dataset_id}"
    sent_back = await platform.gateway.patch(url, json={"description": "edited", "labels": read["labels"]})
    if sent_back.status_code != 200:
        assert sent_back.status_code == 422, sent_back.text
        assert sent_back.json()["error"] == "label_set_owned_by_labeling"
        described = await platform.gateway.patch(url, json={"description": "edited"})
        assert described.status_code == 200, described.text
    own_set = await platform.gateway.patch(url, json={"labels": [{"name": "dog", "color": "#00ff00"}]})
    assert own_set.status_code == 422, own_set.text
    assert f"/api/labeling/datasets/{dataset_id}/labels" in own_set.json()["message"]


async def run_in_order(platform: LabelingPlatform, unique: str, index: int, order: tuple[str, ...]) -> str:
    dataset_id = await platform.create_dataset(f"owner-{unique}-{index}", labels=("cat", "dog"))
    (sample_id,) = await platform.add_images(dataset_id, ["a.png"])
    saved = await platform.save(dataset_id, sample_id, [box("cat", 1, 1, 9, 9), box("dog", 2, 2, 8, 8)], revision=0)
    assert saved.status_code == 200, saved.text
    read = (await platform.gateway.get(f"/api/datasets/{dataset_id}")).json()
    labels = f"/api/labeling/datasets/{dataset_id}/labels"
    for step in order:
        if step == "rename":
            response = await platform.gateway.patch(f"{labels}/cat", json={"name": "feline"})
        elif step == "delete":
            response = await platform.gateway.delete(f"{labels}/dog")
        elif step == "add":
            response = await platform.gateway.post(labels, json={"name": "zebra", "color": "#123456"})
        else:
            await edit_through_the_dataset_api(platform, dataset_id, read)
            continue
        assert response.status_code in (200, 201), f"{order}: {step}: {response.text}"
    return dataset_id


async def check_agreement(platform: LabelingPlatform, dataset_id: str, order: tuple[str, ...]) -> None:
    owner = await platform.wait_for(f"/api/labeling/datasets/{dataset_id}", what="labeling's set")
    assert (names(owner["labels"]), owner["label_set_revision"]) == (EXPECTED, 3), order

    def projected(body: dict[str, Any]) -> bool:
        return bool(body["label_set_revision"] == 3)

    projection = await platform.wait_for(
        f"/api/datasets/{dataset_id}", what="dataset-svc's projection", check=projected
    )
    assert (projection["labels"], projection["description"]) == (owner["labels"], "edited"), order

    sample_url = f"/api/datasets/{dataset_id}/samples"
    await platform.wait_for(
        sample_url,
        what="renamed shapes in dataset-svc",
        check=lambda b: [s["label_counts"] for s in b["items"]] == [{"feline": 1}],
    )
    published = await platform.gateway.post(f"/api/datasets/{dataset_id}/versions", json={})
    assert published.status_code == 202, published.text
    version = await platform.wait_for(
        f"/api/datasets/{dataset_id}/versions/{published.json()['id']}",
        what="version published",
        check=lambda b: b["status"] == "published",
    )
    statistics = [(s["label"], s["shapes"], s["samples"]) for s in version["statistics"]["labels"]]
    assert statistics == [("feline", 1, 1), ("zebra", 0, 0)], order

    # a later edit through the dataset API (a rename of the dataset) reaches labeling and brings nothing back
    renamed = await platform.gateway.patch(f"/api/datasets/{dataset_id}", json={"name": f"{projection['name']}-r"})
    assert renamed.status_code == 200, renamed.text
    again = await platform.wait_for(
        f"/api/labeling/datasets/{dataset_id}",
        what="labeling follows the dataset's rename",
        check=lambda b: b["name"].endswith("-r"),
    )
    assert names(again["labels"]) == EXPECTED, order
    assert names((await platform.gateway.get(f"/api/datasets/{dataset_id}")).json()["labels"]) == EXPECTED


async def test_one_owner_of_the_label_set_in_every_order(platform: LabelingPlatform, unique: str) -> None:
    orders = list(itertools.permutations(STEPS))
    assert len(orders) == 24

    async def one(index: int, order: tuple[str, ...]) -> None:
        dataset_id = await run_in_order(platform, unique, index, order)
        await check_agreement(platform, dataset_id, order)

    await asyncio.gather(*(one(i, order) for i, order in enumerate(orders)))
