"""What processing a source produces (decoded in a worker process, handed back to the service)."""

from __future__ import annotations

from dataclasses import dataclass

from labelstream_shared.events.contracts import MediaMetadata

from media_svc.domain.frames import FrameIndex


@dataclass(frozen=True)
class ProcessedImage:
    metadata: MediaMetadata
    thumbnail: bytes


@dataclass(frozen=True)
class ProcessedVideo:
    metadata: MediaMetadata
    frame_index: FrameIndex
    thumbnail: bytes
    poster: bytes
    timeline: bytes
    playable: bool  # Chromium plays the source as it is


Processed = ProcessedImage | ProcessedVideo
