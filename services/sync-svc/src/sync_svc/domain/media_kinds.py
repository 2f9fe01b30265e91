"""Which objects become samples: images and videos, recognised by name and, where the name says nothing, by content."""

from __future__ import annotations

from dataclasses import dataclass

from labelstream_shared.events.contracts import MediaKind

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm"})
SNIFF_BYTES = 64


@dataclass(frozen=True)
class Skipped:
    reason: str


def kind_from_name(key: str) -> MediaKind | Skipped | None:
    """The kind a key's extension claims; None when the key has no extension (then the content decides)."""
    if key.endswith("/"):
        return Skipped("folder marker")
    name = key.rpartition("/")[2]
    dot = name.rfind(".")
    if dot <= 0 or dot == len(name) - 1:  # as PurePosixPath.suffix: ".png" and "a." have none
        return None
    suffix = name[dot:].lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return Skipped(f"unsupported file type {suffix}")


def kind_from_content(head: bytes) -> MediaKind | Skipped:
    """The kind the first bytes show (magic numbers of the supported formats)."""
    if not head:
        return Skipped("empty object")
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM")):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3":  # ISO BMFF (mp4, mov); Matroska/WebM
        return "video"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    return Skipped("content is not a supported image or video")
