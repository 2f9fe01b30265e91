"""Images: probe (format, size, EXIF orientation applied) and thumbnail, refusing what is not a sane image
before decoding it (dimensions read from the header)."""

from __future__ import annotations

import io
import warnings

from labelstream_shared.events.contracts import MediaMetadata
from PIL import Image, ImageOps, UnidentifiedImageError

from media_svc.domain.limits import MediaLimits, MediaRejectedError
from media_svc.domain.processed import ProcessedImage

EXIF_ORIENTATION = 0x0112
TRANSPOSED = {5, 6, 7, 8}  # orientations that swap width and height


def process_image(path: str, *, size: int, limits: MediaLimits) -> ProcessedImage:
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return _process(image, size=size, limits=limits)
    except MediaRejectedError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaRejectedError(f"image too large to decode: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise MediaRejectedError("not an image in a format we read (or the file is corrupt)") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's errors for truncated or corrupt data
        raise MediaRejectedError(f"corrupt or truncated image: {exc}") from exc


def _process(image: Image.Image, *, size: int, limits: MediaLimits) -> ProcessedImage:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise MediaRejectedError("the image has no pixels")
    if width * height > limits.max_image_pixels:
        raise MediaRejectedError(
            f"image of {width} x {height} pixels is larger than the limit of {limits.max_image_pixels:,} pixels"
        )
    image_format = image.format
    orientation = int(image.getexif().get(EXIF_ORIENTATION, 1) or 1)
    frames = getattr(image, "n_frames", 1)
    if image_format == "JPEG":
        image.draft("RGB", (size, size))  # DCT scaling: decode at the smallest scale still >= the thumbnail
    image.load()
    thumbnail = ImageOps.exif_transpose(image.convert("RGB") if image.mode != "RGB" else image)
    thumbnail.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    thumbnail.save(out, format="JPEG", quality=85)
    if orientation in TRANSPOSED:
        width, height = height, width
    metadata = MediaMetadata(
        kind="image",
        format=(image_format or "unknown").lower(),
        width=width,
        height=height,
        frame_count=frames,
        exif_orientation=orientation,
    )
    return ProcessedImage(metadata=metadata, thumbnail=out.getvalue())
