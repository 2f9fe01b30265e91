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
from labelstream_shared.geometry import rotated_corners
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


Found = list[tuple[str, str]]  # (rule, message) of each problem of one shape


def validate_shapes(
    shapes: Sequence[Shape], *, media: MediaInfo, labels: Collection[str], limits: Limits = Limits()
) -> list[ShapeProblem]:
    """Every problem of a sample's complete set of shapes (every rule each shape breaks); empty when it is valid."""
    if len(shapes) > limits.max_shapes_per_sample:  # a cost guard: the shapes themselves are not looked at
        message = f"{len(shapes)} shapes; at most {limits.max_shapes_per_sample} per sample"
        return [ShapeProblem(index=None, shape_id=None, rule="too_many_shapes", message=message)]
    problems: list[ShapeProblem] = []
    seen: set[str] = set()
    for index, shape in enumerate(shapes):
        found: Found = []
        if shape.shape_id in seen:
            found.append(("duplicate_shape_id", f"shape id {shape.shape_id!r} is used twice"))
        seen.add(shape.shape_id)
        found += shape_problems(shape, media=media, labels=labels, limits=limits)
        problems += [ShapeProblem(index=index, shape_id=shape.shape_id, rule=r, message=m) for r, m in found]
    return problems


def shape_problems(shape: Shape, *, media: MediaInfo, labels: Collection[str], limits: Limits) -> Found:
    """Every rule one shape breaks. Rules that need what an earlier one found broken (the geometry of a shape whose
    numbers are not finite, the bounds of a polygon with too few points) are not checked for that shape."""
    found: Found = []
    if shape.label not in labels:
        found.append(("unknown_label", f"label {shape.label!r} is not in the dataset's label set"))
    if len(shape.points) > limits.max_points_per_shape:  # a cost guard: the geometry is not looked at
        found.append(("too_many_points", f"{len(shape.points)} points; at most {limits.max_points_per_shape}"))
        return found
    numbers = [c for p in shape.points for c in p]
    numbers += [v for v in (shape.rotation, shape.time_point_s) if v is not None]
    if not all(math.isfinite(n) for n in numbers):
        return [*found, ("not_finite", "numbers must be finite (no NaN or Infinity)")]
    if any(abs(n) > MAX_COORDINATE for n in numbers):
        return [*found, ("out_of_range", f"numbers must lie within ±{MAX_COORDINATE:g}")]
    found += _time_point_problems(shape, media)
    outline = _outline(shape, found)
    if outline is not None and media.knows_frame:
        found += _outside_problems(
            outline, width=float(media.width or 0), height=float(media.height or 0), kind=shape.kind
        )
    return found


def _time_point_problems(shape: Shape, media: MediaInfo) -> Found:
    if media.kind == "image":
        if shape.time_point_s is not None or shape.frame_index is not None:
            return [("time_point_on_image", "an image's shapes have no time point or frame index")]
        return []
    found: Found = []
    if shape.time_point_s is None:
        found.append(("time_point_required", "a video's shapes need a time point (time_point_s)"))
    elif shape.time_point_s < 0 or (media.duration_s is not None and shape.time_point_s > media.duration_s):
        message = f"time point {shape.time_point_s}s is outside the video (0..{media.duration_s}s)"
        found.append(("time_point_outside_video", message))
    if shape.frame_index is not None and (
        shape.frame_index < 0 or (media.frame_count is not None and shape.frame_index >= media.frame_count)
    ):
        message = f"frame {shape.frame_index} is outside the video (0..{media.frame_count} frames)"
        found.append(("frame_outside_video", message))
    return found


def _distinct(points: Sequence[Point]) -> list[Point]:
    return list(dict.fromkeys(points))


def _outline(shape: Shape, found: Found) -> list[Point] | None:
    """The points whose extent must lie inside the frame, with the kind's own problems added to `found`; None when
    the shape has no outline to place (a wrong number of points, a rotated rectangle without rotation)."""
    points = list(shape.points)
    match shape.kind:
        case "point":
            return (
                points if _need(len(points) == 1, found, "wrong_point_count", "a point has exactly 1 point") else None
            )
        case "polyline":
            enough = _need(
                len(_distinct(points)) >= 2, found, "too_few_points", "a polyline needs at least 2 distinct points"
            )
            return points if enough else None
        case "polygon":
            return _polygon(points, found)
        case "rectangle":
            return _box(points, found)
        case "rotated_rectangle":
            corners = _box(points, found)
            if not _need(
                shape.rotation is not None, found, "rotation_required", "a rotated rectangle needs `rotation` (degrees)"
            ):
                return None
            return rotated_corners(corners, shape.rotation or 0.0) if corners else None
        case "circle":
            if not _need(
                len(points) == 2, found, "wrong_point_count", "a circle has 2 points: centre and a point on the circle"
            ):
                return None
            (cx, cy), (px, py) = points
            radius = math.hypot(px - cx, py - cy)
            _need(radius > 0, found, "zero_area", "a circle needs a radius above zero")
            return [(cx - radius, cy - radius), (cx + radius, cy + radius)]
    found.append(("unknown_kind", f"unknown shape kind {shape.kind!r}"))  # pragma: no cover - Literal guards it
    return None  # pragma: no cover


def _polygon(points: list[Point], found: Found) -> list[Point] | None:
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]  # explicitly closed
    if not _need(len(_distinct(points)) >= 3, found, "too_few_points", "a polygon needs at least 3 distinct points"):
        return None
    flat = MultiPoint(points).convex_hull.area <= MIN_AREA
    if not _need(not flat, found, "zero_area", "a polygon's points all lie on one line"):
        return points  # a flat ring's crossings say nothing more
    if _need(
        LinearRing(points).is_simple, found, "self_intersecting", "a polygon's edges must not cross or touch each other"
    ):
        _need(Polygon(points).area > MIN_AREA, found, "zero_area", "a polygon needs an area above zero")
    return points


def _box(points: list[Point], found: Found) -> list[Point] | None:
    if not _need(len(points) == 2, found, "wrong_point_count", "a rectangle has 2 points: opposite corners"):
        return None
    (x0, y0), (x1, y1) = points
    _need(x0 != x1 and y0 != y1, found, "zero_area", "a rectangle needs a width and a height above zero")
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _outside_problems(outline: list[Point], *, width: float, height: float, kind: str) -> Found:
    xs, ys = [x for x, _ in outline], [y for _, y in outline]
    epsilon = 1e-6  # rotated corners carry rounding errors
    if min(xs) < -epsilon or min(ys) < -epsilon or max(xs) > width + epsilon or max(ys) > height + epsilon:
        rule = "outside_frame" if kind in ("rectangle", "rotated_rectangle") else "outside_image"
        return [(rule, f"the {kind} reaches outside the {width:g}x{height:g} image")]
    return []


def _need(condition: bool, found: Found, rule: str, message: str) -> bool:
    """Adds the problem when the condition does not hold; returns the condition."""
    if not condition:
        found.append((rule, message))
    return condition
