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


def long_name(size: int) -> str:
    """A file name of `size` bytes: parts of 200 bytes (a part may have at most 255) and a .png at the end."""
    parts, left = [], size - len(".png")
    while left > 201:
        parts.append("d" * 200)
        left -= 201
    return "/".join([*parts, "f" * left]) + ".png"


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

    # names are forwarded as the client encoded them (issue 11, point 5) and stored exactly as named, or refused with
    # a 422 naming the problem: never a 500, never truncated. S3 keys are at most 1,024 bytes (prefix "in/" included).
    base = f"/api/sync/datasets/{dataset_id}/uploads"
    longest = long_name(1024 - len("in/"))
    stored_names = {
        "q%3Fmark.png": "q?mark.png",
        "hash%23tag.png": "hash#tag.png",
        "100%25.png": "100%.png",
        "caf%C3%A9%20%E7%8C%AB.png": "café 猫.png",
        longest: longest,
    }
    for encoded in stored_names:
        stored = await gateway.put(f"{base}/{encoded}", content=PNG_HEADER * 10)
        assert stored.status_code == 201, (encoded[:40], stored.text)
    refused_names = {
        "nul%00byte.png": "control characters",
        f"{'n' * 300}.png": "at most 255 bytes",
        long_name(1025 - len("in/")): "object storage allows 1024",
    }
    for hostile, problem in refused_names.items():
        answer = await gateway.put(f"{base}/{hostile}", content=PNG_HEADER * 10)
        assert answer.status_code == 422, (hostile[:40], answer.status_code, answer.text)
        assert "file name" in answer.json()["message"] and problem in answer.json()["message"], answer.text

    expected = sorted(["in/street/frame 01.png", *(f"in/{name}" for name in stored_names.values())])

    async def sample_listed() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples")).json()
        return sorted(s["key"] for s in page["items"]) == expected

    await eventually(sample_listed, timeout=30, what="the uploaded files are samples, keys exactly as named")
    assert len(f"in/{longest}".encode()) == 1024
    history = (await gateway.get(f"/api/sync/datasets/{dataset_id}/imports")).json()["items"]
    names = sorted(t["source"]["file_name"] for t in history)
    assert names == sorted(["street/frame 01.png", *stored_names.values()]), history
