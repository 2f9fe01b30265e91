"""Shapes over a video's time: labeled time points, and keyframe interpolation of boxes. Pure: no IO.

A labeled time point is a keyframe. Boxes (rectangles and rotated rectangles) of one object (`object_id`) at two
keyframes are interpolated linearly for any frame between them: corners, rotation and time point move in
proportion to the frame's position between the two keyframes. Before the first and after the last keyframe of an
object there is no box; at a keyframe the labeled box itself is returned. An interpolated box is checked with the
rules of every write (`shapes.validate_shapes`; a rotated box turning between two keyframes may sweep a corner out of
the frame) and carries the problems found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import Shape
from labelstream_shared.geometry import frame_of, interpolate
from pydantic import BaseModel, ConfigDict

from labeling_svc.domain.shapes import MediaInfo, validate_shapes

BOX_KINDS = ("rectangle", "rotated_rectangle")


class TimePoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    time_point_s: float
    frame_index: int | None
    shapes: int
    labels: tuple[str, ...]


class RuleBroken(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    message: str


class FrameShape(BaseModel):
    model_config = ConfigDict(frozen=True)

    shape: Shape
    interpolated: bool
    problems: tuple[RuleBroken, ...] = ()  # the rules an interpolated box breaks (never stored as it is)


def time_points(shapes: Iterable[Shape]) -> list[TimePoint]:
    """The labeled time points of a video, in time order."""
    by_time: dict[float, list[Shape]] = defaultdict(list)
    for shape in shapes:
        if shape.time_point_s is not None:
            by_time[shape.time_point_s].append(shape)
    return [
        TimePoint(
            time_point_s=t,
            frame_index=next((s.frame_index for s in found if s.frame_index is not None), None),
            shapes=len(found),
            labels=tuple(sorted({s.label for s in found})),
        )
        for t, found in sorted(by_time.items())
    ]


def shapes_at_frame(
    shapes: Iterable[Shape], *, frame: int, fps: float | None, media: MediaInfo | None = None
) -> list[FrameShape]:
    """The shapes of one frame: those labeled at it, and boxes interpolated between an object's keyframes (checked
    against `media` where given); 422 for a frame past the video's end (when its frame count is known)."""
    frame_count = media.frame_count if media else None
    if frame_count is not None and frame >= frame_count:
        raise InvalidInputError(
            f"frame_index: frame {frame} is outside the video ({frame_count} frames: 0 to {frame_count - 1})"
        )
    located = [(f, s) for s in shapes if (f := frame_of(s, fps)) is not None]
    found = [FrameShape(shape=s, interpolated=False) for f, s in located if f == frame]
    labeled_objects = {fs.shape.object_id for fs in found if fs.shape.object_id is not None}
    tracks: dict[str, list[tuple[float, Shape]]] = defaultdict(list)
    for f, s in located:
        if s.object_id is not None and s.kind in BOX_KINDS and s.object_id not in labeled_objects:
            tracks[s.object_id].append((f, s))
    for object_id, keyframes in sorted(tracks.items()):
        before = max(((f, s) for f, s in keyframes if f < frame), default=None, key=lambda k: k[0])
        after = min(((f, s) for f, s in keyframes if f > frame), default=None, key=lambda k: k[0])
        if before is None or after is None:
            continue
        shape = interpolate(before, after, frame=frame, object_id=object_id)
        found.append(FrameShape(shape=shape, interpolated=True, problems=_problems(shape, media)))
    return found


def _problems(shape: Shape, media: MediaInfo | None) -> tuple[RuleBroken, ...]:
    if media is None:
        return ()
    problems = validate_shapes([shape], media=media, labels={shape.label})  # its label is its keyframe's, checked
    return tuple(RuleBroken(rule=p.rule, message=p.message) for p in problems)


def with_time_points(shapes: Iterable[Shape], media: MediaInfo | None) -> tuple[Shape, ...]:
    """Shapes of a video that name only their frame (imported from CVAT for video or MOT, which count frames) get the
    time point of that frame from the video's frame rate; the others are returned as they are."""
    fps = media.fps if media is not None and media.kind == "video" else None
    return tuple(
        s.model_copy(update={"time_point_s": round(s.frame_index / fps, 6)})
        if fps and s.time_point_s is None and s.frame_index is not None
        else s
        for s in shapes
    )
