"""Which videos Chromium plays as they are; the others get an H.264/MP4 transcode. Pure: no IO."""

from __future__ import annotations

# Chromium's <video> without proprietary extras: MP4/MOV and WebM/Matroska with these codecs.
PLAYABLE_CONTAINERS = frozenset({"mov", "mp4", "webm", "matroska"})
PLAYABLE_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})


def browser_playable(*, container: str | None, codec: str | None) -> bool:
    """`container` is the demuxer's name as FFmpeg gives it (a comma-separated list of aliases)."""
    if not container or not codec:
        return False
    aliases = set(container.split(","))
    return bool(aliases & PLAYABLE_CONTAINERS) and codec in PLAYABLE_CODECS
