"""Add data by upload through the gateway: the file lands in the input path and becomes a sample."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from conftest import GATEWAY_URL
from tests.storage import PNG_HEADER, ensure_bucket, minio_client
from tests.support import admin_headers, eventually, gateway_client

pytestmark = pytest.mark.e2e


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=30) as client:
        yield client


async def test_uploaded_file_becomes_a_sample(gateway: httpx.AsyncClient, unique: str) -> None:
    bucket = f"e2e-upload-{unique}"
    await asyncio.to_thread(ensure_bucket, minio_client(), bucket)
    body = {
        "name": f"upload {unique}",
        "labeling_type": "image_segmentation",
        "input_path": {"bucket": bucket, "prefix": "in/"},
        "output_path": {"bucket": bucket, "prefix": "out/"},
    }
    created = await gateway.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    url = f"/api/sync/datasets/{dataset_id}/uploads/street/frame 01.png"

    async def uploaded() -> bool:
        return (await gateway.put(url, content=PNG_HEADER * 1000)).status_code == 201

    await eventually(uploaded, timeout=30, what="upload accepted once sync-svc knows the dataset")
    refused = await gateway.put(f"/api/sync/datasets/{dataset_id}/uploads/readme.txt", content=b"hello")
    assert refused.status_code == 422

    # names are forwarded as the client encoded them (issue 11, point 5): ? and # stay part of the name
    base = f"/api/sync/datasets/{dataset_id}/uploads"
    for encoded in ("q%3Fmark.png", "hash%23tag.png"):
        stored = await gateway.put(f"{base}/{encoded}", content=PNG_HEADER * 10)
        assert stored.status_code == 201, (encoded, stored.text)
    for hostile in ("nul%00byte.png", f"{'n' * 300}.png"):
        answer = await gateway.put(f"{base}/{hostile}", content=PNG_HEADER * 10)
        assert answer.status_code == 422, (hostile, answer.status_code, answer.text)
        assert "file name" in answer.json()["message"], answer.text

    async def sample_listed() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples")).json()
        return sorted(s["key"] for s in page["items"]) == ["in/hash#tag.png", "in/q?mark.png", "in/street/frame 01.png"]

    await eventually(sample_listed, timeout=30, what="the uploaded file is a sample")
    history = (await gateway.get(f"/api/sync/datasets/{dataset_id}/imports")).json()["items"]
    names = sorted(t["source"]["file_name"] for t in history)
    assert names == ["hash#tag.png", "q?mark.png", "street/frame 01.png"], history
