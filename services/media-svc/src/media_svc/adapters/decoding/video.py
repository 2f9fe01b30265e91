"""Videos: probe (container, codec, duration, fps, frame count, rotation, keyframes) by demuxing every packet
(no decoding), then a poster frame, a timeline strip and a thumbnail from a few decoded keyframes."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
import av.error
from labelstream_shared.events.contracts import MediaMetadata

from media_svc.adapters.decoding.pictures import (
    Pixels,
    encode_jpeg,
    fit_long_edge,
    rgb_of,
    rotate_for_display,
    timeline_strip,
)
from media_svc.domain.frames import FrameIndex
from media_svc.domain.limits import MediaLimits, MediaRejectedError
from media_svc.domain.playback import browser_playable
from media_svc.domain.processed import ProcessedVideo

IMAGE_DEMUXERS = ("image2", "_pipe")  # FFmpeg reads a lone picture as a one-frame "video": not a video


def open_video(path: str) -> av.container.InputContainer:
    try:
        container = av.open(path, mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise MediaRejectedError(f"not a video we can read: {exc}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise MediaRejectedError(f"not a video we can read: {exc}") from exc
    return container


def process_video(path: str, *, limits: MediaLimits) -> ProcessedVideo:
    with open_video(path) as container:
        try:
            return _process(container, limits=limits)
        except MediaRejectedError:
            raise
        except av.error.FFmpegError as exc:
            raise MediaRejectedError(f"corrupt video data: {exc}") from exc


def _process(container: av.container.InputContainer, *, limits: MediaLimits) -> ProcessedVideo:
    demuxer = container.format.name
    if any(marker in demuxer for marker in IMAGE_DEMUXERS):
        raise MediaRejectedError(f"the file is a picture ({demuxer.replace('_pipe', '')}), not a video")
    if not container.streams.video:
        raise MediaRejectedError("the file has no video stream")
    stream = container.streams.video[0]
    codec = _check_stream(stream, container, limits)
    index = _frame_index(container, stream, limits)
    frames = _keyframe_pictures(container, stream, index, count=max(1, limits.timeline_frames))
    rotation = frames[0][1]
    pictures = [rotate_for_display(rgb, rotation) for rgb, _ in frames]
    poster = pictures[min(len(pictures) - 1, len(pictures) // 10)]
    height, width = poster.shape[:2]
    metadata = MediaMetadata(
        kind="video",
        format=demuxer.split(",")[0],
        container=demuxer,
        codec=codec,
        width=width,
        height=height,
        duration_s=round(index.duration_s, 6),
        fps=round((index.frame_count - 1) / index.duration_s, 6) if index.duration_s > 0 else None,
        frame_count=index.frame_count,
        rotation=rotation,
        keyframe_interval_s=round(index.keyframe_interval_s(), 6),
        variable_frame_rate=index.variable_frame_rate(),
    )
    if metadata.fps is not None and index.frame_count > 1:
        # frames per second over the whole video: n frames span n intervals when the last one's duration counts
        metadata = metadata.model_copy(update={"fps": round(index.frame_count / index.duration_s, 6)})
    return ProcessedVideo(
        metadata=metadata,
        frame_index=index,
        thumbnail=encode_jpeg(fit_long_edge(poster, limits.thumbnail_edge), quality=85),
        poster=encode_jpeg(poster),
        timeline=encode_jpeg(timeline_strip(pictures), quality=80),
        playable=browser_playable(container=demuxer, codec=codec),
    )


def _check_stream(stream: Any, container: av.container.InputContainer, limits: MediaLimits) -> str:
    context = stream.codec_context
    codec = context.name if context is not None else None
    if not codec:
        raise MediaRejectedError("unsupported codec: FFmpeg has no decoder for this video stream")
    width, height = context.width, context.height
    if width <= 0 or height <= 0:
        raise MediaRejectedError(f"the video stream ({codec}) has no frame size")
    if width * height > limits.max_video_pixels:
        raise MediaRejectedError(f"frames of {width} x {height} pixels are larger than the limit")
    claimed = _claimed_duration(stream, container)
    if claimed is not None and claimed > limits.max_duration_s:
        raise MediaRejectedError(
            f"the video claims a duration of {claimed:,.0f} s, more than the limit of {limits.max_duration_s:,.0f} s"
        )
    return str(codec)


def _claimed_duration(stream: Any, container: av.container.InputContainer) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _frame_index(container: av.container.InputContainer, stream: Any, limits: MediaLimits) -> FrameIndex:
    """Every frame's presentation timestamp and the keyframes, from the packets (demuxing only)."""
    time_base: Fraction = stream.time_base or Fraction(1, 90000)
    frame_pts: list[int] = []
    keyframes: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the flush packet at the end
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None:
                raise MediaRejectedError("the video's packets have no timestamps")
            frame_pts.append(pts)
            if packet.is_keyframe:
                keyframes.append(pts)
            if len(frame_pts) > limits.max_frames:
                raise MediaRejectedError(f"the video has more than {limits.max_frames:,} frames")
    except av.error.FFmpegError as exc:
        raise MediaRejectedError(f"truncated or corrupt video: {exc}") from exc
    if not frame_pts:
        raise MediaRejectedError("the video has no frames")
    claimed_frames = stream.frames or 0  # MP4's sample table counts frames (AVI's counts time base units)
    if container.format.name.startswith("mov") and claimed_frames > len(frame_pts):
        raise MediaRejectedError(f"truncated video: {len(frame_pts)} of {claimed_frames} frames are in the file")
    frame_pts = sorted(set(frame_pts))
    keyframes = sorted(set(keyframes) & set(frame_pts)) or [frame_pts[0]]
    if keyframes[0] != frame_pts[0]:
        keyframes.insert(0, frame_pts[0])  # decoding from the start always works (after a seek to it)
    last_duration = (frame_pts[-1] - frame_pts[-2]) if len(frame_pts) > 1 else _one_frame(stream, time_base)
    duration = float((frame_pts[-1] - frame_pts[0] + last_duration) * time_base)
    if duration > limits.max_duration_s:
        raise MediaRejectedError(
            f"the video lasts {duration:,.0f} s, more than the limit of {limits.max_duration_s:,.0f} s"
        )
    return FrameIndex(
        time_base_num=time_base.numerator,
        time_base_den=time_base.denominator,
        frame_pts=tuple(frame_pts),
        keyframe_pts=tuple(keyframes),
        duration_s=duration,
    )


def _one_frame(stream: Any, time_base: Fraction) -> int:
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    return max(1, int(1 / (rate * time_base)))


def _keyframe_pictures(
    container: av.container.InputContainer, stream: Any, index: FrameIndex, *, count: int
) -> list[tuple[Pixels, int]]:
    """Up to `count` keyframes spread over the video, decoded (a keyframe needs no other frame): RGB and rotation."""
    keyframes = index.keyframe_pts
    picks = sorted({keyframes[round(i * (len(keyframes) - 1) / max(1, count - 1))] for i in range(count)})
    stream.codec_context.skip_frame = "NONKEY"
    pictures: list[tuple[Pixels, int]] = []
    try:
        for pts in picks:
            container.seek(pts, stream=stream, backward=True, any_frame=False)
            frame = next((f for f in container.decode(stream) if f.pts is None or f.pts >= pts), None)
            if frame is not None:
                pictures.append((rgb_of(frame), int(frame.rotation or 0) % 360))
    except av.error.FFmpegError as exc:
        if not pictures:
            raise MediaRejectedError(f"corrupt video data: {exc}") from exc
    finally:
        stream.codec_context.skip_frame = "DEFAULT"
    if not pictures:
        raise MediaRejectedError("no frame of the video could be decoded")
    return pictures
