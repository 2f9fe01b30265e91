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
from labelstream_testing.gateway import mp4, synced_dataset
from labelstream_testing.labeling import LabelingPlatform
from PIL import Image

from tests.exports import SHAPES, datumaro_items, export, is_, labeled_version
from tests.storage import ensure_bucket, minio_client

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


def rotated_as_polygon(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    return [("polygon", cv.polygon(s) or [])] if s.kind == "rotated_rectangle" else as_is(s)


def yolo_segment(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    """A right-angled 4-corner outline comes back as a (rotated) rectangle; other areas as polygons."""
    if s.kind in ("rectangle", "rotated_rectangle"):
        return as_is(s)
    outline = cv.polygon(s)
    return [("polygon", outline)] if outline else []


def boxes_only(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    return as_is(s) if s.kind in ("rectangle", "rotated_rectangle") else []


def as_is(s: Shape) -> list[tuple[str, list[tuple[float, float]]]]:
    return [(s.kind, list(s.points))]


# format, options, what comes back of each source shape, the datumaro format that must load the archive
CASES: list[tuple[str, dict[str, Any], Expect, str | None]] = [
    ("coco", {}, as_polygon, "coco_instances"),
    ("manifest", {}, as_is, None),
    ("yolo", {"yolo_task": "detect"}, as_box, "yolo"),
    ("yolo", {"yolo_task": "segment"}, yolo_segment, None),  # datumaro reads boxes only: checked in formats/tests
    ("yolo", {"yolo_task": "obb"}, boxes_only, None),
    ("voc", {}, as_box, "voc"),
    ("cvat_images", {}, as_is, "cvat"),
    ("datumaro", {}, rotated_as_polygon, "datumaro"),
]


def answered(task: dict[str, Any]) -> bool:
    """The import ended and labeling-svc answered for every annotation it sent."""
    counts = task["counts"]
    replied = counts["annotations_applied"] + counts["annotations_rejected"]
    return task["status"] in ("succeeded", "failed") and replied >= counts["annotated"]


NOT_READ_BY_DATUMARO = {"cvat_images": 1}  # datumaro's CVAT reader skips <ellipse> (our circle)
_PUBLISHED: list[tuple[str, str]] = []  # one version for every format of this module


@pytest.fixture
async def version(platform: LabelingPlatform) -> tuple[str, str]:
    if not _PUBLISHED:
        dataset_id, version_id, _ = await labeled_version(platform, f"trip-{uuid.uuid4().hex[:8]}")
        _PUBLISHED.append((dataset_id, version_id))
    return _PUBLISHED[0]


@pytest.mark.parametrize(
    ("fmt", "options", "expect", "reference"),
    CASES,
    ids=[f"{c[0]}-{c[1].get('yolo_task', '')}".strip("-") for c in CASES],
)
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
        assert sum(len(item.annotations) for item in loaded) >= len(held) - NOT_READ_BY_DATUMARO.get(fmt, 0)

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


def tracks(
    shapes: list[dict[str, Any]],
) -> list[tuple[str, str, tuple[tuple[int, tuple[tuple[float, ...], ...]], ...]]]:
    """Shapes as (kind, label, ((frame, points), ...)) per object (one group per shape without an object), sorted:
    what a video format's round trip must keep, whatever ids it gives the objects."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for n, s in enumerate(shapes):
        groups.setdefault(s.get("object_id") or f"single-{n}", []).append(s)
    return sorted(
        (
            found[0]["kind"],
            found[0]["label"],
            tuple(sorted((s["frame_index"], tuple(tuple(round(c, 1) for c in p) for p in s["points"])) for s in found)),
        )
        for found in groups.values()
    )


async def video_to_label(platform: LabelingPlatform, name: str) -> tuple[str, str]:
    """A dataset whose one sample is a real 5 s clip at clips/road.mp4 under its input path, registered by a sync run
    (an import matches its items to the samples sync-svc registered), with the labels cat and dog: (dataset, sample)."""
    bucket = f"ls-trip-{uuid.uuid4().hex[:10]}"
    storage = minio_client()
    ensure_bucket(storage, bucket)
    clip = mp4(seconds=5.0, fps=25)
    storage.put_object(bucket, "in/clips/road.mp4", io.BytesIO(clip), len(clip))
    dataset_id = await synced_dataset(
        platform.gateway, name=name, labeling_type="video_labeling", bucket=bucket, prefix="in/", samples=1
    )
    for label, color in (("cat", "#ff0000"), ("dog", "#00ff00")):
        added = await platform.gateway.post(
            f"/api/labeling/datasets/{dataset_id}/labels", json={"name": label, "color": color}
        )
        assert added.status_code == 201, added.text
    return dataset_id, sample_id_for(dataset_id, "in/clips/road.mp4")


VIDEO_SHAPES: list[dict[str, Any]] = [
    {"kind": "rectangle", "label": "cat", "points": [[10, 10], [50, 40]], "frame_index": 25, "object_id": "o1"},
    {"kind": "rectangle", "label": "cat", "points": [[30, 20], [70, 50]], "frame_index": 75, "object_id": "o1"},
    {"kind": "rectangle", "label": "dog", "points": [[100, 100], [160, 140]], "frame_index": 50, "object_id": "o2"},
    {"kind": "rectangle", "label": "dog", "points": [[120, 110], [180, 150]], "frame_index": 100, "object_id": "o2"},
    {"kind": "polygon", "label": "cat", "points": [[200, 10], [250, 20], [220, 60]], "frame_index": 50},
]


@pytest.mark.parametrize(("fmt", "held_kinds"), [("cvat_video", {"rectangle", "polygon"}), ("mot", {"rectangle"})])
async def test_a_video_export_with_its_frames_then_import_keeps_every_keyframe_of_every_object(
    platform: LabelingPlatform, fmt: str, held_kinds: set[str]
) -> None:
    source, video = await video_to_label(platform, f"vtrip-{fmt.replace('_', '')}-{uuid.uuid4().hex[:6]}")
    shapes = [{**s, "time_point_s": s["frame_index"] / 25} for s in VIDEO_SHAPES]
    saved = await platform.save(source, video, shapes, revision=0)
    assert saved.status_code == 200, saved.text
    await platform.wait_for(f"/api/datasets/{source}/samples/{video}", what="labels known", check=is_("labeled"))
    published = (await platform.gateway.post(f"/api/datasets/{source}/versions")).json()
    await platform.wait_for(
        f"/api/datasets/{source}/versions/{published['id']}", what="published", check=is_("published")
    )
    queued = await export(platform, source, published["id"], format=fmt, options={"include_media": True})
    done = await platform.wait_for(
        f"/api/datasets/{source}/exports/{queued['id']}", what=f"{fmt} export", check=is_("completed")
    )
    archive = (await platform.gateway.get(done["archive"]["download"])).content
    frames = [n for n in zipfile.ZipFile(io.BytesIO(archive)).namelist() if n.endswith(".jpg")]
    assert len(frames) == 4, frames  # the labeled frames 25, 50, 75, 100, extracted by media-svc
    for name in frames:
        with Image.open(io.BytesIO(zipfile.ZipFile(io.BytesIO(archive)).read(name))) as picture:
            assert (picture.format, picture.size) == ("JPEG", (320, 240))

    key = f"round-trip/{uuid.uuid4().hex}.zip"
    minio_client().put_object("raw-data", key, io.BytesIO(archive), len(archive))
    target, twin = await video_to_label(platform, f"vback-{fmt.replace('_', '')}-{uuid.uuid4().hex[:6]}")
    body = {"source": {"kind": "archive", "bucket": "raw-data", "key": key, "format": fmt}, "labeled": True}
    started = await platform.gateway.post(f"/api/sync/datasets/{target}/imports", json=body)
    assert started.status_code == 202, started.text
    task = await platform.wait_for(
        f"/api/sync/imports/{started.json()['id']}", what=f"{fmt} import", timeout=120, check=answered
    )
    assert (task["status"], task["errors"], task["counts"]["annotations_applied"]) == ("succeeded", [], 1), task
    back = (await platform.annotation(target, twin))["shapes"]
    assert {s["time_point_s"] for s in back} == {1.0, 2.0, 3.0, 4.0}  # times from the frames and the frame rate
    assert tracks(back) == tracks([s for s in shapes if s["kind"] in held_kinds])
