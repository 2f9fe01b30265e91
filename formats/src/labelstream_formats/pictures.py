"""The pictures of an export, written once for every format: an image sample is one picture, a video gives one per
labeled time point (or, with `interpolated`, per frame of an interpolated box) with that frame's shapes; a picture's
name (the sample's path, or `<video>/frame_000042.jpg`) and its bytes for `include_media`. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from labelstream_shared.events.contracts import Shape

from labelstream_formats import conversions as cv
from labelstream_formats.model import ExportOptions, Item, MediaSource, Report


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
            wanted = [fs.frame for fs in cv.frames(item, interpolated=options.interpolated)]
            for frame, data in media.frames(item, wanted):
                yield item, frame, (data,)
