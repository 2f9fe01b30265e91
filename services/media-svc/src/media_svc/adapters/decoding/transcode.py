"""A browser-playable copy of a video: H.264 (yuv420p, even dimensions) in MP4 with the index up front."""

from __future__ import annotations

import av
import av.error

from media_svc.domain.limits import MediaRejectedError


def transcode_to_h264(path: str, out_path: str, *, rotation: int) -> None:
    try:
        with av.open(path, mode="r", metadata_errors="ignore") as source:
            video = source.streams.video[0]
            video.thread_type = "AUTO"
            rate = video.average_rate or video.guessed_rate
            with av.open(out_path, mode="w", format="mp4", options={"movflags": "+faststart"}) as target:
                encoder = target.add_stream("libx264", rate=rate)
                encoder.width = video.codec_context.width // 2 * 2
                encoder.height = video.codec_context.height // 2 * 2
                encoder.pix_fmt = "yuv420p"
                encoder.options = {"preset": "veryfast", "crf": "23"}
                if rotation:
                    encoder.set_display_rotation(rotation)
                for frame in source.decode(video):
                    picture = frame.reformat(width=encoder.width, height=encoder.height, format="yuv420p")
                    picture.pts = None
                    target.mux(encoder.encode(picture))
                target.mux(encoder.encode(None))
    except av.error.FFmpegError as exc:
        raise MediaRejectedError(f"transcoding failed: {exc}") from exc
