"""Exact frames: seek to the keyframe before the frame, decode forward to it. A worker process keeps a few
containers open (and where each decoder stands), so a frame after the last one decoded needs no seek."""

from __future__ import annotations

import zipfile
from collections import OrderedDict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import av
import av.error

from media_svc.adapters.decoding.pictures import bgr_of, encode_bgr_jpeg, rotate_for_display
from media_svc.domain.frames import FrameTarget
from media_svc.domain.limits import MediaRejectedError

OPEN_CONTAINERS = 2  # each open 1080p decoder with frame threads holds tens of MiB of frames
ENCODING_THREADS = 2


@dataclass
class _OpenVideo:
    container: av.container.InputContainer
    stream: Any
    frames: Iterator[av.VideoFrame] | None = None
    last_pts: int | None = None  # the last frame decoded by `frames`
    last_frame: av.VideoFrame | None = field(default=None, repr=False)

    def close(self) -> None:
        self.container.close()


_open: OrderedDict[str, _OpenVideo] = OrderedDict()


def _video(path: str) -> _OpenVideo:
    found = _open.pop(path, None)
    if found is None:
        container = av.open(path, mode="r", metadata_errors="ignore")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame threads: a frame after a seek needs dozens decoded, in parallel
        found = _OpenVideo(container=container, stream=stream)
    _open[path] = found
    while len(_open) > OPEN_CONTAINERS:
        _, oldest = _open.popitem(last=False)
        oldest.close()
    return found


def forget(path: str) -> None:
    video = _open.pop(path, None)
    if video is not None:
        video.close()


def _decode_to(video: _OpenVideo, target: FrameTarget) -> av.VideoFrame:
    """The frame with pts `target.pts`, decoding forward from where the decoder stands when that is on the way."""
    if video.last_pts is not None and video.last_frame is not None and video.last_pts == target.pts:
        return video.last_frame
    on_the_way = video.frames is not None and video.last_pts is not None
    if not (on_the_way and target.keyframe_pts <= (video.last_pts or 0) < target.pts):
        video.container.seek(target.keyframe_pts, stream=video.stream, backward=True, any_frame=False)
        video.frames = video.container.decode(video.stream)
        video.last_pts = None
    assert video.frames is not None
    for frame in video.frames:
        pts = frame.pts if frame.pts is not None else -1
        video.last_pts, video.last_frame = pts, frame
        if pts >= target.pts:
            return frame
    video.frames = None
    raise MediaRejectedError(f"frame at pts {target.pts} could not be decoded")


def frame_jpeg(path: str, target: FrameTarget, *, rotation: int) -> bytes:
    """The frame as a JPEG, turned as a player shows it."""
    video = _video(path)
    try:
        frame = _decode_to(video, target)
        return encode_bgr_jpeg(rotate_for_display(bgr_of(frame), rotation))
    except av.error.FFmpegError as exc:
        forget(path)
        raise MediaRejectedError(f"the frame could not be decoded: {exc}") from exc


def extract_frames(path: str, targets: list[FrameTarget], *, rotation: int, out_path: str) -> int:
    """Frames at many time points in one forward pass (seeking ahead only past keyframes nobody needs), written as
    JPEGs into a zip file; returns how many. A container of its own, with frame threading, and JPEG encoding in
    threads (OpenCV releases the GIL) while decoding goes on: throughput matters here, not one frame's latency."""
    ordered = sorted(targets, key=lambda t: t.pts)
    pending: deque[tuple[str, Future[bytes]]] = deque()
    written = 0
    try:
        with (
            av.open(path, mode="r", metadata_errors="ignore") as container,
            ThreadPoolExecutor(max_workers=ENCODING_THREADS) as encoders,
            zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_STORED) as archive,
        ):
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            video = _OpenVideo(container=container, stream=stream)
            for target in ordered:
                pixels = rotate_for_display(bgr_of(_decode_to(video, target)), rotation)
                pending.append((target.name or f"{target.pts}.jpg", encoders.submit(encode_bgr_jpeg, pixels)))
                while len(pending) > 2 * ENCODING_THREADS or (pending and pending[0][1].done()):
                    name, jpeg = pending.popleft()
                    archive.writestr(name, jpeg.result())
                    written += 1
            while pending:
                name, jpeg = pending.popleft()
                archive.writestr(name, jpeg.result())
                written += 1
    except av.error.FFmpegError as exc:
        raise MediaRejectedError(f"frames could not be decoded: {exc}") from exc
    return written
