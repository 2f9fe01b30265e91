"""CVAT for images 1.1 (`annotations.xml`, and the pictures under `images/` with `include_media`, as CVAT lays out
a task export).

`<meta><task>` names the dataset (mode `annotation`) and lists the label set in its order; each picture is an
`<image id name width height>` holding its shapes natively: a rectangle as `<box xtl ytl xbr ybr>`, a rotated
rectangle as the same box before rotation with `rotation` (degrees clockwise about the centre, in [0, 360) as CVAT
keeps it), a polygon as `<polygon points="x,y;x,y">`, a polyline as `<polyline>`, a point as `<points>`, a circle as
`<ellipse cx cy rx ry>` with rx = ry: nothing is skipped or converted. A video gives one `<image>` per labeled time
point (with `interpolated`, per frame of an interpolated box), named `<video>/frame_000042.jpg`. Ids count the
pictures from 0. `<size>` is left out of the meta: it would take a pass over the items of its own. The XML is
written as text, piece by piece, so memory stays flat.

Reading: every `<image>` is an item with its shapes; a box with `rotation` is a rotated rectangle, an ellipse with
rx = ry a circle and any other ellipse its 64-gon (counted as converted); masks, cuboids, skeletons and tags are
skipped and counted. The XML is read with defusedxml (no entities, no external references).

The XML pieces (shape elements, the meta, reading a shape element) are shared with CVAT for video."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml.ElementTree import iterparse
from labelstream_shared.events.contracts import Shape

from labelstream_formats import conversions as cv
from labelstream_formats import pictures
from labelstream_formats.archive import encoded
from labelstream_formats.formats.coco import media_files
from labelstream_formats.model import (
    ArchiveFile,
    ArchiveReader,
    ExportDataset,
    ExportOptions,
    ImportedItem,
    MediaKind,
    MediaSource,
    Report,
)

DOCUMENT = "annotations.xml"
VERSION = "1.1"
ALL_KINDS = frozenset({"polygon", "rectangle", "circle", "polyline", "point", "rotated_rectangle"})
Attributes = list[tuple[str, str]]
Flavour = Literal["images", "video"]
NEEDS_ESCAPING = re.compile("[&<>\"'\n\r\t]")


def number(value: float) -> str:
    """A coordinate as CVAT writes it: 2 decimals."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _quoted(value: str) -> str:
    """An attribute's value in quotes, escaped where it needs it (numbers, most of them, do not)."""
    return quoteattr(value) if NEEDS_ESCAPING.search(value) else f'"{value}"'


def element(tag: str, attributes: Attributes, depth: int, *, empty: bool = True) -> str:
    """One start tag (`empty`: a whole empty element) on its own line, `depth` levels in."""
    written = "".join(f" {name}={_quoted(value)}" for name, value in attributes)
    return f"{'  ' * depth}<{tag}{written}{'/' if empty else ''}>\n"


def point_list(points: Iterable[tuple[float, float]]) -> str:
    return ";".join(f"{number(x)},{number(y)}" for x, y in points)


def geometry(shape: Shape) -> tuple[str, Attributes]:
    """The CVAT element that holds `shape` natively and its geometry attributes."""
    if shape.kind in cv.BOX_KINDS:
        x0, y0, x1, y1 = cv.bounds(shape.points[:2])
        box = [("xtl", number(x0)), ("ytl", number(y0)), ("xbr", number(x1)), ("ybr", number(y1))]
        if shape.kind == "rotated_rectangle":
            box.append(("rotation", number((shape.rotation or 0.0) % 360)))
        return "box", box
    if shape.kind == "circle":
        (cx, cy), (ex, ey) = shape.points[0], shape.points[1]
        radius = number(math.hypot(ex - cx, ey - cy))
        return "ellipse", [("cx", number(cx)), ("cy", number(cy)), ("rx", radius), ("ry", radius)]
    if shape.kind == "polygon":
        return "polygon", [("points", point_list(cv.polygon(shape) or []))]
    return ("polyline" if shape.kind == "polyline" else "points"), [("points", point_list(shape.points))]


def header(task: Attributes, labels: Sequence[str], *, size: tuple[int, int] | None = None, source: str = "") -> str:
    """The document's start: the version and `<meta>`: `<task>` with `task`'s fields, the labels in order and the
    original size when given, then `<source>` when given; the annotations follow."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>\n', "<annotations>\n", f"  <version>{VERSION}</version>\n"]
    lines += ["  <meta>\n", "    <task>\n"]
    lines += [f"      <{name}>{escape(value)}</{name}>\n" for name, value in task]
    lines.append("      <labels>\n")
    for label in labels:
        lines.append(f"        <label>\n          <name>{escape(label)}</name>\n          <type>any</type>\n")
        lines.append("          <attributes>\n          </attributes>\n        </label>\n")
    lines.append("      </labels>\n")
    if size is not None:
        lines.append(f"      <original_size>\n        <width>{size[0]}</width>\n        <height>{size[1]}</height>\n")
        lines.append("      </original_size>\n")
    lines.append("    </task>\n")
    if source:
        lines.append(f"    <source>{escape(source)}</source>\n")
    lines.append("  </meta>\n")
    return "".join(lines)


FOOTER = "</annotations>\n"


class CvatImages:
    name = "cvat_images"
    title = "CVAT for images 1.1"
    media_kinds: frozenset[MediaKind] = frozenset({"image", "video"})
    shape_kinds = ALL_KINDS

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        yield ArchiveFile(DOCUMENT, encoded(self._xml(dataset, options, report)))
        if options.include_media:
            yield from media_files(dataset, options, media)

    def _xml(self, dataset: ExportDataset, options: ExportOptions, report: Report) -> Iterator[str]:
        yield header([("name", dataset.name), ("mode", "annotation")], dataset.labels)
        labels = frozenset(dataset.labels)
        for image_id, (item, frame, shapes) in enumerate(pictures.pictures(dataset.items(), options, report)):
            size = [(k, str(v)) for k, v in (("width", item.width), ("height", item.height)) if v is not None]
            name = pictures.picture_name(item, frame)
            yield element("image", [("id", str(image_id)), ("name", name), *size], 1, empty=False)
            for shape in shapes:
                if shape.label not in labels:
                    report.skip(shape, f"label {shape.label!r} is not in the label set")
                    continue
                tag, attributes = geometry(shape)
                common = [("label", shape.label), ("source", "manual"), ("occluded", "0")]
                yield element(tag, [*common, *attributes, ("z_order", "0")], 2)
                report.shapes += 1
            yield "  </image>\n"
        yield FOOTER

    def detect(self, archive: ArchiveReader) -> bool:
        return any(flavour(archive.read(n)) == "images" for n in documents(archive))

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        return pictures.with_picture(self._items(archive, report), archive, "images/")

    def _items(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        for name in documents(archive):
            data = archive.read(name)
            if flavour(data) == "images":
                try:
                    for image in top_elements(data, "image"):
                        yield _image_item(image, report)
                except (ParseError, ValueError) as exc:
                    yield broken(name, exc)


def _image_item(image: Element, report: Report) -> ImportedItem:
    shapes: list[Shape] = []
    problems: list[str] = []
    for n, child in enumerate(image, start=1):
        label = child.get("label")
        if label is None:
            problems.append(f"<{child.tag}> without a label")
            continue
        shapes += shapes_of(child, label=label, shape_id=f"cvat{n}", report=report, problems=problems)
    report.item_done()
    return ImportedItem(
        name=image.get("name", ""),
        shapes=tuple(shapes),
        width=_integer(image.get("width")),
        height=_integer(image.get("height")),
        problems=tuple(f"image {image.get('name')!r}: {p}" for p in problems),
    )


# Reading ------------------------------------------------------------------------------------------------------------


def documents(archive: ArchiveReader) -> list[str]:
    """The archive's CVAT XML documents: `annotations.xml` at its root or in a folder."""
    return [n for n in archive.names() if n == DOCUMENT or n.endswith("/" + DOCUMENT)]


def broken(name: str, exc: Exception) -> ImportedItem:
    """What stands for a document that could not be read (to its end)."""
    return ImportedItem(name=name, problems=(f"{name}: not a readable CVAT XML document ({exc})",))


def flavour(data: bytes) -> Flavour | None:
    """Whether a CVAT XML document is for images or for video (its meta's mode, else its first `<image>` or
    `<track>`); None when it is no CVAT document."""
    try:
        for event, el in iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start" and el.tag in ("image", "track"):
                return "images" if el.tag == "image" else "video"
            if event == "end" and el.tag == "mode" and el.text in ("annotation", "interpolation"):
                return "video" if el.text == "interpolation" else "images"
            if event == "end" and el.tag == "meta":
                break
    except (ParseError, ValueError):
        return None
    return "images"


def top_elements(data: bytes, *tags: str) -> Iterator[Element]:
    """The root's children with one of `tags`, each once it is complete; the ones already given are dropped, so
    memory holds about one at a time."""
    root: Element | None = None
    depth = 0
    for event, el in iterparse(io.BytesIO(data), events=("start", "end")):
        if event == "start":
            root = el if root is None else root
            depth += 1
            continue
        depth -= 1
        if depth == 1 and root is not None:  # a child of the root is complete
            if el.tag in tags:
                yield el
            root.remove(el)


def shapes_of(el: Element, *, label: str, shape_id: str, report: Report, problems: list[str]) -> list[Shape]:
    """Labelstream's shapes of one CVAT shape element (a `<points>` element gives one point per pair)."""
    try:
        found = _shapes_of(el, label, shape_id, report)
        if found is None:
            problems.append(f"<{el.tag}> is not a shape Labelstream holds")
            report.skipped[f"{el.tag}: Labelstream holds no such shape"] += 1
            return []
        return found
    except (KeyError, ValueError) as exc:  # a missing attribute, a bad number, a shape pydantic refuses
        problems.append(f"<{el.tag}> {exc}")
        return []


def _shapes_of(el: Element, label: str, shape_id: str, report: Report) -> list[Shape] | None:
    a = el.attrib
    if el.tag == "box":
        box = ((float(a["xtl"]), float(a["ytl"])), (float(a["xbr"]), float(a["ybr"])))
        if "rotation" in a:
            return [_shape(shape_id, "rotated_rectangle", label, box, rotation=float(a["rotation"]))]
        return [_shape(shape_id, "rectangle", label, box)]
    if el.tag in ("polygon", "polyline"):
        return [_shape(shape_id, el.tag, label, _points(a["points"]))]
    if el.tag == "points":
        points = _points(a["points"])
        ids = [shape_id] if len(points) == 1 else [f"{shape_id}-{i}" for i in range(len(points))]
        return [_shape(i, "point", label, (p,)) for i, p in zip(ids, points, strict=True)]
    if el.tag == "ellipse":
        cx, cy, rx, ry = (float(a[k]) for k in ("cx", "cy", "rx", "ry"))
        if abs(rx - ry) < 0.01:
            return [_shape(shape_id, "circle", label, ((cx, cy), (cx + (rx + ry) / 2, cy)))]
        report.converted["ellipse as polygon"] += 1
        outline = cv.ellipse(cx, cy, rx, ry, float(a.get("rotation", 0)))
        return [_shape(shape_id, "polygon", label, tuple(outline))]
    return None


def _shape(shape_id: str, kind: str, label: str, points: tuple[tuple[float, float], ...], **extra: Any) -> Shape:
    return Shape.model_validate({"shape_id": shape_id, "kind": kind, "label": label, "points": points, **extra})


def _points(text: str) -> tuple[tuple[float, float], ...]:
    pairs = [p.split(",") for p in text.strip().split(";") if p.strip()]
    if not pairs or any(len(p) != 2 for p in pairs):
        raise ValueError(f"points {text!r} are not x,y;x,y")
    return tuple((float(x), float(y)) for x, y in pairs)


def _integer(text: str | None) -> int | None:
    try:
        return None if text is None else int(float(text))
    except ValueError:
        return None


FORMAT = CvatImages()
