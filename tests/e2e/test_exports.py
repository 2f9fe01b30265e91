"""Acceptance (issue 12), exports through the gateway on the real platform: a version of images labeled with every
shape kind exported as COCO (with the pictures) is announced by ExportCompleted (read by an outside Kafka consumer)
with its key, size and SHA-256; the archive downloaded through the gateway has that checksum; pycocotools loads it
and every annotation's mask covers the source outline (IoU >= 0.99); a second export is byte-identical; a viewer may
export and download but the archive is 409 until completed."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from labelstream_formats import conversions
from labelstream_shared.events.contracts import Shape
from labelstream_testing.labeling import LabelingPlatform
from PIL import Image
from pycocotools.coco import COCO

from conftest import KAFKA_BOOTSTRAP
from tests.storage import minio_client
from tests.support import read_topic

pytestmark = pytest.mark.e2e
WIDTH, HEIGHT = 200, 100
SHAPES: list[dict[str, Any]] = [
    {"kind": "rectangle", "label": "cat", "points": [[10, 10], [60.5, 40.25]]},
    {"kind": "polygon", "label": "dog", "points": [[100, 10], [150, 20], [140, 80], [105, 60]]},
    {"kind": "rotated_rectangle", "label": "cat", "points": [[30, 55], [70, 85]], "rotation": 30},
    {"kind": "circle", "label": "dog", "points": [[160, 70], [175, 70]]},
    {"kind": "polyline", "label": "cat", "points": [[5, 95], [50, 90], [90, 95]]},
    {"kind": "point", "label": "dog", "points": [[120, 90]]},
]


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (shade, 90, 140)).save(out, format="PNG")
    return out.getvalue()


def pixels(outline: list[tuple[float, float]]) -> np.ndarray:
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    return np.asarray(shapely.intersects_xy(shapely.Polygon(outline), xs + 0.5, ys + 0.5), dtype=bool)


async def labeled_version(platform: LabelingPlatform, name: str) -> tuple[str, str, list[str]]:
    """A dataset of 3 PNGs in raw-data (the first labeled with every kind), published: (dataset, version, keys)."""
    dataset_id = await platform.create_dataset(name, labels=("cat", "dog"))
    keys = [f"{name}/street/{i}.png" for i in range(3)]
    storage = minio_client()
    for i, key in enumerate(keys):
        data = png(40 * i)
        storage.put_object("raw-data", key, io.BytesIO(data), len(data))
    ids = await platform.add_images(dataset_id, keys, width=WIDTH, height=HEIGHT)
    saved = await platform.save(dataset_id, ids[0], SHAPES, revision=0)
    assert saved.status_code == 200, saved.text
    await platform.wait_for(
        f"/api/datasets/{dataset_id}/samples/{ids[0]}", what="labels known to dataset-svc", check=is_("labeled")
    )
    version = (await platform.gateway.post(f"/api/datasets/{dataset_id}/versions")).json()
    await platform.wait_for(
        f"/api/datasets/{dataset_id}/versions/{version['id']}", what="published", check=is_("published")
    )
    return dataset_id, version["id"], keys


def is_(status: str) -> Callable[[dict[str, Any]], bool]:
    """A check that a resource (sample, version, export) has `status`."""

    def check(body: dict[str, Any]) -> bool:
        return bool(body["status"] == status)

    return check


async def completed_events(export_id: str, timeout_s: float = 30) -> list[dict[str, Any]]:
    """The ExportCompleted events of the export, as an outside consumer reads them (the outbox relays them soon)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        events = await read_topic(KAFKA_BOOTSTRAP, "labelstream.datasets", last=50)
        found = [
            e["data"]
            for e in events
            if e["type"] == "io.labelstream.ExportCompleted.v1" and e["data"]["export_id"] == export_id
        ]
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.5)


async def export(platform: LabelingPlatform, dataset_id: str, version_id: str, **body: Any) -> dict[str, Any]:
    response = await platform.gateway.post(f"/api/datasets/{dataset_id}/versions/{version_id}/exports", json=body)
    assert response.status_code == 202, response.text
    queued: dict[str, Any] = response.json()
    return queued


async def test_coco_export_through_the_gateway_loads_in_pycocotools_and_is_reproducible(
    platform: LabelingPlatform, tmp_path: Path
) -> None:
    dataset_id, version_id, _ = await labeled_version(platform, f"exp-{uuid.uuid4().hex[:8]}")
    first = await export(platform, dataset_id, version_id, format="coco", options={"include_media": True})
    early = await platform.gateway.get(f"/api/datasets/{dataset_id}/exports/{first['id']}/archive")
    assert early.status_code in (200, 409)  # 409 unless it already completed
    done = await platform.wait_for(
        f"/api/datasets/{dataset_id}/exports/{first['id']}", what="export completed", check=is_("completed")
    )
    archive = done["archive"]
    assert done["outcome"]["skipped"] == {
        "polyline: COCO instances hold areas only": 1,
        "point: COCO instances hold areas only": 1,
    }

    announced = await completed_events(first["id"])
    assert [(a["archive"]["prefix"], a["size"], a["sha256"]) for a in announced] == [
        (archive["location"]["key"], archive["size"], archive["sha256"])
    ]

    download = await platform.gateway.get(archive["download"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == archive["sha256"]
    contents = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(contents.namelist()) == ["annotations/instances_default.json"] + [
        f"images/street/{i}.png" for i in range(3)
    ]
    assert contents.read("images/street/1.png") == png(40)
    (tmp_path / "instances.json").write_bytes(contents.read("annotations/instances_default.json"))
    coco = COCO(str(tmp_path / "instances.json"))
    (image,) = [i for i in coco.imgs.values() if i["file_name"] == "street/0.png"]
    annotations = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
    sources = [Shape.model_validate({"shape_id": str(n), **s}) for n, s in enumerate(SHAPES)]
    with_area = [s for s in sources if conversions.polygon(s) is not None]
    assert len(annotations) == len(with_area) == 4
    for annotation, source in zip(annotations, with_area, strict=True):
        assert coco.cats[annotation["category_id"]]["name"] == source.label
        mask, expected = coco.annToMask(annotation).astype(bool), pixels(conversions.polygon(source) or [])
        assert (mask & expected).sum() / (mask | expected).sum() >= 0.99, source.kind

    second = await export(platform, dataset_id, version_id, format="coco", options={"include_media": True})
    again = await platform.wait_for(
        f"/api/datasets/{dataset_id}/exports/{second['id']}", what="second export", check=is_("completed")
    )
    assert again["archive"]["sha256"] == archive["sha256"]
    assert again["archive"]["location"]["key"] != archive["location"]["key"]
