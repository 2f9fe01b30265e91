"""Acceptance (issue 11, points 2 and 3): a labeled import passes the same shape rules as the API. A manifest holding
every kind of invalid shape imports its good lines; each bad line is a per-item error naming its rules; no invalid
shape reaches labeling-svc's or dataset-svc's database, or Kafka (labels and latest labels, read here with a plain
consumer); a manifest naming one object twice imports it once and the task succeeds."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from conftest import GATEWAY_URL, KAFKA_BOOTSTRAP, MONGO_URL
from tests.storage import ensure_bucket, minio_client, put_objects
from tests.support import admin_headers, eventually, gateway_client, read_topic

pytestmark = pytest.mark.e2e

W, H = 200, 100
BAD = "bad-"  # the id of every invalid shape starts so; none may be stored or announced


def png(width: int, height: int) -> bytes:
    """A real grey PNG image, so that media-svc learns its size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def shape(shape_id: str, kind: str, points: Any, label: str = "cat") -> dict[str, Any]:
    return {"shape_id": shape_id, "kind": kind, "label": label, "points": points}


BOWTIE = [[10, 10], [60, 60], [60, 10], [10, 60]]
# (object, shapes, the rules its line must be refused for; [] for a good line)
LINES: list[tuple[str, list[dict[str, Any]], list[str]]] = [
    ("good.png", [shape("good-box", "rectangle", [[2, 3], [40, 50]])], []),
    ("unknown.png", [shape(f"{BAD}zebra", "polygon", BOWTIE, label="zebra")], ["unknown_label", "self_intersecting"]),
    ("huge.png", [shape(f"{BAD}huge", "rectangle", [[1, 1], [5000, 5000]])], ["outside_frame"]),
    ("lonely.png", [shape(f"{BAD}lonely", "polygon", [[5, 5]])], ["too_few_points"]),
    ("far.png", [shape(f"{BAD}far", "point", [[1e15, 5]])], ["out_of_range"]),
    (
        "twice.png",
        [shape(f"{BAD}same", "point", [[1, 1]]), shape(f"{BAD}same", "point", [[2, 2]])],
        ["duplicate_shape_id"],
    ),
    ("good.png", [shape(f"{BAD}again", "point", [[3, 3]])], ["duplicate"]),  # the object named again
    ("poly.png", [shape("good-poly", "polygon", [[10, 10], [90, 10], [50, 80]])], []),
]
NAN_SHAPE = '{"shape_id": "bad-nan", "kind": "point", "label": "cat", "points": [[NaN, 1]]}'  # Python's json reads it
NAN_LINE = '{"source": "s3://{staging}/pics/nan.png", "shapes": [' + NAN_SHAPE + "]}"


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=30) as client:
        yield client


async def read_labels(topic: str, dataset_id: str) -> list[dict[str, Any]]:
    """Every LabelChanged of the dataset on `topic`, from the beginning to the end seen at the start."""
    return [e for e in await read_topic(KAFKA_BOOTSTRAP, topic) if e["data"].get("dataset_id") == dataset_id]


async def stored_documents(database: str, dataset_id: str) -> str:
    """Every document of the dataset in a service's database, as text."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL)
    try:
        db = client[database]
        names = [n for n in await db.list_collection_names() if "outbox" not in n]  # events: read from Kafka
        docs = [d for name in names async for d in db[name].find({"dataset_id": dataset_id})]
        return json.dumps(docs, default=str)
    finally:
        await client.close()


async def import_manifest(
    gateway: httpx.AsyncClient, unique: str, *, objects: list[str], lines: list[str], labeled: bool, mode: str
) -> tuple[str, str]:
    """A dataset (label `cat`) and an import of a manifest of `lines` (`{staging}` in them is the bucket holding
    `objects`, 200x100 images); returns the dataset's and the import task's ids."""
    client = minio_client()
    bucket, staging = f"e2e-limport-{unique}", f"e2e-lstaging-{unique}"
    for name in (bucket, staging):
        await asyncio.to_thread(ensure_bucket, client, name)
    await asyncio.to_thread(put_objects, client, staging, objects, png(W, H))
    manifest = "\n".join(line.replace("{staging}", staging) for line in lines).encode()
    await asyncio.to_thread(put_objects, client, staging, ["manifest.jsonl"], manifest)
    body = {
        "name": f"limport {unique}",
        "labeling_type": "object_detection",
        "input_path": {"bucket": bucket, "prefix": "in/"},
        "output_path": {"bucket": bucket, "prefix": "out/"},
        "labels": [{"name": "cat", "color": "#ff8800"}],
    }
    created = await gateway.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id = str(created.json()["id"])
    source = {"kind": "manifest", "bucket": staging, "key": "manifest.jsonl"}
    request = {"source": source, "mode": mode, "labeled": labeled}
    task_id = ""

    async def started() -> bool:
        nonlocal task_id
        response = await gateway.post(f"/api/sync/datasets/{dataset_id}/imports", json=request)
        task_id = response.json().get("id", "") if response.status_code == 202 else ""
        return bool(task_id)

    await eventually(started, timeout=30, what="import accepted")
    return dataset_id, task_id


async def task_when(
    gateway: httpx.AsyncClient, task_id: str, done: Callable[[dict[str, Any]], bool], *, what: str
) -> dict[str, Any]:
    task: dict[str, Any] = {}

    async def check() -> bool:
        task.update((await gateway.get(f"/api/sync/imports/{task_id}")).json())
        return task["status"] in ("succeeded", "failed") and done(task)

    await eventually(check, timeout=180, what=what)
    return task


async def test_labeled_import_refuses_every_invalid_shape_per_item(gateway: httpx.AsyncClient, unique: str) -> None:
    objects = sorted({f"pics/{name}" for name, _, _ in LINES} | {"pics/nan.png"})
    manifest = [json.dumps({"source": f"s3://{{staging}}/pics/{n}", "shapes": s}) for n, s, _ in LINES]
    manifest.insert(5, NAN_LINE)  # line 6
    expected = {n: rules for n, (_, _, rules) in enumerate(LINES, start=1)}
    expected = {(n if n < 6 else n + 1): r for n, r in expected.items()}
    expected[6] = ["not_finite"]
    dataset_id, task_id = await import_manifest(
        gateway, unique, objects=objects, lines=manifest, labeled=True, mode="copy"
    )

    def answered(task: dict[str, Any]) -> bool:
        counts = task["counts"]
        settled = counts["annotations_applied"] + counts["annotations_rejected"] == counts["annotated"]
        return bool(settled and counts["annotations_waiting"] == 0)

    task = await task_when(gateway, task_id, answered, what="labeling answered every annotation of the import")
    assert task["status"] == "succeeded", task
    counts = task["counts"]
    # the NaN line is refused whole (no object), the object named again imported once
    assert (counts["imported"], counts["annotated"]) == (7, 7), counts
    assert (counts["annotations_applied"], counts["annotations_rejected"]) == (2, 5), counts
    reported = {e["line"]: e for e in task["errors"]}
    assert sorted(reported) == sorted(n for n, rules in expected.items() if rules), task["errors"]
    for line, error in reported.items():
        for rule in expected[line]:
            assert rule in error["error"], (line, error)
        if error["problems"]:
            assert [p["rule"] for p in error["problems"]] == expected[line], error
            assert all(p["shape_id"].startswith(BAD) for p in error["problems"])

    samples: dict[str, Any] = {}

    async def applied() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples?limit=100")).json()
        samples.update({s["key"]: s for s in page["items"]})
        if {"in/pics/good.png", "in/pics/poly.png"} - set(samples):
            return False
        revisions = []
        for key in ("in/pics/good.png", "in/pics/poly.png"):
            path = f"/api/labeling/datasets/{dataset_id}/samples/{samples[key]['id']}/annotation"
            revisions.append((await gateway.get(path)).json()["revision"])
        return bool(min(revisions) >= 1)

    await eventually(applied, timeout=120, what="the good annotations applied")
    for key, shape_id in (("in/pics/good.png", "good-box"), ("in/pics/poly.png", "good-poly")):
        path = f"/api/labeling/datasets/{dataset_id}/samples/{samples[key]['id']}/annotation"
        annotation = (await gateway.get(path)).json()
        assert ([s["shape_id"] for s in annotation["shapes"]], annotation["revision"]) == ([shape_id], 1)
    assert "in/pics/nan.png" not in samples
    for key in ("unknown", "huge", "lonely", "far", "twice"):
        path = f"/api/labeling/datasets/{dataset_id}/samples/{samples[f'in/pics/{key}.png']['id']}/annotation"
        annotation = (await gateway.get(path)).json()
        assert (annotation["shapes"], annotation["revision"]) == ([], 0), (key, annotation)

    for topic in ("labelstream.labels", "labelstream.labels.latest"):
        events = await read_labels(topic, dataset_id)
        announced = sorted(s["shape_id"] for e in events for s in e["data"]["shapes"])
        assert announced == ["good-box", "good-poly"], (topic, announced)
    for database in ("labeling_svc", "dataset_svc"):
        stored = await stored_documents(database, dataset_id)
        assert "good-box" in stored or database == "dataset_svc", database
        for marker in (BAD, "zebra"):
            assert marker not in stored, (database, marker)


async def test_a_manifest_naming_one_object_twice_imports_it_once(gateway: httpx.AsyncClient, unique: str) -> None:
    names = ["a.png", "b.png", "a.png", "a.png"]
    lines = [json.dumps({"source": f"s3://{{staging}}/{n}"}) for n in names]
    dataset_id, task_id = await import_manifest(
        gateway, unique, objects=["a.png", "b.png"], lines=lines, labeled=False, mode="reference"
    )
    task = await task_when(gateway, task_id, lambda _task: True, what="import finished")
    assert task["status"] == "succeeded", task
    assert (task["counts"]["imported"], task["counts"]["failed"]) == (2, 2), task["counts"]
    assert [(e["line"], e["error"].split(":")[0]) for e in task["errors"]] == [(3, "duplicate"), (4, "duplicate")]

    async def both_samples() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples")).json()
        return sorted(s["key"] for s in page["items"]) == ["a.png", "b.png"]

    await eventually(both_samples, timeout=120, what="dataset-svc has each object once")
