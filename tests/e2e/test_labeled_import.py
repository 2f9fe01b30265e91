"""Acceptance (issue 3): an import with labels from a JSON Lines manifest ends with the samples known to
dataset-svc and their annotations known to labeling-svc; a malformed line is reported per item, the rest imports."""

from __future__ import annotations

import asyncio
import json
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


async def test_labeled_manifest_import(gateway: httpx.AsyncClient, unique: str) -> None:
    client = minio_client()
    bucket, staging = f"e2e-import-{unique}", f"e2e-staging-{unique}"
    for name in (bucket, staging):
        await asyncio.to_thread(ensure_bucket, client, name)
    await asyncio.to_thread(put_objects, client, staging, ["pics/cat.png", "pics/dog.png"])
    box = {"kind": "rectangle", "label": "cat", "points": [[2, 3], [40, 50]]}
    manifest = [
        json.dumps({"source": f"s3://{staging}/pics/cat.png", "shapes": [box], "labeled_by": "importer"}),
        '{"source": broken',
        json.dumps({"source": f"s3://{staging}/pics/dog.png"}),
    ]
    text = "\n".join(manifest).encode()
    await asyncio.to_thread(put_objects, client, staging, ["manifest.jsonl"], text)

    body = {
        "name": f"import {unique}",
        "labeling_type": "object_detection",
        "input_path": {"bucket": bucket, "prefix": "in/"},
        "output_path": {"bucket": bucket, "prefix": "out/"},
        "labels": [{"name": "cat", "color": "#ff8800"}],
    }
    created = await gateway.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]

    request = {
        "source": {"kind": "manifest", "bucket": staging, "key": "manifest.jsonl"},
        "mode": "copy",
        "labeled": True,
    }

    async def started() -> bool:
        response = await gateway.post(f"/api/sync/datasets/{dataset_id}/imports", json=request)
        return response.status_code == 202

    await eventually(started, timeout=30, what="import accepted")
    task: dict[str, Any] = {}

    async def finished() -> bool:
        history = (await gateway.get(f"/api/sync/datasets/{dataset_id}/imports")).json()["items"]
        task.update(history[0])
        return bool(task["status"] in ("succeeded", "failed"))

    await eventually(finished, timeout=60, what="import finished")
    assert task["status"] == "succeeded", task
    assert task["counts"]["imported"] == 2
    assert [(e["line"], e["error"].split(":")[0]) for e in task["errors"]] == [(2, "not JSON")]

    samples: dict[str, Any] = {}

    async def samples_known() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples")).json()
        samples.update({s["key"]: s for s in page["items"]})
        return len(samples) == 2

    # dataset-svc may still be working through the suite's earlier events (one transaction per MediaProcessed)
    await eventually(samples_known, timeout=120, what="dataset-svc has both samples")
    assert sorted(samples) == ["in/pics/cat.png", "in/pics/dog.png"]  # copied into the input path
    cat = samples["in/pics/cat.png"]["id"]
    annotation: dict[str, Any] = {}

    async def annotated() -> bool:
        # 404 until labeling-svc has consumed the samples' DataAdded (it may lag behind dataset-svc)
        answer = await gateway.get(f"/api/labeling/datasets/{dataset_id}/samples/{cat}/annotation")
        annotation.update(answer.json() if answer.status_code == 200 else {})
        return bool(annotation.get("revision", 0) >= 1)

    await eventually(annotated, timeout=120, what="labeling-svc has the imported annotation")
    assert [(s["label"], s["kind"]) for s in annotation["shapes"]] == [("cat", "rectangle")]
    assert annotation["labeled_by"] == "importer"
