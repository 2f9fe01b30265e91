"""Every validation rule of the domain, with valid and invalid shapes, and properties over generated shapes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labeling_svc.domain.shapes import Limits, MediaInfo, ShapeProblem, validate_shapes
from labelstream_shared.events.contracts import Shape
from shapely import LinearRing, MultiPoint, Polygon

IMAGE = MediaInfo(kind="image", width=100, height=80)
VIDEO = MediaInfo(kind="video", width=100, height=80, duration_s=10.0, fps=25.0, frame_count=250)
UNKNOWN_SIZE = MediaInfo(kind="image")
LABELS = {"cat", "dog"}


def shape(kind: str, points: Any, *, label: str = "cat", shape_id: str = "s", **extra: Any) -> Shape:
    return Shape.model_validate({"shape_id": shape_id, "kind": kind, "label": label, "points": points, **extra})


def rules(*shapes: Shape, media: MediaInfo = IMAGE, limits: Limits | None = None) -> list[str]:
    return [p.rule for p in validate_shapes(shapes, media=media, labels=LABELS, limits=limits or Limits())]


VALID = [
    shape("point", [(0, 0)]),
    shape("point", [(100, 80)]),
    shape("polyline", [(1, 1), (50, 50), (1, 50)]),
    shape("polygon", [(1, 1), (50, 1), (50, 50)]),
    shape("polygon", [(1, 1), (50, 1), (50, 50), (1, 1)]),  # explicitly closed
    shape("polygon", [(10, 10), (90, 10), (90, 70), (50, 30), (10, 70)]),  # concave
    shape("rectangle", [(0, 0), (100, 80)]),
    shape("rectangle", [(50, 50), (10, 10)]),  # corners in any order
    shape("rotated_rectangle", [(40, 30), (60, 50)], rotation=45),
    shape("circle", [(50, 40), (60, 40)]),
]


@pytest.mark.parametrize("valid", VALID, ids=[f"{s.kind}-{i}" for i, s in enumerate(VALID)])
def test_valid_shapes_pass(valid: Shape) -> None:
    assert rules(valid) == []


INVALID = [
    ("bowtie", shape("polygon", [(0, 0), (50, 50), (50, 0), (0, 50)]), "self_intersecting"),
    ("spike touching itself", shape("polygon", [(0, 0), (40, 0), (40, 40), (20, 0), (0, 40)]), "self_intersecting"),
    ("two points", shape("polygon", [(0, 0), (5, 5)]), "too_few_points"),
    ("three points, two equal", shape("polygon", [(0, 0), (5, 5), (0, 0), (5, 5)]), "too_few_points"),
    ("collinear", shape("polygon", [(0, 0), (5, 5), (10, 10)]), "zero_area"),
    ("polygon outside", shape("polygon", [(90, 70), (110, 70), (100, 79)]), "outside_image"),
    ("negative point", shape("point", [(-0.5, 3)]), "outside_image"),
    ("point twice", shape("point", [(1, 1), (2, 2)]), "wrong_point_count"),
    ("polyline of one", shape("polyline", [(1, 1), (1, 1)]), "too_few_points"),
    ("box outside", shape("rectangle", [(50, 50), (101, 60)]), "outside_frame"),
    ("flat box", shape("rectangle", [(50, 50), (60, 50)]), "zero_area"),
    ("box of three", shape("rectangle", [(1, 1), (2, 2), (3, 3)]), "wrong_point_count"),
    ("rotation missing", shape("rotated_rectangle", [(40, 30), (60, 50)]), "rotation_required"),
    ("rotated out", shape("rotated_rectangle", [(0, 0), (100, 20)], rotation=30), "outside_frame"),
    ("zero circle", shape("circle", [(5, 5), (5, 5)]), "zero_area"),
    ("circle out", shape("circle", [(5, 5), (15, 5)]), "outside_image"),
    ("NaN", shape("point", [(math.nan, 1)]), "not_finite"),
    ("Infinity", shape("rectangle", [(1, 1), (math.inf, 5)]), "not_finite"),
    ("NaN rotation", shape("rotated_rectangle", [(40, 30), (60, 50)], rotation=math.nan), "not_finite"),
    ("unknown label", shape("point", [(1, 1)], label="zebra"), "unknown_label"),
    ("time on image", shape("point", [(1, 1)], time_point_s=1.0), "time_point_on_image"),
    ("frame on image", shape("point", [(1, 1)], frame_index=2), "time_point_on_image"),
]


@pytest.mark.parametrize(("invalid", "rule"), [(s, r) for _, s, r in INVALID], ids=[n for n, _, _ in INVALID])
def test_each_rule_names_itself(invalid: Shape, rule: str) -> None:
    assert rules(invalid) == [rule]


def test_video_time_points_must_lie_inside_the_video() -> None:
    def at(t: float | None, frame: int | None = None) -> Shape:
        return shape("rectangle", [(1, 1), (5, 5)], time_point_s=t, frame_index=frame, shape_id=f"{t}-{frame}")

    assert rules(at(0.0), at(10.0), at(3.5, 87), media=VIDEO) == []
    assert rules(at(None), media=VIDEO) == ["time_point_required"]
    assert rules(at(10.01), media=VIDEO) == ["time_point_outside_video"]
    assert rules(at(-1.0), media=VIDEO) == ["time_point_outside_video"]
    assert rules(at(1.0, 250), media=VIDEO) == ["frame_outside_video"]
    assert rules(at(math.inf), media=VIDEO) == ["not_finite"]


def test_caps_on_points_and_shapes() -> None:
    limits = Limits(max_points_per_shape=4, max_shapes_per_sample=2)
    five = shape("polyline", [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)])
    assert rules(five, limits=limits) == ["too_many_points"]
    three = [shape("point", [(1, 1)], shape_id=f"s{i}") for i in range(3)]
    assert rules(*three, limits=limits) == ["too_many_shapes"]
    assert rules(*three[:2], limits=limits) == []


def test_every_problem_is_reported_with_its_shape_index() -> None:
    good = shape("point", [(1, 1)], shape_id="a")
    problems = validate_shapes(
        [good, shape("point", [(1, 1)], shape_id="a"), shape("point", [(500, 1)], shape_id="c")],
        media=IMAGE,
        labels=LABELS,
    )
    assert problems == [
        ShapeProblem(index=1, shape_id="a", rule="duplicate_shape_id", message="shape id 'a' is used twice"),
        ShapeProblem(index=2, shape_id="c", rule="outside_image", message="the point reaches outside the 100x80 image"),
    ]
    assert problems[1].pointer == "/shapes/2"


MANY_RULES = [
    (
        "bowtie of an unknown label leaving the image",
        shape("polygon", [(0, 0), (150, 50), (150, 0), (0, 50)], label="zebra"),
        ["unknown_label", "self_intersecting", "outside_image"],
    ),
    (
        "huge box of an unknown label",
        shape("rectangle", [(1, 1), (5000, 5000)], label="x"),
        ["unknown_label", "outside_frame"],
    ),
    ("flat box outside", shape("rectangle", [(150, 1), (150, 50)]), ["zero_area", "outside_frame"]),
    ("flat polygon outside", shape("polygon", [(0, 0), (200, 0), (300, 0)]), ["zero_area", "outside_image"]),
    ("zero circle outside", shape("circle", [(500, 5), (500, 5)]), ["zero_area", "outside_image"]),
    (
        "one-point polygon of an unknown label",
        shape("polygon", [(1, 1)], label="x"),
        ["unknown_label", "too_few_points"],
    ),
    ("1e15 with an unknown label", shape("point", [(1e15, 1)], label="x"), ["unknown_label", "out_of_range"]),
    ("NaN with an unknown label", shape("point", [(math.nan, 1)], label="x"), ["unknown_label", "not_finite"]),
    (
        "rotated box of 3 points without rotation",
        shape("rotated_rectangle", [(1, 1), (2, 2), (3, 3)]),
        ["wrong_point_count", "rotation_required"],
    ),
    (
        "time point and frame on an image, outside",
        shape("point", [(500, 1)], time_point_s=1.0),
        ["time_point_on_image", "outside_image"],
    ),
]


@pytest.mark.parametrize(("invalid", "expected"), [(s, r) for _, s, r in MANY_RULES], ids=[n for n, _, _ in MANY_RULES])
def test_every_rule_a_shape_breaks_is_reported(invalid: Shape, expected: list[str]) -> None:
    assert rules(invalid) == expected


def test_every_rule_of_a_video_shape_and_a_duplicate_id_is_reported() -> None:
    first = shape("rectangle", [(1, 1), (5, 5)], time_point_s=1.0, shape_id="a")
    again = shape("rectangle", [(1, 1), (500, 5)], frame_index=300, shape_id="a", label="x")
    assert rules(first, again, media=VIDEO) == [
        "duplicate_shape_id",
        "unknown_label",
        "time_point_required",
        "frame_outside_video",
        "outside_frame",
    ]
    late = shape("point", [(1, 1)], time_point_s=11.0, frame_index=-1)
    assert rules(late, media=VIDEO) == ["time_point_outside_video", "frame_outside_video"]


def test_without_the_image_size_everything_but_the_bounds_is_checked() -> None:
    far = shape("rectangle", [(1000, 1000), (2000, 2000)])
    assert rules(far, media=UNKNOWN_SIZE) == []
    assert rules(shape("polygon", [(0, 0), (50, 50), (50, 0), (0, 50)]), media=UNKNOWN_SIZE) == ["self_intersecting"]


# Properties over generated shapes.

coordinate = st.floats(min_value=0, max_value=100, allow_nan=False)
inside_point = st.tuples(coordinate, st.floats(min_value=0, max_value=80, allow_nan=False))
any_float = st.floats(allow_nan=True, allow_infinity=True)


@given(st.lists(inside_point, min_size=1, max_size=1))
def test_any_point_inside_the_image_is_valid(points: list[tuple[float, float]]) -> None:
    assert rules(shape("point", points)) == []


@given(inside_point, inside_point)
def test_a_box_inside_the_image_is_valid_unless_flat(a: tuple[float, float], b: tuple[float, float]) -> None:
    found = rules(shape("rectangle", [a, b]))
    flat = a[0] == b[0] or a[1] == b[1]
    assert found == (["zero_area"] if flat else [])


@given(st.lists(st.tuples(any_float, any_float), min_size=1, max_size=8), st.sampled_from(["polygon", "polyline"]))
@settings(max_examples=300)
def test_a_non_finite_number_is_always_refused(points: list[tuple[float, float]], kind: str) -> None:
    found = rules(shape(kind, points))
    if not all(math.isfinite(c) for p in points for c in p):
        assert found == ["not_finite"]
    elif any(abs(c) > 1e12 for p in points for c in p):
        assert found == ["out_of_range"]


@given(st.lists(inside_point, min_size=3, max_size=12))
@settings(max_examples=300)
def test_a_polygon_is_accepted_exactly_when_it_is_a_simple_ring_with_area(points: list[tuple[float, float]]) -> None:
    found = rules(shape("polygon", points))
    ring = points[:-1] if points[0] == points[-1] else points
    if len(set(ring)) < 3:
        assert found == ["too_few_points"]
        return
    hull, area, simple = MultiPoint(ring).convex_hull.area, Polygon(ring).area, LinearRing(ring).is_simple
    if found == []:
        assert simple and area > 1e-9 and hull > 1e-9
    else:
        assert found in (["zero_area"], ["self_intersecting"])
        assert not (simple and area > 1e-9 and hull > 1e-9)


@given(st.floats(min_value=-360, max_value=360, allow_nan=False), st.floats(min_value=1, max_value=39))
def test_a_rotated_square_is_inside_exactly_when_its_rotated_extent_is(rotation: float, half: float) -> None:
    box = shape("rotated_rectangle", [(50 - half, 40 - half), (50 + half, 40 + half)], rotation=rotation)
    radians = math.radians(rotation)
    extent = half * (abs(math.cos(radians)) + abs(math.sin(radians)))  # half the rotated square's bounding box
    if abs(extent - 40) > 1e-3:  # away from the boundary, where rounding decides
        assert rules(box) == ([] if extent < 40 else ["outside_frame"])
