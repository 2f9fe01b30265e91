"""COCO instances (`annotations/instances_default.json`, and the pictures under `images/` with `include_media`).

Every shape with an area is an annotation: its outline as `segmentation` (one polygon), `bbox` [x, y, w, h], `area`
(of the outline), `iscrowd` 0; a circle is held as a 64-gon and a rotated rectangle as its 4 corners; points and
polylines are skipped (instances hold areas only). Categories are the label set, in its order, ids from 1. A video
gives one image per labeled time point (or per frame of an interpolated box), named `<video>/frame_000042.jpg`, with
`video` and `frame` fields. The JSON is written in one pass over the items: the images as they come, their
annotations meanwhile into a spool (8 MiB in memory, then a temporary file) that follows them, so memory stays flat.

Reading: polygons (each part of a multi-part segmentation its own polygon; a 4-corner axis-aligned one matching the
bbox a rectangle), a bbox without segmentation a rectangle; RLE masks (iscrowd 1) are skipped."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from typing import IO, Any

import orjson
from labelstream_shared.events.contracts import Shape

from labelstream_formats import conversions as cv
from labelstream_formats import pictures
from labelstream_formats.archive import encoded
from labelstream_formats.model import (
    ArchiveFile,
    ArchiveReader,
    ExportDataset,
    ExportOptions,
    ImportedItem,
    MediaSource,
    Report,
)

ANNOTATIONS = "annotations/instances_default.json"
SPOOL_BYTES = 8 * 1024 * 1024  # annotations kept in memory before they go to a temporary file
SPOOL_CHUNK = 256 * 1024


def _dumps(value: Any) -> str:
    """Compact JSON, as `json.dumps(value, separators=(",", ":"), ensure_ascii=False)` writes it. orjson writes the
    same text for strings, integers, finite floats, lists and dicts with string keys, ten times faster (the cost of
    a large export); it writes a non-finite float as null, so any null (never written by COCO itself) or value it
    refuses goes through json."""
    try:
        fast = orjson.dumps(value)
    except TypeError:
        fast = b"null"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if b"null" in fast else fast.decode()


class Coco:
    name = "coco"
    title = "COCO instances 1.0"
    media_kinds = frozenset({"image", "video"})
    shape_kinds = cv.AREA_KINDS

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        yield ArchiveFile(ANNOTATIONS, self._document(dataset, options, report))
        if options.include_media:
            yield from media_files(dataset, options, media)

    def _document(self, dataset: ExportDataset, options: ExportOptions, report: Report) -> Iterator[bytes]:
        """The JSON in one pass over the items: the images are written as they come, their annotations meanwhile
        into a spool (in memory up to SPOOL_BYTES, then a temporary file), which follows them."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            yield from encoded(self._head_and_images(dataset, options, report, spool))
            yield b'],"annotations":['
            spool.seek(0)
            while chunk := spool.read(SPOOL_CHUNK):
                yield chunk
            yield b"]}"

    def _head_and_images(
        self, dataset: ExportDataset, options: ExportOptions, report: Report, spool: IO[bytes]
    ) -> Iterator[str]:
        categories = [{"id": i + 1, "name": n, "supercategory": ""} for i, n in enumerate(dataset.labels)]
        yield '{"info":' + _dumps({"description": dataset.name, "version": "1.0", "contributor": "Labelstream"})
        yield ',"licenses":[],"categories":' + _dumps(categories) + ',"images":['
        category_of = {n: i + 1 for i, n in enumerate(dataset.labels)}
        annotations = _Spooled(spool)
        annotation_id = 0
        for image_id, (item, frame, shapes) in enumerate(pictures.pictures(dataset.items(), options, report), start=1):
            image: dict[str, Any] = {"id": image_id, "file_name": pictures.picture_name(item, frame)}
            image |= {"width": item.width or 0, "height": item.height or 0}
            if frame is not None:
                image |= {"video": item.name, "frame": frame}
            yield ("," if image_id > 1 else "") + _dumps(image)
            for shape in shapes:
                annotation = _annotation(shape, category_of, report)
                if annotation is None:
                    continue
                annotation_id += 1
                report.shapes += 1
                annotations.add(_dumps({"id": annotation_id, "image_id": image_id, **annotation}))
        annotations.flush()

    def detect(self, archive: ArchiveReader) -> bool:
        return any(n.startswith("annotations/") and n.endswith(".json") for n in archive.names())

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        for name in archive.names():
            if name.startswith("annotations/") and name.endswith(".json"):
                yield from pictures.with_picture(
                    _read_document(json.loads(archive.read(name)), report), archive, "images/"
                )


def _annotation(shape: Shape, category_of: dict[str, int], report: Report) -> dict[str, Any] | None:
    if shape.kind == "rectangle" and shape.label in category_of:
        return _rectangle(shape, category_of[shape.label])
    outline = cv.polygon(shape)
    if outline is None:
        report.skip(shape, "COCO instances hold areas only")
        return None
    if shape.label not in category_of:
        report.skip(shape, f"label {shape.label!r} is not in the label set")
        return None
    if shape.kind in ("circle", "rotated_rectangle"):
        report.convert(shape, "polygon")
    x0, y0, x1, y1 = cv.bounds(outline)
    left, top = round(x0, 2), round(y0, 2)
    segmentation = [round(c, 2) for p in outline for c in p]
    return _element(category_of[shape.label], segmentation, cv.area(outline), left, top, x1 - x0, y1 - y0, shape)


def _rectangle(shape: Shape, category: int) -> dict[str, Any]:
    """The common case, without an outline: a rectangle's corners are its bounds, its area width times height."""
    (ax, ay), (bx, by) = shape.points[0], shape.points[1]
    x0, x1 = (ax, bx) if ax <= bx else (bx, ax)
    y0, y1 = (ay, by) if ay <= by else (by, ay)
    left, top, right, bottom = round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)
    segmentation = [left, top, right, top, right, bottom, left, bottom]
    return _element(category, segmentation, (x1 - x0) * (y1 - y0), left, top, x1 - x0, y1 - y0, shape)


def _element(
    category: int, segmentation: list[float], area: float, left: float, top: float, w: float, h: float, shape: Shape
) -> dict[str, Any]:
    return {
        "category_id": category,
        "segmentation": [segmentation],
        "area": round(area, 2),
        "bbox": [left, top, round(w, 2), round(h, 2)],
        "iscrowd": 0,
        "attributes": {"object_id": shape.object_id} if shape.object_id else {},
    }


def media_files(dataset: ExportDataset, options: ExportOptions, media: MediaSource) -> Iterator[ArchiveFile]:
    """The pictures under `images/`: each image sample as stored, a video's frames as JPEG (those the labels use)."""
    for item, frame, data in pictures.picture_bytes(dataset.items(), options, media):
        yield ArchiveFile(f"images/{pictures.picture_name(item, frame)}", data)


def _read_document(document: dict[str, Any], report: Report) -> Iterator[ImportedItem]:
    names = {c["id"]: c["name"] for c in document.get("categories", [])}
    by_image: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for annotation in document.get("annotations", []):
        by_image[annotation.get("image_id")].append(annotation)
    for image in document.get("images", []):
        shapes: list[Shape] = []
        problems: list[str] = []
        for n, annotation in enumerate(by_image.get(image.get("id"), [])):
            label = names.get(annotation.get("category_id"))
            if label is None:
                problems.append(f"annotation {annotation.get('id')}: unknown category {annotation.get('category_id')}")
                continue
            shapes += _shapes_of(annotation, label, f"coco{annotation.get('id', n)}", problems)
        report.item_done()
        name = str(image.get("file_name", ""))
        yield ImportedItem(
            name=name,
            shapes=tuple(shapes),
            width=image.get("width"),
            height=image.get("height"),
            problems=tuple(problems),
        )


def _shapes_of(annotation: dict[str, Any], label: str, shape_id: str, problems: list[str]) -> list[Shape]:
    segmentation = annotation.get("segmentation")
    bbox = annotation.get("bbox")
    if isinstance(segmentation, dict) or annotation.get("iscrowd"):
        problems.append(f"annotation {annotation.get('id')}: RLE masks (iscrowd) are not imported")
        return []
    parts = [p for p in (segmentation or []) if isinstance(p, list) and len(p) >= 6]
    if not parts:
        if bbox and len(bbox) == 4:
            x, y, w, h = (float(v) for v in bbox)
            return [Shape(shape_id=shape_id, kind="rectangle", label=label, points=((x, y), (x + w, y + h)))]
        problems.append(f"annotation {annotation.get('id')}: neither a polygon nor a box")
        return []
    shapes = []
    for i, flat in enumerate(parts):
        points = tuple((float(flat[j]), float(flat[j + 1])) for j in range(0, len(flat) - 1, 2))
        sid = shape_id if len(parts) == 1 else f"{shape_id}-{i}"
        shapes.append(
            _as_rectangle(points, bbox, label, sid) or Shape(shape_id=sid, kind="polygon", label=label, points=points)
        )
    return shapes


def _as_rectangle(points: tuple[tuple[float, float], ...], bbox: Any, label: str, shape_id: str) -> Shape | None:
    """A 4-corner axis-aligned outline equal to the bbox was a rectangle."""
    if len(points) != 4 or not bbox or len(bbox) != 4:
        return None
    x0, y0, x1, y1 = cv.bounds(points)
    corners = {(x0, y0), (x1, y0), (x1, y1), (x0, y1)}
    same_box = all(abs(a - b) <= 0.01 for a, b in zip((x0, y0, x1 - x0, y1 - y0), bbox, strict=True))
    if set(points) != corners or not same_box:
        return None
    return Shape(shape_id=shape_id, kind="rectangle", label=label, points=((x0, y0), (x1, y1)))


FORMAT = Coco()


class _Spooled:
    """The annotations' JSON array elements, written into the spool as UTF-8 in pieces of about 64 KiB."""

    def __init__(self, spool: IO[bytes]) -> None:
        self._spool = spool
        self._parts: list[str] = []
        self._size = 0
        self._first = True

    def add(self, element: str) -> None:
        self._parts.append(element if self._first else "," + element)
        self._first = False
        self._size += len(element)
        if self._size >= 64 * 1024:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._spool.write("".join(self._parts).encode())
            self._parts, self._size = [], 0
