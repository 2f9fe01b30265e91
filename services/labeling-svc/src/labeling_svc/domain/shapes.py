"""Shape validation: the rules every annotation write must pass, checked with Shapely. Pure: no IO.

A write is checked whole and every problem is reported with the index of its shape and the rule it breaks, so a
client can point at it; a write with any problem is refused whole.

Geometry of each kind (pixel coordinates, origin at the top-left corner):
- point: one point; polyline: at least 2 distinct points; polygon: at least 3 distinct points, closed implicitly
  (a repeated first point at the end is accepted and dropped), simple (no self-intersection), non-zero area;
- rectangle: two opposite corners, non-zero width and height; rotated_rectangle: the same plus `rotation`
  (degrees, clockwise about the centre); circle: the centre and a point on the circumference (radius > 0).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from labelstream_shared.events.contracts import MediaKind, Shape
from pydantic import BaseModel, ConfigDict
from shapely import LinearRing, MultiPoint, Polygon

MAX_POINTS_PER_SHAPE = 10_000
MAX_SHAPES_PER_SAMPLE = 1_000
MIN_AREA = 1e-9  # square pixels: less is a degenerate polygon (and floating-point noise)
MAX_COORDINATE = 1e12  # far beyond any image; keeps the geometry library's arithmetic finite
Point = tuple[float, float]


class MediaInfo(BaseModel):
    """What validation needs to know of a sample's media (learnt from MediaProcessed); None where unknown."""

    model_config = ConfigDict(frozen=True)

    kind: MediaKind
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    fps: float | None = None
    frame_count: int | None = None

    @property
    def knows_frame(self) -> bool:
        return self.width is not None and self.height is not None


class ShapeProblem(BaseModel):
    """One broken rule; `index` is the shape's position in the write (None: the write as a whole)."""

    model_config = ConfigDict(frozen=True)

    index: int | None
    shape_id: str | None
    rule: str
    message: str

    @property
    def pointer(self) -> str:
        """A JSON pointer into the request body."""
        return "/shapes" if self.index is None else f"/shapes/{self.index}"


@dataclass(frozen=True)
class Limits:
    max_points_per_shape: int = MAX_POINTS_PER_SHAPE
    max_shapes_per_sample: int = MAX_SHAPES_PER_SAMPLE


class _RuleBrokenError(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def validate_shapes(
    shapes: Sequence[Shape], *, media: MediaInfo, labels: Collection[str], limits: Limits = Limits()
) -> list[ShapeProblem]:
    """Every problem of a sample's complete set of shapes; empty when the set is valid."""
    problems: list[ShapeProblem] = []
    if len(shapes) > limits.max_shapes_per_sample:
        message = f"{len(shapes)} shapes; at most {limits.max_shapes_per_sample} per sample"
        return [ShapeProblem(index=None, shape_id=None, rule="too_many_shapes", message=message)]
    seen: set[str] = set()
    for index, shape in enumerate(shapes):
        try:
            if shape.shape_id in seen:
                raise _RuleBrokenError("duplicate_shape_id", f"shape id {shape.shape_id!r} is used twice")
            seen.add(shape.shape_id)
            check_shape(shape, media=media, labels=labels, limits=limits)
        except _RuleBrokenError as broken:
            problems.append(
                ShapeProblem(index=index, shape_id=shape.shape_id, rule=broken.rule, message=broken.message)
            )
    return problems


def check_shape(shape: Shape, *, media: MediaInfo, labels: Collection[str], limits: Limits) -> None:
    """Raises _RuleBrokenError naming the first rule the shape breaks."""
    if shape.label not in labels:
        raise _RuleBrokenError("unknown_label", f"label {shape.label!r} is not in the dataset's label set")
    if len(shape.points) > limits.max_points_per_shape:
        raise _RuleBrokenError("too_many_points", f"{len(shape.points)} points; at most {limits.max_points_per_shape}")
    numbers = [c for p in shape.points for c in p]
    numbers += [v for v in (shape.rotation, shape.time_point_s) if v is not None]
    if not all(math.isfinite(n) for n in numbers):
        raise _RuleBrokenError("not_finite", "numbers must be finite (no NaN or Infinity)")
    if any(abs(n) > MAX_COORDINATE for n in numbers):
        raise _RuleBrokenError("out_of_range", f"numbers must lie within ±{MAX_COORDINATE:g}")
    _check_time_point(shape, media)
    outline = _outline(shape)
    if media.knows_frame:
        _check_inside(outline, width=float(media.width or 0), height=float(media.height or 0), kind=shape.kind)


def _check_time_point(shape: Shape, media: MediaInfo) -> None:
    if media.kind == "image":
        if shape.time_point_s is not None or shape.frame_index is not None:
            raise _RuleBrokenError("time_point_on_image", "an image's shapes have no time point or frame index")
        return
    if shape.time_point_s is None:
        raise _RuleBrokenError("time_point_required", "a video's shapes need a time point (time_point_s)")
    if shape.time_point_s < 0 or (media.duration_s is not None and shape.time_point_s > media.duration_s):
        raise _RuleBrokenError(
            "time_point_outside_video",
            f"time point {shape.time_point_s}s is outside the video (0..{media.duration_s}s)",
        )
    if shape.frame_index is not None and (
        shape.frame_index < 0 or (media.frame_count is not None and shape.frame_index >= media.frame_count)
    ):
        raise _RuleBrokenError(
            "frame_outside_video", f"frame {shape.frame_index} is outside the video (0..{media.frame_count} frames)"
        )


def _distinct(points: Sequence[Point]) -> list[Point]:
    return list(dict.fromkeys(points))


def _outline(shape: Shape) -> list[Point]:
    """The points whose extent must lie inside the frame, after the kind's own rules hold."""
    points = list(shape.points)
    match shape.kind:
        case "point":
            _need(len(points) == 1, "wrong_point_count", "a point has exactly 1 point")
            return points
        case "polyline":
            _need(len(_distinct(points)) >= 2, "too_few_points", "a polyline needs at least 2 distinct points")
            return points
        case "polygon":
            return _polygon(points)
        case "rectangle":
            return _box(points)
        case "rotated_rectangle":
            _need(shape.rotation is not None, "rotation_required", "a rotated rectangle needs `rotation` (degrees)")
            return rotated_corners(_box(points), shape.rotation or 0.0)
        case "circle":
            _need(len(points) == 2, "wrong_point_count", "a circle has 2 points: centre and a point on the circle")
            (cx, cy), (px, py) = points
            radius = math.hypot(px - cx, py - cy)
            _need(radius > 0, "zero_area", "a circle needs a radius above zero")
            return [(cx - radius, cy - radius), (cx + radius, cy + radius)]
    raise _RuleBrokenError("unknown_kind", f"unknown shape kind {shape.kind!r}")  # pragma: no cover - Literal guards it


def _polygon(points: list[Point]) -> list[Point]:
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]  # explicitly closed
    _need(len(_distinct(points)) >= 3, "too_few_points", "a polygon needs at least 3 distinct points")
    _need(MultiPoint(points).convex_hull.area > MIN_AREA, "zero_area", "a polygon's points all lie on one line")
    ring = LinearRing(points)
    _need(ring.is_simple, "self_intersecting", "a polygon's edges must not cross or touch each other")
    _need(Polygon(points).area > MIN_AREA, "zero_area", "a polygon needs an area above zero")
    return points


def _box(points: list[Point]) -> list[Point]:
    _need(len(points) == 2, "wrong_point_count", "a rectangle has 2 points: opposite corners")
    (x0, y0), (x1, y1) = points
    _need(x0 != x1 and y0 != y1, "zero_area", "a rectangle needs a width and a height above zero")
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def rotated_corners(corners: list[Point], degrees: float) -> list[Point]:
    cx = sum(x for x, _ in corners) / len(corners)
    cy = sum(y for _, y in corners) / len(corners)
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [(cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos) for x, y in corners]


def _check_inside(outline: list[Point], *, width: float, height: float, kind: str) -> None:
    xs, ys = [x for x, _ in outline], [y for _, y in outline]
    epsilon = 1e-6  # rotated corners carry rounding errors
    if min(xs) < -epsilon or min(ys) < -epsilon or max(xs) > width + epsilon or max(ys) > height + epsilon:
        rule = "outside_frame" if kind in ("rectangle", "rotated_rectangle") else "outside_image"
        raise _RuleBrokenError(rule, f"the {kind} reaches outside the {width:g}x{height:g} image")


def _need(condition: bool, rule: str, message: str) -> None:
    if not condition:
        raise _RuleBrokenError(rule, message)
