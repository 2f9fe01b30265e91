"""Labeled time points and keyframe interpolation of boxes (domain, no IO)."""

from __future__ import annotations

import pytest
from labeling_svc.domain.shapes import MediaInfo, validate_shapes
from labeling_svc.domain.video import shapes_at_frame, time_points, with_time_points
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import Shape


def box(shape_id: str, t: float, frame: int | None, points: tuple[tuple[float, float], ...], **extra: object) -> Shape:
    return Shape.model_validate(
        {
            "shape_id": shape_id,
            "kind": "rectangle",
            "label": "car",
            "points": points,
            "time_point_s": t,
            "frame_index": frame,
            **extra,
        }
    )


A = box("a", 1.0, 25, ((0, 0), (10, 10)), object_id="car1")
B = box("b", 2.0, 50, ((100, 50), (110, 60)), object_id="car1")
C = box("c", 2.0, 50, ((5, 5), (6, 6)))


def test_time_points_are_listed_in_order_with_their_shapes() -> None:
    found = time_points([C, B, A])
    assert [(p.time_point_s, p.frame_index, p.shapes, p.labels) for p in found] == [
        (1.0, 25, 1, ("car",)),
        (2.0, 50, 2, ("car",)),
    ]


def test_a_box_between_two_keyframes_is_interpolated_linearly() -> None:
    (middle,) = shapes_at_frame([A, B, C], frame=30, fps=25.0)
    assert middle.interpolated
    assert middle.shape.points == ((20.0, 10.0), (30.0, 20.0))
    assert middle.shape.time_point_s == 1.2
    assert middle.shape.frame_index == 30


def test_at_a_keyframe_the_labeled_shapes_are_returned_and_outside_the_track_none() -> None:
    at_b = shapes_at_frame([A, B, C], frame=50, fps=25.0)
    assert [(s.shape.shape_id, s.interpolated) for s in at_b] == [("b", False), ("c", False)]
    assert shapes_at_frame([A, B], frame=10, fps=25.0) == []
    assert shapes_at_frame([A, B], frame=60, fps=25.0) == []


def test_frames_come_from_time_points_when_no_frame_index_was_given_and_rotation_is_interpolated() -> None:
    a = box("a", 0.0, None, ((0, 0), (10, 10)), object_id="o", kind="rotated_rectangle", rotation=0.0)
    b = box("b", 4.0, None, ((40, 0), (50, 10)), object_id="o", kind="rotated_rectangle", rotation=90.0)
    (middle,) = shapes_at_frame([a, b], frame=10, fps=10.0)
    assert middle.shape.points == ((10.0, 0.0), (20.0, 10.0))
    assert middle.shape.rotation == 22.5


def test_only_boxes_of_one_object_are_interpolated() -> None:
    other = box("x", 3.0, 75, ((0, 0), (1, 1)), object_id="car2")
    polygon = Shape(
        shape_id="p",
        kind="polygon",
        label="car",
        points=((0, 0), (1, 0), (1, 1)),
        time_point_s=3.0,
        frame_index=75,
        object_id="car1",
    )
    found = shapes_at_frame([A, other, polygon], frame=40, fps=25.0)
    assert found == []


def test_an_interpolated_box_is_checked_with_the_rules_of_every_write() -> None:
    """A 70x70 square inside a 100x80 frame at rotation 0 and 90: half way it turns 45 degrees and leaves it."""
    media = MediaInfo(kind="video", width=100, height=80, duration_s=10.0, fps=10.0, frame_count=100)

    def square(t: float, rotation: float) -> Shape:
        return Shape(
            shape_id=f"sq{t}",
            kind="rotated_rectangle",
            label="cat",
            points=((15, 5), (85, 75)),
            rotation=rotation,
            time_point_s=t,
            object_id="o",
        )

    keyframes = [square(0.0, 0.0), square(9.0, 90.0)]
    assert validate_shapes(keyframes, media=media, labels={"cat"}) == []
    (turned,) = shapes_at_frame(keyframes, frame=45, fps=10.0, media=media)
    assert turned.interpolated and turned.shape.rotation == 45.0
    assert [p.rule for p in turned.problems] == ["outside_frame"]
    (early,) = shapes_at_frame(keyframes, frame=1, fps=10.0, media=media)
    assert early.problems == ()


def test_a_frame_past_the_videos_end_is_refused_naming_the_frame_count() -> None:
    media = MediaInfo(kind="video", width=640, height=480, duration_s=1.6, fps=25.0, frame_count=40)
    assert shapes_at_frame([A, B], frame=20, fps=25.0, media=media) == []
    with pytest.raises(InvalidInputError, match=r"frame 999 is outside the video \(40 frames: 0 to 39\)"):
        shapes_at_frame([A, B], frame=999, fps=25.0, media=media)


def test_imported_shapes_that_name_only_their_frame_get_its_time_point() -> None:
    """CVAT for video and MOT count frames: an imported box at frame 50 of a 25 fps video is at 2 s."""
    framed = Shape.model_validate({"shape_id": "f", "kind": "rectangle", "label": "car", "points": ((0, 0), (4, 4))})
    framed = framed.model_copy(update={"frame_index": 50})
    video = MediaInfo(kind="video", width=320, height=240, fps=25.0, duration_s=10.0, frame_count=250)
    timed, kept = with_time_points([framed, A], video)
    assert (timed.time_point_s, timed.frame_index) == (2.0, 50)
    assert kept == A  # a time point given stays
    assert validate_shapes([timed], media=video, labels={"car"}) == []
    assert with_time_points([framed], MediaInfo(kind="image", width=10, height=10)) == (framed,)
