"""The functions worker processes run (module-level, so they pickle by name), and their start-up."""

from __future__ import annotations

from pathlib import Path

from media_svc.adapters.decoding import frames, images, transcode, video
from media_svc.domain.limits import MediaLimits, MediaRejectedError
from media_svc.domain.processed import Processed


def process_source(path: str, *, kind: str, limits: MediaLimits) -> Processed:
    size = Path(path).stat().st_size
    if size == 0:
        raise MediaRejectedError("the file is empty (0 bytes)")
    try:
        if kind == "image":
            return images.process_image(path, size=limits.thumbnail_edge, limits=limits)
        return video.process_video(path, limits=limits)
    except MemoryError as exc:
        raise MediaRejectedError("decoding needs more memory than a worker may use") from exc


def process_sources(sources: list[tuple[str, str]], *, limits: MediaLimits) -> list[Processed | MediaRejectedError]:
    """Several sources in one task (one round trip to the worker for many small files); a rejection is returned in
    its place, so the others still count."""
    results: list[Processed | MediaRejectedError] = []
    for path, kind in sources:
        try:
            results.append(process_source(path, kind=kind, limits=limits))
        except MediaRejectedError as exc:
            results.append(exc)
    return results


frame_jpeg = frames.frame_jpeg
extract_frames = frames.extract_frames
transcode_to_h264 = transcode.transcode_to_h264
