"""Decoding on media the tests make themselves (PyAV, Pillow): metadata, thumbnails, and exact frames — the frame
returned for t equals the frame a full sequential decode shows at t (within JPEG tolerance)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
from labelstream_testing.media_samples import hostile_corpus, make_image, make_video
from media_svc.adapters.decoding import frames, tasks
from media_svc.adapters.decoding.pictures import rotate_for_display
from media_svc.domain.frames import FrameTarget
from media_svc.domain.limits import MediaLimits, MediaRejectedError
from media_svc.domain.processed import ProcessedImage, ProcessedVideo
from numpy.typing import NDArray
from PIL import Image

LIMITS = MediaLimits()
VIDEOS: dict[str, dict[str, Any]] = {
    "h264.mp4": {},
    "h264-rotated.mp4": {"rotation": 90, "width": 96, "height": 64},
    "h264-vfr.mp4": {"variable_frame_rate": True},
    "mpeg4.avi": {"codec": "mpeg4"},
    "vp9.webm": {"codec": "libvpx-vp9", "frames": 30},
    "hevc.mkv": {"codec": "libx265", "frames": 30, "options": {"x265-params": "log-level=none"}},
    "h264-640x360.mp4": {"width": 640, "height": 360, "frames": 40, "gop": 30},
}


def reference_frames(path: Path) -> list[tuple[float, NDArray[np.uint8]]]:
    """Every frame of a full sequential decode: (time from the first frame, RGB as a player shows it)."""
    decoded = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
            decoded.append((float(frame.time or 0), rotate_for_display(rgb, int(frame.rotation or 0) % 360)))
    first = decoded[0][0]
    return [(t - first, rgb) for t, rgb in decoded]


def shown_at(reference: list[tuple[float, NDArray[np.uint8]]], t: float) -> int:
    return max(i for i, (time, _) in enumerate(reference) if time <= t + 1e-9)


def jpeg_pixels(data: bytes) -> NDArray[np.uint8]:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def difference(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, ProcessedVideo]]:
    directory = tmp_path_factory.mktemp("videos")
    made = {}
    for name, options in VIDEOS.items():
        path = directory / name
        make_video(path, **options)
        processed = tasks.process_source(str(path), kind="video", limits=LIMITS)
        assert isinstance(processed, ProcessedVideo)
        made[name] = (path, processed)
    return made


@pytest.mark.parametrize("name", list(VIDEOS))
def test_video_metadata(videos: dict[str, tuple[Path, ProcessedVideo]], name: str) -> None:
    _path, processed = videos[name]
    options = VIDEOS[name]
    meta = processed.metadata
    count = int(options.get("frames", 50))
    width, height = int(options.get("width", 160)), int(options.get("height", 120))
    rotated = bool(options.get("rotation"))
    assert meta.frame_count == count
    assert (meta.width, meta.height) == ((height, width) if rotated else (width, height))
    assert meta.rotation == (90 if rotated else 0)
    assert meta.variable_frame_rate == bool(options.get("variable_frame_rate"))
    if not options.get("variable_frame_rate"):
        assert meta.fps == pytest.approx(25, rel=0.01)
        assert meta.duration_s == pytest.approx(count / 25, rel=0.01)
    assert meta.keyframe_interval_s is not None and meta.keyframe_interval_s > 0
    assert processed.playable == (name.endswith((".mp4", ".webm")))
    thumb = Image.open(io.BytesIO(processed.thumbnail))
    assert max(thumb.size) == min(256, max(width, height))
    timeline = Image.open(io.BytesIO(processed.timeline))
    assert timeline.height == 64 and timeline.width > timeline.height * 3
    assert Image.open(io.BytesIO(processed.poster)).size == (meta.width, meta.height)


@pytest.mark.parametrize("name", list(VIDEOS))
def test_the_frame_at_a_time_point_is_the_one_a_sequential_decode_shows(
    videos: dict[str, tuple[Path, ProcessedVideo]], name: str
) -> None:
    path, processed = videos[name]
    index = processed.frame_index
    reference = reference_frames(path)
    assert len(reference) == index.frame_count
    rotation = processed.metadata.rotation or 0
    times = [0.0, 0.03, 0.5, 0.77, 0.2, 1.1, index.duration_s * 0.99, 0.04, 0.0]  # forward, backward, repeated
    for t in [t for t in times if t <= index.duration_s]:
        frame = index.frame_at_time(t)
        assert frame == shown_at(reference, t), t
        jpeg = frames.frame_jpeg(str(path), FrameTarget.of(index, frame), rotation=rotation)
        got = jpeg_pixels(jpeg)
        assert difference(got, reference[frame][1]) < 4, (name, t)
        for neighbour in (frame - 1, frame + 1):
            if 0 <= neighbour < len(reference):
                assert difference(got, reference[neighbour][1]) > 8, (name, t, neighbour)


def test_extraction_of_many_time_points_in_one_pass(
    videos: dict[str, tuple[Path, ProcessedVideo]], tmp_path: Path
) -> None:
    path, processed = videos["h264-vfr.mp4"]
    index = processed.frame_index
    reference = reference_frames(path)
    wanted = sorted({index.frame_at_time(t) for t in (1.5, 0.1, 0.9, 0.11, 2.0)})
    out = tmp_path / "frames.zip"
    targets = [FrameTarget.of(index, f, name=f"{f}.jpg") for f in wanted]
    assert frames.extract_frames(str(path), targets, rotation=0, out_path=str(out)) == len(wanted)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(f"{f}.jpg" for f in wanted)
        for f in wanted:
            assert difference(jpeg_pixels(archive.read(f"{f}.jpg")), reference[f][1]) < 4


@pytest.mark.parametrize(("orientation", "size"), [(1, (320, 200)), (6, (200, 320)), (3, (320, 200)), (8, (200, 320))])
def test_image_metadata_and_thumbnail_follow_the_exif_orientation(
    tmp_path: Path, orientation: int, size: tuple[int, int]
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(make_image(width=320, height=200, orientation=orientation))
    processed = tasks.process_source(str(path), kind="image", limits=LIMITS)
    assert isinstance(processed, ProcessedImage)
    assert (processed.metadata.width, processed.metadata.height) == size
    assert (processed.metadata.format, processed.metadata.exif_orientation) == ("jpeg", orientation)
    thumb = Image.open(io.BytesIO(processed.thumbnail))
    assert thumb.size == (256, 160) if size[0] > size[1] else (160, 256)


@pytest.mark.parametrize("image_format", ["PNG", "WEBP", "GIF"])
def test_other_image_formats(tmp_path: Path, image_format: str) -> None:
    path = tmp_path / "picture"
    path.write_bytes(make_image(width=1000, height=500, image_format=image_format))
    processed = tasks.process_source(str(path), kind="image", limits=LIMITS)
    assert (processed.metadata.format, processed.metadata.width) == (image_format.lower(), 1000)
    assert Image.open(io.BytesIO(processed.thumbnail)).size == (256, 128)


def test_every_hostile_file_is_rejected_with_a_reason(tmp_path: Path) -> None:
    reasons = {}
    for name, content in hostile_corpus(tmp_path).items():
        path = tmp_path / f"hostile-{name}"
        path.write_bytes(content)
        kind = "image" if name.endswith((".png", ".jpg")) else "video"
        with pytest.raises(MediaRejectedError) as rejected:
            tasks.process_source(str(path), kind=kind, limits=LIMITS)
        reasons[name] = rejected.value.reason
    assert reasons["empty.mp4"] == "the file is empty (0 bytes)"
    assert "picture" in reasons["picture.mp4"]
    assert "larger than the limit" in reasons["bomb.png"] or "too large" in reasons["bomb.png"]
    assert "duration" in reasons["absurd-duration.mkv"]
    assert reasons["unsupported-codec.mkv"].startswith("unsupported codec")
    assert all(reasons.values())
