"""Acceptance (issue 5): 50 adversarial annotation writes through the gateway all get 422 pointing at the problem,
and storage is unchanged (same revision and shapes, no history entry, no LabelChanged)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from labelstream_testing.labeling import LabelingPlatform, box

pytestmark = pytest.mark.e2e

W, H = 640, 480  # the image's size
NAN, INF = math.nan, math.inf


def poly(*points: Any, label: str = "cat") -> dict[str, Any]:
    return {"kind": "polygon", "label": label, "points": [list(p) for p in points]}


def shape(kind: str, points: Any, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "label": "cat", "points": points, **extra}


GOOD = box("cat", 10, 10, 20, 20)
BOWTIE = poly((0, 0), (100, 100), (100, 0), (0, 100))
# (name, shapes or a whole raw body, the rule or the field the answer must point at)
CASES: list[tuple[str, Any, str]] = [
    ("bowtie polygon", [BOWTIE], "self_intersecting"),
    ("bowtie after a good shape", [GOOD, BOWTIE], "self_intersecting"),
    ("figure eight", [poly((10, 10), (50, 50), (90, 10), (90, 90), (50, 50), (10, 90))], "self_intersecting"),
    ("crossing star", [poly((50, 0), (61, 90), (0, 30), (100, 30), (39, 90))], "self_intersecting"),
    ("polygon with 2 points", [poly((1, 1), (5, 5))], "too_few_points"),
    ("polygon with repeated points", [poly((1, 1), (5, 5), (1, 1), (5, 5))], "too_few_points"),
    ("collinear polygon", [poly((0, 0), (10, 10), (20, 20))], "zero_area"),
    ("polygon outside right", [poly((600, 10), (700, 10), (650, 50))], "outside_image"),
    ("polygon above", [poly((10, -5), (50, 10), (30, 40))], "outside_image"),
    ("polygon far away", [poly((1e9, 1e9), (1e9 + 1, 1e9), (1e9, 1e9 + 1))], "outside_image"),
    ("box outside", [box("cat", 600, 400, 700, 500)], "outside_frame"),
    ("box negative", [box("cat", -10, -10, 5, 5)], "outside_frame"),
    ("box zero width", [box("cat", 10, 10, 10, 50)], "zero_area"),
    ("box with 3 points", [shape("rectangle", [[1, 1], [2, 2], [3, 3]])], "wrong_point_count"),
    ("box with 1 point", [shape("rectangle", [[1, 1]])], "wrong_point_count"),
    ("rotated box without rotation", [shape("rotated_rectangle", [[100, 100], [200, 150]])], "rotation_required"),
    ("rotated box leaving the frame", [shape("rotated_rectangle", [[1, 1], [300, 100]], rotation=45)], "outside_frame"),
    ("circle zero radius", [shape("circle", [[50, 50], [50, 50]])], "zero_area"),
    ("circle leaving the image", [shape("circle", [[10, 10], [30, 10]])], "outside_image"),
    ("point with 2 points", [shape("point", [[1, 1], [2, 2]])], "wrong_point_count"),
    ("point outside", [shape("point", [[641, 10]])], "outside_image"),
    ("polyline of one point", [shape("polyline", [[5, 5], [5, 5]])], "too_few_points"),
    ("NaN coordinate", [box("cat", NAN, 1, 5, 5)], "not_finite"),
    ("Infinity coordinate", [box("cat", 1, 1, INF, 5)], "not_finite"),
    ("-Infinity in polygon", [poly((1, 1), (-INF, 5), (5, 1))], "not_finite"),
    ("NaN rotation", [shape("rotated_rectangle", [[100, 100], [200, 150]], rotation=NAN)], "not_finite"),
    ("100,000 points", [poly(*[(1 + i % 600, 1 + (i * 7) % 470) for i in range(100_000)])], "too_many_points"),
    ("1,001 shapes", [box("cat", 1, 1, 2, 2, shape_id=f"s{i}") for i in range(1001)], "too_many_shapes"),
    ("unknown label", [box("zebra", 1, 1, 5, 5)], "unknown_label"),
    ("label in other case", [box("Cat", 1, 1, 5, 5)], "unknown_label"),
    ("duplicate shape ids", [box("cat", 1, 1, 5, 5, shape_id="x"), box("dog", 2, 2, 6, 6, shape_id="x")], "duplicate"),
    ("time point on an image", [box("cat", 1, 1, 5, 5, time_point_s=1.0)], "time_point_on_image"),
    ("frame index on an image", [box("cat", 1, 1, 5, 5, frame_index=3)], "time_point_on_image"),
    ("unknown kind", [shape("ellipse", [[1, 1], [2, 2]])], "shapes.0.kind"),
    ("label is a number", [{"kind": "point", "label": 7, "points": [[1, 1]]}], "shapes.0.label"),
    ("points is a string", [shape("polygon", "1,2 3,4 5,6")], "shapes.0.points"),
    ("point of 3 numbers", [shape("point", [[1, 2, 3]])], "shapes.0.points"),
    ("coordinate is a string", [shape("point", [["1", 2]])], "shapes.0.points"),
    ("coordinate is a boolean", [shape("point", [[True, 2]])], "shapes.0.points"),
    ("coordinate is null", [shape("point", [[None, 2]])], "shapes.0.points"),
    ("missing kind", [{"label": "cat", "points": [[1, 1]]}], "shapes.0.kind"),
    ("missing points", [{"kind": "point", "label": "cat"}], "shapes.0.points"),
    ("unknown field", [{**GOOD, "colour": "red"}], "shapes.0.colour"),
    ("frame index is a float", [box("cat", 1, 1, 5, 5, frame_index=1.5)], "shapes.0.frame_index"),
    ("empty label", [box("", 1, 1, 5, 5)], "shapes.0.label"),
    ("shapes is an object", {"shapes": {"a": GOOD}}, "body.shapes"),
    ("shapes missing", {}, "body.shapes"),
    ("body is a list", [[GOOD]], "body"),
    ("revision is a string", {"shapes": [GOOD], "base_revision": "one"}, "body.base_revision"),
    ("shape is a string", ["rectangle"], "shapes.0"),
]


def test_there_are_fifty_cases() -> None:
    assert len(CASES) == 50
    assert len({name for name, _, _ in CASES}) == 50


async def test_adversarial_writes_get_422_and_change_nothing(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"adv-{unique}")
    (sample_id,) = await platform.add_images(dataset_id, ["adv.png"], width=W, height=H)
    url = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
    saved = await platform.save(dataset_id, sample_id, [box("dog", 100, 100, 200, 200, shape_id="keep")], revision=0)
    assert saved.status_code == 200, saved.text
    before = await platform.annotation(dataset_id, sample_id)
    history_before = (await platform.gateway.get(f"{url}/history")).json()["items"]

    failures = []
    for name, shapes, where in CASES:
        body = shapes if isinstance(shapes, dict) else {"shapes": shapes}
        if name == "body is a list":
            body = shapes
        raw = json.dumps(body).encode()  # NaN and Infinity as the JavaScript literals, as a careless client sends them
        headers = {"If-Match": '"1"', "Content-Type": "application/json"}
        response = await platform.gateway.put(url, content=raw, headers=headers)
        answer = response.json()
        pointed = " ".join(
            f"{d.get('pointer', '')} {d.get('rule', '')} {d.get('field', '')}" for d in answer.get("details", [])
        )
        if response.status_code != 422 or where not in pointed:
            failures.append((name, response.status_code, answer.get("message", "")[:200]))
    assert failures == []

    assert await platform.annotation(dataset_id, sample_id) == before
    assert (await platform.gateway.get(f"{url}/history")).json()["items"] == history_before


async def test_the_answer_names_the_shape_index_and_the_rule(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"adv1-{unique}")
    (sample_id,) = await platform.add_images(dataset_id, ["one.png"])
    response = await platform.save(dataset_id, sample_id, [GOOD, GOOD | {"shape_id": "b"}, BOWTIE], revision=0)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_annotation"
    assert body["message"].startswith("shape 2 (")
    assert [(d["pointer"], d["shape_index"], d["rule"]) for d in body["details"]] == [
        ("/shapes/2", 2, "self_intersecting")
    ]
