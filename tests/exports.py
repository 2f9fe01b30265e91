"""Helpers of the export tests: a published version of PNGs in raw-data, the first labeled with every shape kind;
exporting it; waiting for ExportCompleted as an outside consumer reads it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from labelstream_testing.gateway import start_sync
from labelstream_testing.labeling import LabelingPlatform, sample_id_of
from PIL import Image

from conftest import KAFKA_BOOTSTRAP
from tests.storage import minio_client
from tests.support import read_topic

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
    """A dataset of 3 PNGs in raw-data (the first labeled with every kind), published: (dataset, version, keys).

    The samples come the way a user's do, through the real pipeline only (the input path's notifications and a sync
    run, then media-svc): events of our own for the same keys would race it with other etags."""
    dataset_id = await platform.create_dataset(name, labels=("cat", "dog"))
    keys = [f"{name}/street/{i}.png" for i in range(3)]
    storage = minio_client()
    for i, key in enumerate(keys):
        data = png(40 * i)
        storage.put_object("raw-data", key, io.BytesIO(data), len(data))
    await start_sync(platform.gateway, dataset_id)
    # A version is what dataset-svc holds when it is published: wait until it holds all three with their sizes (YOLO
    # and VOC need a picture's size), and labeling-svc too, as it checks the shapes against them.
    await platform.wait_for(
        f"/api/datasets/{dataset_id}/samples?limit=10", what="3 samples with sizes in dataset-svc", check=holds(3)
    )
    ids = [sample_id_of(dataset_id, key) for key in keys]
    await platform.wait_for_media(dataset_id, ids)
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


def holds(count: int) -> Callable[[dict[str, Any]], bool]:
    """A check that a listing of samples holds `count`, each with its picture's size known."""

    def check(body: dict[str, Any]) -> bool:
        items = body["items"]
        return len(items) == count and all((s.get("media") or {}).get("width") for s in items)

    return check


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


def datumaro_items(folder: Path, fmt: str) -> list[Any]:
    """The items datumaro reads from an extracted archive. datumaro sets its image backend (a context variable) only
    in the context that imported it first, so it is set here for the calling one."""
    from datumaro.components.dataset import Dataset
    from datumaro.util.image import IMAGE_BACKEND, ImageBackend

    IMAGE_BACKEND.set(ImageBackend.PIL)
    return list(Dataset.import_from(str(folder), fmt))
