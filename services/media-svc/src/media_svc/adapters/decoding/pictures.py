"""Pictures: orientation, JPEG encoding, thumbnails and timeline strips from decoded frames (numpy, RGB)."""

from __future__ import annotations

import av
import cv2
import numpy as np
from numpy.typing import NDArray

Pixels = NDArray[np.uint8]
JPEG_QUALITY = 90


def rgb_of(frame: av.VideoFrame) -> Pixels:
    return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def bgr_of(frame: av.VideoFrame) -> Pixels:
    """OpenCV's channel order straight from the decoder's YUV (one conversion, not two)."""
    return np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)


def rotate_for_display(rgb: Pixels, rotation: int) -> Pixels:
    """Turn a decoded frame as a player shows it: `rotation` degrees counterclockwise (FFmpeg's display matrix)."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb


def encode_jpeg(rgb: Pixels, *, quality: int = JPEG_QUALITY) -> bytes:
    return encode_bgr_jpeg(np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), dtype=np.uint8), quality=quality)


def encode_bgr_jpeg(bgr: Pixels, *, quality: int = JPEG_QUALITY) -> bytes:
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(encoded.tobytes())


def fit_long_edge(rgb: Pixels, edge: int) -> Pixels:
    """Scaled so that the long edge is `edge` pixels (never enlarged)."""
    height, width = rgb.shape[:2]
    scale = edge / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def timeline_strip(frames: list[Pixels], *, tile_height: int = 64) -> Pixels:
    """Small frames side by side, left to right in time."""
    tiles = []
    for rgb in frames:
        height, width = rgb.shape[:2]
        size = (max(1, round(width * tile_height / height)), tile_height)
        tiles.append(np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8))
    return np.ascontiguousarray(np.hstack(tiles))
