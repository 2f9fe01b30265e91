"""What a source may be before media-svc refuses it, and why a source was refused. Pure: no IO."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaLimits:
    """Limits applied before and while decoding: hostile files fail with a reason instead of exhausting a worker."""

    max_source_bytes: int = 20 * 1024**3
    max_image_pixels: int = 100_000_000
    max_video_pixels: int = 8192 * 8192
    max_duration_s: float = 24 * 3600.0
    max_frames: int = 5_000_000
    thumbnail_edge: int = 256
    timeline_frames: int = 10


class MediaRejectedError(Exception):
    """The source cannot be processed; `reason` says why in words an annotator can act on (picklable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __reduce__(self) -> tuple[type[MediaRejectedError], tuple[str]]:
        return (MediaRejectedError, (self.reason,))


class DecoderFailedError(Exception):
    """The decoding process crashed or overran its time: the input may be hostile, or the process was unlucky."""
