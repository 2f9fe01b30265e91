"""The geometry rules of shapes that more than one service applies: where a rotated rectangle's corners are, which
frame a video shape is at, and how a box moves between two keyframes of its object. Pure: no IO.

labeling-svc validates and interpolates with them; the export formats convert with them, so a box an annotator saw
interpolated in the editor is the box a training pipeline gets."""

from __future__ import annotations

import math

from labelstream_shared.events.contracts import Shape

Point = tuple[float, float]


def rotated_corners(corners: list[Point], degrees: float) -> list[Point]:
    """The corners turned by `degrees` clockwise (y points down) about their centre."""
    cx = sum(x for x, _ in corners) / len(corners)
    cy = sum(y for _, y in corners) / len(corners)
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [(cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos) for x, y in corners]


def frame_of(shape: Shape, fps: float | None) -> float | None:
    """The shape's frame index, from the time point and the frame rate where it was not given."""
    if shape.frame_index is not None:
        return float(shape.frame_index)
    if shape.time_point_s is not None and fps:
        return shape.time_point_s * fps
    return None


def interpolate(before: tuple[float, Shape], after: tuple[float, Shape], *, frame: int, object_id: str) -> Shape:
    """The box of `object_id` at `frame` between two of its keyframes (frame, shape): corners, rotation and time
    point move in proportion to the frame's position between them."""
    (f0, a), (f1, b) = before, after
    w = (frame - f0) / (f1 - f0)

    def mix(x: float, y: float) -> float:
        return x + (y - x) * w

    points = tuple((mix(p[0], q[0]), mix(p[1], q[1])) for p, q in zip(a.points, b.points, strict=False))
    rotation = None if a.rotation is None else mix(a.rotation, b.rotation if b.rotation is not None else a.rotation)
    t0, t1 = a.time_point_s, b.time_point_s
    time_point = None if t0 is None or t1 is None else mix(t0, t1)
    return a.model_copy(
        update={
            "shape_id": f"{object_id}@{frame}",
            "points": points,
            "rotation": rotation,
            "time_point_s": time_point,
            "frame_index": frame,
        }
    )
