"""What a source may be before media-svc refuses it, and why a source was refused. Pure: no IO."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a decoder's message carries that a user cannot act on: the server's file paths (quoted or bare, as FFmpeg,
# Pillow and the OS put them) and FFmpeg's error numbers.
_QUOTED_PATH = re.compile(r"""(:\s*)?(['"])/[^'"]*\2""")
_BARE_PATH = re.compile(r"(?<![\w/])/(?:[\w.+-]+/)+[\w.+-]*")
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")


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
        reason = public_reason(reason)
        super().__init__(reason)
        self.reason = reason

    def __reduce__(self) -> tuple[type[MediaRejectedError], tuple[str]]:
        return (MediaRejectedError, (self.reason,))


def public_reason(text: str) -> str:
    """A failure reason as users see it: the decoder's words without the server's paths and error numbers."""
    text = _BARE_PATH.sub("", _QUOTED_PATH.sub("", _ERRNO.sub("", text)))
    return re.sub(r"\s{2,}", " ", text).strip().rstrip(":").strip() or "the file could not be processed"


class DecoderFailedError(Exception):
    """The decoding process crashed or overran its time: the input may be hostile, or the process was unlucky."""
