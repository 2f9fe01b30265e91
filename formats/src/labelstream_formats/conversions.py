"""The conversions between Labelstream's shapes and what formats hold, written once: every shape as a polygon
(circle → 64-gon, rectangle and rotated rectangle → 4 corners), as an axis-aligned box, as an oriented box; areas;
and a video's shapes per frame, at its labeled time points or at every frame an object's box is interpolated.
Pure."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from labelstream_shared.events.contracts import Shape
from labelstream_shared.geometry import frame_of, interpolate, rotated_corners

from labelstream_formats.model import Item

Point = tuple[float, float]
CIRCLE_SEGMENTS = 64
AREA_KINDS = frozenset({"polygon", "rectangle", "rotated_rectangle", "circle"})
BOX_KINDS = frozenset({"rectangle", "rotated_rectangle"})


def corners(shape: Shape) -> list[Point]:
    """The 4 corners of a (rotated) rectangle, clockwise from the top-left one before rotation."""
    (x0, y0), (x1, y1) = shape.points[0], shape.points[1]
    left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    box = [(left, top), (right, top), (right, bottom), (left, bottom)]
    return rotated_corners(box, shape.rotation or 0.0) if shape.kind == "rotated_rectangle" else box


def polygon(shape: Shape) -> list[Point] | None:
    """The outline of a shape with an area (None for points and polylines)."""
    if shape.kind == "polygon":
        points = list(shape.points)
        return points[:-1] if len(points) > 3 and points[0] == points[-1] else points
    if shape.kind in BOX_KINDS:
        return corners(shape)
    if shape.kind == "circle":
        (cx, cy), (ex, ey) = shape.points[0], shape.points[1]
        r = math.hypot(ex - cx, ey - cy)
        return ellipse(cx, cy, r, r)
    return None


def ellipse(cx: float, cy: float, rx: float, ry: float, degrees: float = 0.0) -> list[Point]:
    """An ellipse's outline as a CIRCLE_SEGMENTS-gon, turned `degrees` clockwise about its centre (formats that hold
    ellipses: a circle, or what an import can only hold as a polygon)."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    outline = []
    for i in range(CIRCLE_SEGMENTS):
        t = 2 * math.pi * i / CIRCLE_SEGMENTS
        dx, dy = rx * math.cos(t), ry * math.sin(t)
        outline.append((cx + dx * cos - dy * sin, cy + dx * sin + dy * cos))
    return outline


def bounds(points: Iterable[Point]) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max)."""
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def area(points: list[Point]) -> float:
    """The area of a simple polygon (shoelace)."""
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True))) / 2


def clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@dataclass(frozen=True, slots=True)
class FrameShapes:
    """The shapes of one frame of a video: labeled there (keyframes) or interpolated between an object's keyframes."""

    frame: int
    shapes: tuple[Shape, ...]
    keyframe: bool  # some shape is labeled at this frame


def frames(item: Item, *, interpolated: bool) -> Iterator[FrameShapes]:
    """A video's shapes frame by frame, in frame order: every labeled time point, and with `interpolated` every
    frame between two keyframes of an object (the boxes the editor shows there)."""
    located: dict[int, list[Shape]] = defaultdict(list)
    tracks: dict[str, list[tuple[float, Shape]]] = defaultdict(list)
    for shape in item.shapes:
        f = frame_of(shape, item.fps)
        if f is None:
            continue
        located[round(f)].append(shape)
        if shape.object_id is not None and shape.kind in BOX_KINDS:
            tracks[shape.object_id].append((f, shape))
    wanted = set(located)
    if interpolated:
        for keyframes in tracks.values():
            fs = sorted(round(f) for f, _ in keyframes)
            if len(fs) > 1:
                wanted.update(range(fs[0], fs[-1] + 1))
    for frame in sorted(wanted):
        shapes = list(located.get(frame, ()))
        if interpolated:
            shapes += interpolated_at(tracks, frame, labeled={s.object_id for s in shapes if s.object_id})
        yield FrameShapes(frame=frame, shapes=tuple(shapes), keyframe=frame in located)


def interpolated_at(tracks: dict[str, list[tuple[float, Shape]]], frame: int, *, labeled: set[str]) -> list[Shape]:
    """The boxes of the objects not labeled at `frame` that have a keyframe before and after it."""
    found = []
    for object_id, keyframes in sorted(tracks.items()):
        if object_id in labeled:
            continue
        before = max(((f, s) for f, s in keyframes if f < frame), default=None, key=lambda k: k[0])
        after = min(((f, s) for f, s in keyframes if f > frame), default=None, key=lambda k: k[0])
        if before is not None and after is not None:
            found.append(interpolate(before, after, frame=frame, object_id=object_id))
    return found


def frame_name(item: Item, frame: int) -> str:
    """The picture of a video's frame in an export: `<video path>/frame_000042.jpg`."""
    return f"{item.name}/frame_{frame:06d}.jpg"


def clipped(outline: list[Point], width: float, height: float) -> list[Point]:
    """The part of an outline inside the picture [0, width] x [0, height] (Sutherland-Hodgman: the outline cut by
    each of the picture's 4 edges in turn); empty when it lies outside."""
    points = list(outline)
    for axis, edge, sign in ((0, 0.0, 1), (0, width, -1), (1, 0.0, 1), (1, height, -1)):
        kept: list[Point] = []
        for i, current in enumerate(points):
            previous = points[i - 1]
            current_in, previous_in = (current[axis] - edge) * sign >= 0, (previous[axis] - edge) * sign >= 0
            if current_in != previous_in:
                kept.append(_crossing(previous, current, axis, edge))
            if current_in:
                kept.append(current)
        points = kept
    return points


def _crossing(a: Point, b: Point, axis: int, edge: float) -> Point:
    """Where the segment a-b meets the line x = edge (axis 0) or y = edge (axis 1)."""
    t = (edge - a[axis]) / (b[axis] - a[axis])
    x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
    return (edge, y) if axis == 0 else (x, edge)


def spans(outline: list[Point], width: int, height: int) -> Iterator[tuple[int, int, int]]:
    """The pixels of a `width` x `height` picture whose centres lie inside the outline (even-odd rule; a centre on a
    left or right edge is inside), row by row as (row, first column, last column)."""
    ys = [y for _, y in outline]
    top, bottom = max(0, math.ceil(min(ys) - 0.5)), min(height - 1, math.floor(max(ys) - 0.5))
    edges = list(zip(outline, outline[1:] + outline[:1], strict=True))
    for row in range(top, bottom + 1):
        y = row + 0.5
        xs = sorted(
            x0 + (y - y0) * (x1 - x0) / (y1 - y0) for (x0, y0), (x1, y1) in edges if y0 <= y < y1 or y1 <= y < y0
        )
        for a, b in zip(xs[::2], xs[1::2], strict=True):
            first, last = max(0, math.ceil(a - 0.5)), min(width - 1, math.floor(b - 0.5))
            if first <= last:
                yield row, first, last
