"""Pascal VOC 2012 layout: per picture `Annotations/<name>.xml` (its size and an object per shape with an area: label,
`bndbox`, `truncated`/`difficult`/`occluded` 0), and where it has shapes with an area `SegmentationClass/<name>.png`
and `SegmentationObject/<name>.png`; the lists `ImageSets/Main/default.txt` (every picture) and
`ImageSets/Segmentation/default.txt` (those with masks); `labelmap.txt` (datumaro's `label:color_rgb:parts:actions`,
class 0 `background` first, `_background_` when a label has that name, so readers know the label set's names and
colours; a label past index 254 has no colour; a label holding `:` makes the file unreadable to datumaro); with
`include_media` the pictures under `JPEGImages/` (their own path and extension, which `filename` names).

`<name>` is the picture's path without its extension (folders kept, `~2` added to a name already taken); a video gives
a picture per labeled time point (or per interpolated frame) named `<video>/frame_000042`.

Boxes follow VOC's 1-based pixel convention: the box from x0 to x1 (pixel edges, 0 at the image's left edge) covers
the pixels x0+1 … x1, so `xmin` = x0 + 1 and `xmax` = x1, rounded to whole pixels (within 0.5 px), clipped to the
picture. A rectangle is held as it is; a polygon, circle or rotated rectangle as its bounds (converted); points and
polylines are skipped (VOC holds areas only).

Masks are palette PNGs with the VOC colormap: SegmentationClass holds the class index per pixel (0 background, the
label set's labels from 1), SegmentationObject the instance index (the picture's objects from 1, in order). Every
shape with an area is painted in shape order (a later one covers an earlier), a pixel painted when its centre lies
inside the outline (conversions.spans; circles as 64-gons). No 255 border is drawn. A class index or an instance index
above 254 cannot be painted (255 is VOC's border): such a shape keeps its box only (counted as converted).

Reading: each `Annotations/*.xml` is an item named by its `filename` (else its path, with the picture's extension
from JPEGImages when there), its objects rectangles from `bndbox` (1-based: x0 = xmin - 1); masks are not turned
back into polygons (each mask file is counted in `report.skipped`)."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import PurePosixPath

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from labelstream_shared.events.contracts import Shape
from PIL import Image

from labelstream_formats import conversions as cv
from labelstream_formats import pictures
from labelstream_formats.model import (
    ArchiveFile,
    ArchiveReader,
    ExportDataset,
    ExportOptions,
    ImportedItem,
    Item,
    MediaSource,
    Report,
)

ANNOTATIONS = "Annotations/"
CLASS_MASKS = "SegmentationClass/"
OBJECT_MASKS = "SegmentationObject/"
IMAGES = "JPEGImages/"
MAIN_LIST = "ImageSets/Main/default.txt"
SEGMENTATION_LIST = "ImageSets/Segmentation/default.txt"
LABELMAP = "labelmap.txt"
BORDER = 255  # VOC's "void" index: the last one a mask cannot use for a class or an object
BNDBOX = ("xmin", "ymin", "xmax", "ymax")
MASK_NOT_READ = "segmentation mask: not turned back into polygons (the boxes are read)"


def colormap(size: int = 256) -> list[tuple[int, int, int]]:
    """VOC's colormap: index i's colour spreads i's bits over the high bits of red, green and blue."""
    colours = []
    for i in range(size):
        r = g = b = 0
        c = i
        for j in range(7, -1, -1):
            r |= (c & 1) << j
            g |= ((c >> 1) & 1) << j
            b |= ((c >> 2) & 1) << j
            c >>= 3
        colours.append((r, g, b))
    return colours


PALETTE = [v for colour in colormap() for v in colour]


class Voc:
    name = "voc"
    title = "Pascal VOC 2012"
    media_kinds = frozenset({"image", "video"})
    shape_kinds = cv.AREA_KINDS

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        class_of = {label: i + 1 for i, label in enumerate(dataset.labels)}
        yield ArchiveFile(LABELMAP, (labelmap(dataset.labels).encode(),))
        names = pictures.FileNames()
        for item, frame, shapes in pictures.pictures(dataset.items(), options, report):
            stem, _ = names.take(pictures.picture_name(item, frame))
            yield from _picture_files(item, pictures.picture_name(item, frame), stem, shapes, class_of, report)
        yield ArchiveFile(MAIN_LIST, _list(dataset, options, class_of, every=True))
        yield ArchiveFile(SEGMENTATION_LIST, _list(dataset, options, class_of, every=False))
        if options.include_media:
            for item, frame, data in pictures.picture_bytes(dataset.items(), options, media):
                yield ArchiveFile(f"{IMAGES}{pictures.picture_name(item, frame)}", data)

    def detect(self, archive: ArchiveReader) -> bool:
        return any(_is_annotation(n) for n in archive.names())

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        names = archive.names()
        pictures_by_stem = {_stem(n[len(IMAGES) :]): n for n in names if n.startswith(IMAGES)}
        for name in names:
            if name.startswith((CLASS_MASKS, OBJECT_MASKS)) and name.endswith(".png"):
                report.skipped[MASK_NOT_READ] += 1
        for name in names:
            if _is_annotation(name):
                report.item_done()
                yield _read_annotation(archive, name, pictures_by_stem)


def labelmap(labels: tuple[str, ...]) -> str:
    """datumaro's VOC label map: `label:r,g,b:parts:actions`, background first, each label its class index's colour."""
    colours = colormap()
    background = "background" if "background" not in labels else "_background_"  # class 0, a name of its own
    lines = ["# label:color_rgb:parts:actions", f"{background}:0,0,0::"]
    for i, label in enumerate(labels, start=1):
        lines.append(f"{label}:{','.join(map(str, colours[i])) if i < BORDER else ''}::")
    return "\n".join(lines) + "\n"


def _picture_files(
    item: Item, picture: str, stem: str, shapes: tuple[Shape, ...], class_of: dict[str, int], report: Report
) -> Iterator[ArchiveFile]:
    """The annotation of one picture, and its two masks when it has shapes with an area."""
    width, height = item.width or 0, item.height or 0
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = ""
    ET.SubElement(root, "filename").text = picture
    size = ET.SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", 3)):
        ET.SubElement(size, tag).text = str(value)
    segmented = ET.SubElement(root, "segmented")
    painted: list[tuple[list[cv.Point], int, int]] = []  # outline, class index, instance index
    instance = 0
    for shape in shapes:
        inside = _visible(shape, width, height, class_of, report)
        if inside is None:
            continue
        report.shapes += 1
        instance += 1  # the object's number, its index in SegmentationObject
        _object(root, shape.label, cv.bounds(inside))
        if class_of[shape.label] < BORDER and instance < BORDER:
            painted.append((inside, class_of[shape.label], instance))
        else:
            report.convert(shape, "box only (VOC masks hold 254 classes and 254 objects)")
    segmented.text = "1" if painted else "0"
    ET.indent(root)
    yield ArchiveFile(f"{ANNOTATIONS}{stem}.xml", (ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n",))
    if painted:
        yield ArchiveFile(f"{CLASS_MASKS}{stem}.png", (_mask(painted, width, height, by_class=True),))
        yield ArchiveFile(f"{OBJECT_MASKS}{stem}.png", (_mask(painted, width, height, by_class=False),))


def _visible(
    shape: Shape, width: int, height: int, class_of: dict[str, int], report: Report | None
) -> list[cv.Point] | None:
    """The part of the shape's outline inside the picture, or None (counted in `report` when given)."""
    area = pictures.area_inside(shape, width, height, class_of, holder="VOC")
    if isinstance(area, str):
        if report is not None:
            report.skip(shape, area)
        return None
    if report is not None:
        held_as = "box clipped to the picture" if area.clipped else None if shape.kind == "rectangle" else "box"
        if held_as is not None:
            report.convert(shape, held_as)
    return area.outline


def _object(root: ET.Element, label: str, bounds: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = (math.floor(v + 0.5) for v in bounds)
    obj = ET.SubElement(root, "object")
    ET.SubElement(obj, "name").text = label
    ET.SubElement(obj, "pose").text = "Unspecified"
    for flag in ("truncated", "occluded", "difficult"):
        ET.SubElement(obj, flag).text = "0"
    box = ET.SubElement(obj, "bndbox")
    for tag, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", max(x1, x0 + 1)), ("ymax", max(y1, y0 + 1))):
        ET.SubElement(box, tag).text = str(value)


def _mask(painted: list[tuple[list[cv.Point], int, int]], width: int, height: int, *, by_class: bool) -> bytes:
    """A palette PNG: each outline's pixels (centres inside) set to its class (or instance) index, in order."""
    mask = Image.new("P", (width, height), 0)
    mask.putpalette(PALETTE)
    for outline, class_index, instance in painted:
        for row, first, last in cv.spans(outline, width, height):
            mask.paste(class_index if by_class else instance, (first, row, last + 1, row + 1))
    out = io.BytesIO()
    mask.save(out, format="PNG")
    return out.getvalue()


def _list(dataset: ExportDataset, options: ExportOptions, class_of: dict[str, int], *, every: bool) -> Iterator[bytes]:
    """An ImageSets list: every picture's name, or (`every` False) those with masks."""
    names = pictures.FileNames()
    for item, frame, shapes in pictures.pictures(dataset.items(), options):
        stem, _ = names.take(pictures.picture_name(item, frame))
        w, h = item.width or 0, item.height or 0
        if every or any(_visible(s, w, h, class_of, None) is not None for s in shapes):
            yield f"{stem}\n".encode()


def _is_annotation(name: str) -> bool:
    return name.startswith(ANNOTATIONS) and name.endswith(".xml")


def _read_annotation(archive: ArchiveReader, name: str, pictures_by_stem: dict[str, str]) -> ImportedItem:
    stem = _stem(name[len(ANNOTATIONS) :])
    picture = pictures_by_stem.get(stem)
    fallback = picture[len(IMAGES) :] if picture else f"{stem}.jpg"
    try:
        root = SafeET.fromstring(archive.read(name))
    except (SafeET.ParseError, DefusedXmlException) as exc:
        return ImportedItem(name=fallback, problems=(f"{name}: not XML ({exc})",))
    item_name = (root.findtext("filename") or "").strip() or fallback
    width, height = _int(root.findtext("size/width")), _int(root.findtext("size/height"))
    shapes: list[Shape] = []
    problems: list[str] = []
    for n, obj in enumerate(root.iter("object"), start=1):
        label = (obj.findtext("name") or "").strip()
        try:
            xmin, ymin, xmax, ymax = (
                float(obj.findtext(f"bndbox/{tag}") or "") for tag in ("xmin", "ymin", "xmax", "ymax")
            )
        except ValueError:
            problems.append(f"{name}: object {n} has no numeric bndbox")
            continue
        if not label:
            problems.append(f"{name}: object {n} has no name")
            continue
        points = ((xmin - 1, ymin - 1), (xmax, ymax))
        shapes.append(Shape(shape_id=f"voc{len(shapes) + 1}", kind="rectangle", label=label, points=points))
    return ImportedItem(
        name=item_name, shapes=tuple(shapes), width=width, height=height, problems=tuple(problems), picture=picture
    )


def _stem(path: str) -> str:
    return str(PurePosixPath(path).with_suffix(""))


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


FORMAT = Voc()
