"""The pictures of an export, written once for every format: an image sample is one picture, a video gives one per
labeled time point (or, with `interpolated`, per frame of an interpolated box) with that frame's shapes; a picture's
name (the sample's path, or `<video>/frame_000042.jpg`), a unique file name for it, its bytes for `include_media`, and
the part of a shape's area inside it. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from labelstream_shared.events.contracts import Shape

from labelstream_formats import conversions as cv
from labelstream_formats.model import ArchiveReader, ExportOptions, ImportedItem, Item, MediaSource, Report


def pictures(
    items: Iterable[Item], options: ExportOptions, report: Report | None = None
) -> Iterator[tuple[Item, int | None, tuple[Shape, ...]]]:
    """(item, frame, shapes) per picture: an image sample (frame None), or a video's frame; counts each item in
    `report` once its pictures are given, when given one."""
    for item in items:
        if item.media_kind == "video":
            for fs in cv.frames(item, interpolated=options.interpolated):
                yield item, fs.frame, fs.shapes
        else:
            yield item, None, item.shapes
        if report is not None:
            report.item_done()


def picture_name(item: Item, frame: int | None) -> str:
    """The path of a picture: the image sample's own, or its video's frame's."""
    return item.name if frame is None else cv.frame_name(item, frame)


def picture_bytes(
    items: Iterable[Item], options: ExportOptions, media: MediaSource
) -> Iterator[tuple[Item, int | None, Iterable[bytes]]]:
    """(item, frame, bytes) per picture, in the order of `pictures`: each image sample as stored, a video's frames
    as JPEG (those the labels use, extracted in one pass per video)."""
    for item in items:
        if item.media_kind == "image":
            yield item, None, media.image(item)
        else:
            for frame, data in frame_bytes(item, options, media):
                yield item, frame, (data,)


def frame_bytes(item: Item, options: ExportOptions, media: MediaSource) -> Iterator[tuple[int, bytes]]:
    """(frame, JPEG) of the frames of a video the labels use (with `interpolated`, every frame of an interpolated
    box), extracted in one pass."""
    return media.frames(item, [fs.frame for fs in cv.frames(item, interpolated=options.interpolated)])


class FileNames:
    """A file name per picture, unique within an export, as (stem, extension): the picture's path with each `/`
    replaced by `separator` (`/` keeps the folders), `~2`, `~3`… added to a stem already taken (`a.png` and `a.jpg`
    share the stem `a`; case is ignored). Holds the stems taken, a few dozen bytes per picture."""

    def __init__(self, separator: str = "/") -> None:
        self._separator = separator
        self._taken: set[str] = set()
        self._tries: dict[str, int] = {}

    def take(self, path: str) -> tuple[str, str]:
        flat = PurePosixPath(path.replace("/", self._separator))
        suffix = flat.suffix
        base = str(flat.with_suffix("")) if suffix else str(flat)
        stem, n = base, self._tries.get(base.casefold(), 1)
        while stem.casefold() in self._taken:
            n += 1
            stem = f"{base}~{n}"
        if n > 1:
            self._tries[base.casefold()] = n  # where the next picture of this name starts looking
        self._taken.add(stem.casefold())
        return stem, suffix


@dataclass(frozen=True, slots=True)
class Area:
    """The part of a shape's area inside its picture, and whether it lost some to the picture's edges."""

    outline: list[cv.Point]
    clipped: bool


def area_inside(
    shape: Shape, width: int | None, height: int | None, labels: Container[str], *, holder: str, clamp: bool = False
) -> Area | str:
    """The shape's outline cut to the picture (with `clamp`, its points moved onto the picture instead, keeping
    their number), or why `holder` (a format holding areas only) cannot hold it."""
    outline = cv.polygon(shape)
    if outline is None:
        return f"{holder} holds areas only"
    if shape.label not in labels:
        return f"label {shape.label!r} is not in the label set"
    if not width or not height:
        return "the picture's size is unknown"
    if clamp:
        inside = [(cv.clip(x, 0.0, width), cv.clip(y, 0.0, height)) for x, y in outline]
    else:
        inside = cv.clipped(outline, width, height)
    if len(inside) < 3 or cv.area(inside) == 0:
        return "outside the picture"
    return Area(outline=inside, clipped=inside != outline)


def with_picture(items: Iterable[ImportedItem], archive: ArchiveReader, folder: str) -> Iterator[ImportedItem]:
    """The items, each with its picture where the archive holds it as `<folder><name>` (e.g. `images/a/b.png`)."""
    held = set(archive.names())
    for item in items:
        path = f"{folder}{item.name}"
        yield dataclasses.replace(item, picture=path) if item.picture is None and path in held else item
