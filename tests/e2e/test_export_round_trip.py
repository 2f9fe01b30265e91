"""Acceptance (issue 12), round trip per format on the real platform: a version of images labeled with every shape
kind → export (with the pictures) → the reference tool loads the archive (datumaro, pycocotools in test_exports.py)
→ "Add data" of the archive into a new dataset, labeled → the new dataset's annotations equal the source for what
the format holds (within 0.5 px), checked by labeling-svc with the API's rules on the way; what the format cannot hold
is counted as skipped with its reason in the export's outcome."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from labelstream_formats import conversions as cv
from labelstream_shared.events.contracts import Shape
from labelstream_shared.samples import sample_id_for
from labelstream_testing.labeling import LabelingPlatform

from tests.exports import SHAPES, datumaro_items, export, is_, labeled_version
from tests.storage import minio_client

pytestmark = pytest.mark.e2e
SOURCE = [Shape.model_validate({"shape_id": str(n), **s}) for n, s in enumerate(SHAPES)]
Expect = Callable[[Shape], list[tuple[str, list[tuple[float, float]]]]]


def as_polygon(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    if s.kind == "rectangle":
        return [("rectangle", list(s.points))]
    outline = cv.polygon(s)
    return [("polygon", outline)] if outline else []


def as_box(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    outline = cv.polygon(s)
    if outline is None:
        return []
    x0, y0, x1, y1 = cv.bounds(outline)
    return [("rectangle", [(x0, y0), (x1, y1)])]


def as_is(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    return [(s.kind, list(s.points))]


# format, options, what comes back of each source shape, the datumaro format that must load the archive
CASES: list[tuple[str, dict[str, Any], Expect, str | None]] = [
    ("coco", {}, as_polygon, "coco_instances"),
    ("manifest", {}, as_is, None),
    ("yolo", {"yolo_task": "detect"}, as_box, "yolo"),
    ("voc", {}, as_box, "voc"),
]


def answered(task: dict[str, Any]) -> bool:
    """The import ended and labeling-svc answered for every annotation it sent."""
    counts = task["counts"]
    replied = counts["annotations_applied"] + counts["annotations_rejected"]
    return task["status"] in ("succeeded", "failed") and replied >= counts["annotated"]


_PUBLISHED: list[tuple[str, str]] = []  # one version for every format of this module


@pytest.fixture
async def version(platform: LabelingPlatform) -> tuple[str, str]:
    if not _PUBLISHED:
        dataset_id, version_id, _ = await labeled_version(platform, f"trip-{uuid.uuid4().hex[:8]}")
        _PUBLISHED.append((dataset_id, version_id))
    return _PUBLISHED[0]


@pytest.mark.parametrize(("fmt", "options", "expect", "reference"), CASES, ids=[c[0] for c in CASES])
async def test_export_then_import_gives_back_what_the_format_holds(
    platform: LabelingPlatform,
    version: tuple[str, str],
    tmp_path: Path,
    fmt: str,
    options: dict[str, Any],
    expect: Expect,
    reference: str | None,
) -> None:
    dataset_id, version_id = version
    queued = await export(platform, dataset_id, version_id, format=fmt, options={**options, "include_media": True})
    done = await platform.wait_for(
        f"/api/datasets/{dataset_id}/exports/{queued['id']}", what=f"{fmt} export", check=is_("completed")
    )
    held = [e for s in SOURCE for e in expect(s)]
    assert sum(done["outcome"]["skipped"].values()) == len([s for s in SOURCE if not expect(s)])
    archive = (await platform.gateway.get(done["archive"]["download"])).content
    if reference is not None:  # the reference tool reads it
        zipfile.ZipFile(io.BytesIO(archive)).extractall(tmp_path / "x")
        loaded = datumaro_items(tmp_path / "x", reference)
        assert len(loaded) == 3
        assert sum(len(item.annotations) for item in loaded) >= len(held)

    key = f"round-trip/{uuid.uuid4().hex}.zip"
    minio_client().put_object("raw-data", key, io.BytesIO(archive), len(archive))
    target = await platform.create_dataset(f"back-{fmt}-{uuid.uuid4().hex[:6]}", labels=("cat", "dog"))
    body = {"source": {"kind": "archive", "bucket": "raw-data", "key": key, "format": fmt}, "labeled": True}
    started = await platform.gateway.post(f"/api/sync/datasets/{target}/imports", json=body)
    assert started.status_code == 202, started.text
    task = await platform.wait_for(
        f"/api/sync/imports/{started.json()['id']}",
        what=f"{fmt} import applied",
        timeout=120,
        check=answered,
    )
    assert (task["status"], task["errors"], task["counts"]["imported"]) == ("succeeded", [], 3), task
    target_prefix = f"{(await platform.gateway.get(f'/api/datasets/{target}')).json()['input_path']['prefix']}"
    sample = sample_id_for(target, f"{target_prefix}street/0.png")
    back = (await platform.annotation(target, sample))["shapes"]
    got = sorted((s["kind"], s["label"], [tuple(p) for p in s["points"]]) for s in back)
    want = sorted((kind, s.label, points) for s in SOURCE for kind, points in expect(s))
    assert [(k, label, len(p)) for k, label, p in got] == [(k, label, len(p)) for k, label, p in want]
    for (_, _, g), (_, _, w) in zip(got, want, strict=True):
        assert all(abs(a - b) <= 0.5 for gp, wp in zip(g, w, strict=True) for a, b in zip(gp, wp, strict=True)), (g, w)
