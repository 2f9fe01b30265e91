"""Acceptance (issue 5): the job's sample listing filters (hard example, label, file name/path, labeled by, status)
give the same samples as a brute-force filter over the same data, page by page; and dataset-svc, which follows
LabelChanged, lists the same samples for the same filters."""

from __future__ import annotations

import itertools
import os
import random
from typing import Any

import httpx
import pytest
from labelstream_testing.labeling import LabelingPlatform, box

from conftest import GATEWAY_URL
from tests.support import ensure_user, eventually

pytestmark = pytest.mark.e2e

LABELS = ("cat", "dog", "bird")
# The gateway forwards only the last of repeated query parameters (`label=a&label=b`): queries naming several
# labels go to labeling-svc directly, the others through the gateway.
LABELING_URL = os.environ.get("LS_LABELING_URL", "http://127.0.0.1:8002")
DATASET_URL = os.environ.get("LS_DATASET_URL", "http://127.0.0.1:8001")
USERS = ("ann", "bob")


def brute_force(samples: list[dict[str, Any]], query: dict[str, Any]) -> list[str]:
    def keep(s: dict[str, Any]) -> bool:
        labels = {shape["label"] for shape in s["shapes"]}
        status = "labeled" if s["shapes"] else "unlabeled"
        return (
            query.get("tab", "all") in ("all", status)
            and ("hard_example" not in query or s["hard_example"] == query["hard_example"])
            and (not query.get("label") or bool(labels & set(query["label"])))
            and (not query.get("name") or query["name"].lower() in s["key"].lower())
            and ("labeled_by" not in query or (s["labeled_by"] if s["shapes"] else None) == query["labeled_by"])
        )

    return [s["id"] for s in sorted(samples, key=lambda s: (s["key"], s["id"])) if keep(s)]


async def listed(gateway: httpx.AsyncClient, path: str, query: dict[str, Any], *, limit: int) -> list[str]:
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
    found: list[str] = []
    cursor = None
    while True:
        page = (
            await gateway.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        ).json()
        found += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


QUERIES: list[dict[str, Any]] = [
    {},
    {"tab": "labeled"},
    {"tab": "unlabeled"},
    {"hard_example": True},
    {"hard_example": False, "tab": "labeled"},
    {"label": ["cat"]},
    {"label": ["dog", "bird"]},
    {"label": ["bird"], "tab": "unlabeled"},
    {"name": "PETS/"},
    {"name": "0.png"},
    {"name": "wild/b"},
    {"labeled_by": "ann"},
    {"labeled_by": "bob", "label": ["cat"]},
    {"labeled_by": "bob", "hard_example": True, "name": "pets"},
    {"tab": "labeled", "label": ["cat", "dog"], "hard_example": True, "name": "1"},
]


async def test_filters_equal_a_brute_force_filter(platform: LabelingPlatform, unique: str) -> None:
    rng = random.Random(5)
    dataset_id = await platform.create_dataset(f"flt-{unique}", labels=LABELS)
    keys = [f"{folder}/{letter}{n}.png" for folder, letter, n in itertools.product(("pets", "wild"), "ab", range(12))]
    ids = await platform.add_images(dataset_id, keys)
    samples: dict[str, dict[str, Any]] = {i: {"id": i, "key": k} for i, k in zip(ids, keys, strict=True)}
    auth = {name: await ensure_user(name, "annotator", f"{name}-password", base_url=GATEWAY_URL) for name in USERS}
    for sample_id in ids:
        shapes = [box(rng.choice(LABELS), 1, 1, 5 + n, 5 + n) for n in range(rng.choice((0, 0, 1, 2, 3)))]
        revision = 0
        if shapes:
            saved = await platform.save(dataset_id, sample_id, shapes, revision=0, auth=auth[rng.choice(USERS)])
            assert saved.status_code == 200, saved.text
            revision = 1
        if rng.random() < 0.3:
            url = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation/hard-example"
            flagged = await platform.gateway.put(url, json={"hard_example": True, "base_revision": revision})
            assert flagged.status_code == 200, flagged.text
        samples[sample_id].update(await platform.annotation(dataset_id, sample_id))
    everything = list(samples.values())
    assert {s["labeled_by"] for s in everything if s["shapes"]} == set(USERS)
    assert any(s["hard_example"] for s in everything)

    job = (await platform.gateway.post("/api/labeling/jobs", json={"dataset_id": dataset_id, "name": "f"})).json()
    async with httpx.AsyncClient(base_url=LABELING_URL, timeout=30) as labeling:
        for query in QUERIES:
            client = labeling if len(query.get("label", ())) > 1 else platform.gateway
            found = await listed(client, f"/api/labeling/jobs/{job['id']}/samples", query, limit=7)
            assert found == brute_force(everything, query), query

    last = ids[-1]  # the last one changed

    async def dataset_svc_caught_up(datasets: httpx.AsyncClient) -> bool:
        sample = (await datasets.get(f"/api/datasets/{dataset_id}/samples/{last}")).json()
        if sample.get("hard_example") != samples[last]["hard_example"]:
            return False
        for query in QUERIES:
            found = await listed(datasets, f"/api/datasets/{dataset_id}/samples", query, limit=50)
            if found != brute_force(everything, query):
                return False
        return True

    async with httpx.AsyncClient(base_url=DATASET_URL, timeout=30) as datasets:
        what = "dataset-svc lists the same samples"
        await eventually(lambda: dataset_svc_caught_up(datasets), timeout=120, what=what)
