"""Acceptance (issue 3): deleting samples with their source removes those objects from the bucket and only those;
before confirming, the preview counts the other datasets referencing them (two datasets share a prefix)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from conftest import GATEWAY_URL
from tests.storage import ensure_bucket, minio_client, put_objects
from tests.support import admin_headers, eventually, gateway_client

pytestmark = pytest.mark.e2e


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=30) as client:
        yield client


async def synced_dataset(gateway: httpx.AsyncClient, *, name: str, bucket: str) -> str:
    body = {
        "name": name,
        "labeling_type": "image_segmentation",
        "input_path": {"bucket": bucket, "prefix": "shared/"},
        "output_path": {"bucket": bucket, "prefix": f"out-{name}/"},
    }
    created = await gateway.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id: str = created.json()["id"]

    async def run_started() -> bool:
        return (await gateway.post(f"/api/sync/datasets/{dataset_id}/runs")).status_code == 202

    await eventually(run_started, timeout=30, what="sync run accepted")

    async def four_samples() -> bool:
        return len(await samples(gateway, dataset_id)) == 4

    await eventually(four_samples, timeout=60, what=f"{name} has its 4 samples")
    return dataset_id


async def samples(gateway: httpx.AsyncClient, dataset_id: str) -> dict[str, dict[str, Any]]:
    page = (await gateway.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 100})).json()
    return {s["key"]: s for s in page["items"]}


async def test_delete_with_source_removes_only_those_objects(gateway: httpx.AsyncClient, unique: str) -> None:
    client = minio_client()
    bucket = f"e2e-delete-{unique}"
    await asyncio.to_thread(ensure_bucket, client, bucket)
    keys = [f"shared/{name}.png" for name in "abcd"]
    await asyncio.to_thread(put_objects, client, bucket, keys)
    first = await synced_dataset(gateway, name=f"first {unique}", bucket=bucket)
    second = await synced_dataset(gateway, name=f"second {unique}", bucket=bucket)

    chosen = await samples(gateway, first)
    selection = {"sample_ids": [chosen["shared/a.png"]["id"], chosen["shared/b.png"]["id"]]}
    preview = await gateway.post(f"/api/datasets/{first}/samples/deletion-preview", json=selection)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"samples": 2, "other_datasets": 1, "versions": 0, "shared_objects": 2}

    deleted = await gateway.post(f"/api/datasets/{first}/samples/deletions", json={**selection, "delete_source": True})
    assert deleted.status_code in (200, 202), deleted.text

    async def objects_gone() -> bool:
        left = await asyncio.to_thread(lambda: sorted(o.object_name for o in client.list_objects(bucket, "shared/")))
        return left == ["shared/c.png", "shared/d.png"]

    await eventually(objects_gone, timeout=30, what="sync-svc deleted exactly the two source objects")
    assert sorted(await samples(gateway, first)) == ["shared/c.png", "shared/d.png"]

    async def other_dataset_told() -> bool:
        theirs = await samples(gateway, second)
        return all(theirs[k]["source_missing"] for k in ("shared/a.png", "shared/b.png"))

    await eventually(other_dataset_told, timeout=30, what="the dataset sharing the objects flags them")
    theirs = await samples(gateway, second)
    assert not theirs["shared/c.png"]["source_missing"]
    assert not theirs["shared/d.png"]["source_missing"]
