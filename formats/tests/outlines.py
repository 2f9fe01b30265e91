"""The source shapes' areas built with Shapely, independently of the module's conversions, for the format tests: a
rotated rectangle turned about its centre, a circle as Shapely's 64-segment buffer, the part inside the picture, and
the pixels whose centres an outline covers."""

from __future__ import annotations

import numpy as np
import shapely
from labelstream_shared.events.contracts import Shape
from shapely import affinity
from shapely.geometry import Polygon, box


def outline(s: Shape) -> Polygon:
    """The shape's area (None-free: only for kinds with an area)."""
    (x0, y0), (x1, y1) = s.points[0], s.points[1]
    if s.kind == "rectangle":
        return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    if s.kind == "rotated_rectangle":
        return affinity.rotate(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), s.rotation or 0, "center")
    if s.kind == "circle":
        return shapely.Point(x0, y0).buffer(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, quad_segs=16)
    return Polygon(s.points)


def visible(s: Shape, width: int, height: int) -> Polygon:
    """The part of the shape's area inside the picture."""
    part = outline(s).intersection(box(0, 0, width, height))
    assert isinstance(part, Polygon)
    return part


def with_area(shapes: tuple[Shape, ...]) -> list[Shape]:
    return [s for s in shapes if s.kind not in ("point", "polyline")]


def covered(area: Polygon, width: int, height: int) -> np.ndarray:
    """The pixels whose centres lie inside the area or on its edge."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.asarray(shapely.intersects_xy(area, xs + 0.5, ys + 0.5), dtype=bool)
