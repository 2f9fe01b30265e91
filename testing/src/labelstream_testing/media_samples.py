"""Media made for tests and benchmarks with PyAV and Pillow (no fixtures files in the repository): videos of several
codecs, sizes, rotations and frame rates, images with EXIF orientations, and the hostile corpus."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image


def pattern(index: int, *, width: int, height: int) -> NDArray[np.uint8]:
    """A frame that differs from its neighbours everywhere (moving gradients and a frame-number block)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[..., 0] = (x * 255 // max(1, width - 1) + index * 7) % 256
    rgb[..., 1] = (y * 255 // max(1, height - 1) + index * 13) % 256
    rgb[..., 2] = (index * 37) % 256
    block = max(4, min(width, height) // 8)
    rgb[:block, :block] = (index * 53) % 256
    return rgb


def make_video(
    path: Path,
    *,
    codec: str = "libx264",
    width: int = 160,
    height: int = 120,
    fps: int = 25,
    frames: int = 50,
    gop: int = 12,
    rotation: int = 0,
    variable_frame_rate: bool = False,
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
) -> list[float]:
    """Writes the video and returns each frame's presentation time in seconds (relative to the first)."""
    time_base = Fraction(1, fps * 100)
    times: list[float] = []
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.gop_size = gop
        if codec == "libx264":
            settings: dict[str, object] = {"preset": "ultrafast", "bf": "0", **(options or {})}
            stream.options = settings
        elif options:
            stream.options = dict[str, object](options)
        if rotation:
            stream.set_display_rotation(rotation)
        pts = 0
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern(index, width=width, height=height), format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            times.append(float(pts * time_base))
            container.mux(stream.encode(frame))
            step = 100 if not variable_frame_rate else (50 if index % 3 == 0 else 150)
            pts += step
        container.mux(stream.encode(None))
    return times


def make_image(
    *, width: int = 320, height: int = 200, image_format: str = "JPEG", orientation: int = 1, mode: str = "RGB"
) -> bytes:
    image = Image.fromarray(pattern(3, width=width, height=height)).convert(mode)
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    kwargs = {"exif": exif.tobytes()} if orientation != 1 else {}
    image.save(out, format=image_format, **kwargs)
    return out.getvalue()


def png_bomb(*, width: int = 50_000, height: int = 50_000) -> bytes:
    """A small PNG whose header claims `width` x `height` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (width // 8 + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def hostile_corpus(directory: Path) -> dict[str, bytes]:
    """Object name -> content: every kind of broken or hostile file the pipeline must survive."""
    good = directory / "good.mp4"
    make_video(good, frames=60, gop=10)
    mp4 = good.read_bytes()
    corrupt = bytearray(mp4)
    mdat = mp4.find(b"mdat")
    mdat_end = mdat - 4 + struct.unpack(">I", mp4[mdat - 4 : mdat])[0]
    rng = np.random.default_rng(7)
    for start in range(mdat + 4, mdat_end - 64, 97):  # garbage all through the coded pictures, boxes intact
        corrupt[start : start + 48] = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
    absurd = _absurd_duration(directory)
    mkv = directory / "codec.mkv"
    make_video(mkv, frames=10)
    unknown_codec = mkv.read_bytes().replace(b"V_MPEG4/ISO/AVC", b"V_LABELSTREAM00", 1)  # a codec nobody decodes
    return {
        "empty.mp4": b"",
        "empty.jpg": b"",
        "truncated.mp4": mp4[: len(mp4) // 2],
        "picture.mp4": make_image(image_format="PNG"),
        "corrupt-h264.mp4": bytes(corrupt),
        "bomb.png": png_bomb(),
        "absurd-duration.mkv": absurd,
        "unsupported-codec.mkv": unknown_codec,
        "random.mkv": rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "truncated.jpg": make_image(width=640, height=480)[:2000],
        "text.avi": b"this is not a video at all\n" * 40,
    }


def _absurd_duration(directory: Path) -> bytes:
    """A Matroska video whose last frame comes 10^9 seconds after the others: it claims that long a duration."""
    path = directory / "absurd.mkv"
    time_base = Fraction(1, 1000)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=25)
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        stream.options = {"preset": "ultrafast", "bf": "0"}
        for index, pts in enumerate([0, 40, 80, 10**12]):
            frame = av.VideoFrame.from_ndarray(pattern(index, width=64, height=48), format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path.read_bytes()
