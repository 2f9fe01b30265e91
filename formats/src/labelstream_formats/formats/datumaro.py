"""The Datumaro format, as datumaro 1.x writes it (format version 1.0): `annotations/default.json` with
`dm_format_version`, `media_type` (2, images), `infos` (the dataset's name), `categories.label` (the label set in its
order) and `items`; with `include_media` the pictures under `images/default/<path>`.

An item is a picture: an image sample (its id the sample's path without the extension, `image.path` the path,
`image.size` [height, width]), or a video's labeled time point (with `interpolated`, each frame of an interpolated
box), its id `<video path>/frame_000042` and `attr` {"video", "frame"}. Ids are unique: a path whose id is taken
(`a.jpg` after `a.png`) gets `~2`, `~3`... (pictures.FileNames, which remembers the ids: a few dozen bytes each).
Annotations hold every kind datumaro's format has: a rectangle as `bbox` [x, y, w, h], a polygon, a polyline, a point
as `points` (visible), a circle as an `ellipse` [x1, y1, x2, y2] (its bounding square); datumaro's format has no
rotated box, so a rotated rectangle is a `polygon` of its 4 corners (counted as converted). A shape with an object id
carries datumaro's `object_id` (an integer per object of the dataset) and the Labelstream id as the attribute
`object_id`. Items are written one after the other in one pass.

Reading: every `annotations/<subset>.json` with datumaro's sections; items are named by their image's path (else
`<id>.jpg`); bbox, polygon, polyline, visible points, ellipses (a circle when square, else a 64-gon counted as
converted); labels, masks, captions and cuboids are skipped and counted."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

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
    Item,
    MediaKind,
    MediaSource,
    Report,
)

ANNOTATIONS = "annotations/default.json"
IMAGES = "images/default/"
FORMAT_VERSION = "1.0"
IMAGE_MEDIA = 2  # datumaro's MediaType.IMAGE
VISIBLE = 2  # datumaro's Points.Visibility.visible


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _round(v: float) -> float:
    return round(v, 2)


def _flat(points: list[tuple[float, float]] | tuple[tuple[float, float], ...]) -> list[float]:
    return [_round(c) for p in points for c in p]


class Datumaro:
    name = "datumaro"
    title = "Datumaro 1.0"
    media_kinds: frozenset[MediaKind] = frozenset({"image", "video"})
    shape_kinds = frozenset({"polygon", "rectangle", "circle", "polyline", "point", "rotated_rectangle"})

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        yield ArchiveFile(ANNOTATIONS, encoded(self._json(dataset, options, report)))
        if options.include_media:
            for item, frame, data in pictures.picture_bytes(dataset.items(), options, media):
                yield ArchiveFile(IMAGES + pictures.picture_name(item, frame), data)

    def _json(self, dataset: ExportDataset, options: ExportOptions, report: Report) -> Iterator[str]:
        labels = [{"name": n, "parent": "", "attributes": []} for n in dataset.labels]
        categories = {"label": {"labels": labels, "label_groups": [], "attributes": []}}
        yield f'{{"dm_format_version":"{FORMAT_VERSION}","media_type":{IMAGE_MEDIA},'
        yield '"infos":' + _dumps({"name": dataset.name}) + ',"categories":' + _dumps(categories) + ',"items":['
        writer = _Annotations({n: i for i, n in enumerate(dataset.labels)}, report)
        ids = pictures.FileNames()
        for n, (item, frame, shapes) in enumerate(pictures.pictures(dataset.items(), options, report)):
            path = pictures.picture_name(item, frame)
            picture: dict[str, Any] = {"id": ids.take(path)[0], "annotations": writer.annotations(item, shapes)}
            if frame is not None:
                picture["attr"] = {"video": item.name, "frame": frame}
            size = {"size": [item.height, item.width]} if item.width and item.height else {}
            yield ("," if n else "") + _dumps(picture | {"image": {"path": path, **size}})
        yield "]}"

    def detect(self, archive: ArchiveReader) -> bool:
        return any(_is_datumaro(archive.read(n)) for n in _documents(archive))

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        return pictures.with_picture(self._items(archive, report), archive, IMAGES)

    def _items(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        for name in _documents(archive):
            data = archive.read(name)
            if not _is_datumaro(data):
                continue
            try:
                document = json.loads(data)
                labels = [str(c["name"]) for c in document["categories"].get("label", {}).get("labels", [])]
                items = list(document["items"])
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                yield ImportedItem(name=name, problems=(f"{name}: not a readable Datumaro document ({exc!r})",))
                continue
            for item in items:
                yield _read_item(item, labels, report)


class _Annotations:
    """Datumaro's annotations of shapes: label ids from the label set, object ids numbered over the dataset (only the
    current sample's objects are remembered)."""

    def __init__(self, label_ids: dict[str, int], report: Report) -> None:
        self._label_ids = label_ids
        self._report = report
        self._sample = ""
        self._objects: dict[str, int] = {}
        self._issued = 0

    def annotations(self, item: Item, shapes: tuple[Shape, ...]) -> list[dict[str, Any]]:
        if item.sample_id != self._sample:
            self._sample, self._objects = item.sample_id, {}
        found: list[dict[str, Any]] = []
        for shape in shapes:
            if shape.label not in self._label_ids:
                self._report.skip(shape, f"label {shape.label!r} is not in the label set")
                continue
            annotation: dict[str, Any] = {"id": len(found) + 1, "type": "", "attributes": {}, "group": 0}
            if shape.object_id is not None:
                annotation["attributes"] = {"object_id": shape.object_id}
                annotation["object_id"] = self._object(shape.object_id)
            annotation |= {"label_id": self._label_ids[shape.label], "z_order": 0, **self._geometry(shape)}
            found.append(annotation)
            self._report.shapes += 1
        return found

    def _object(self, object_id: str) -> int:
        if object_id not in self._objects:
            self._objects[object_id] = self._issued
            self._issued += 1
        return self._objects[object_id]

    def _geometry(self, shape: Shape) -> dict[str, Any]:
        if shape.kind == "rectangle":
            x0, y0, x1, y1 = cv.bounds(shape.points)
            return {"type": "bbox", "bbox": [_round(x0), _round(y0), _round(x1 - x0), _round(y1 - y0)]}
        if shape.kind == "circle":
            (cx, cy), (ex, ey) = shape.points[0], shape.points[1]
            r = math.hypot(ex - cx, ey - cy)
            return {"type": "ellipse", "points": _flat([(cx - r, cy - r), (cx + r, cy + r)])}
        if shape.kind == "rotated_rectangle":
            self._report.convert(shape, "polygon")
        if shape.kind == "point":
            return {"type": "points", "points": _flat(shape.points), "visibility": [VISIBLE] * len(shape.points)}
        kind = "polyline" if shape.kind == "polyline" else "polygon"
        return {"type": kind, "points": _flat(cv.polygon(shape) or shape.points)}


# Reading ------------------------------------------------------------------------------------------------------------


def _documents(archive: ArchiveReader) -> list[str]:
    return [n for n in archive.names() if n.startswith("annotations/") and n.count("/") == 1 and n.endswith(".json")]


def _is_datumaro(data: bytes) -> bool:
    """Datumaro writes its format version first; a document without it (older datumaro) has items and categories."""
    if b'"dm_format_version"' in data[:1024]:
        return True
    try:
        document = json.loads(data)
    except ValueError:
        return False
    return isinstance(document, dict) and {"items", "categories"} <= document.keys() and "images" not in document


def _read_item(item: dict[str, Any], labels: list[str], report: Report) -> ImportedItem:
    image = item.get("image") or {}
    name = str(image.get("path") or f"{item.get('id')}.jpg")
    size = image.get("size") or [None, None]
    shapes: list[Shape] = []
    problems: list[str] = []
    for n, annotation in enumerate(item.get("annotations", []), start=1):
        try:
            shapes += _shapes_of(annotation, labels, f"dm{n}", report)
        except (KeyError, IndexError, TypeError, ValueError) as exc:  # a missing field, a bad value, a refused shape
            problems.append(f"annotation {n} ({annotation.get('type')}): {exc!r}")
    report.item_done()
    return ImportedItem(name=name, shapes=tuple(shapes), width=size[1], height=size[0], problems=tuple(problems))


def _shapes_of(annotation: dict[str, Any], labels: list[str], shape_id: str, report: Report) -> list[Shape]:
    kind = annotation.get("type")
    if kind not in ("bbox", "polygon", "polyline", "points", "ellipse"):
        report.skipped[f"{kind}: Labelstream holds no such shape"] += 1
        return []
    common = {"shape_id": shape_id, "label": labels[annotation["label_id"]], "object_id": _object_id(annotation)}
    if kind == "bbox":
        x, y, w, h = (float(v) for v in annotation["bbox"])
        return [Shape.model_validate({**common, "kind": "rectangle", "points": ((x, y), (x + w, y + h))})]
    flat = [float(v) for v in annotation["points"]]
    if not flat or len(flat) % 2:
        raise ValueError(f"points {flat} are not x, y pairs")
    points = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    if kind == "points":
        visible = annotation.get("visibility") or [VISIBLE] * len(points)
        shown = [p for p, v in zip(points, visible, strict=True) if v != 0]
        ids = [shape_id] if len(shown) == 1 else [f"{shape_id}-{i}" for i in range(len(shown))]
        return [
            Shape.model_validate({**common, "shape_id": i, "kind": "point", "points": (p,)})
            for i, p in zip(ids, shown, strict=True)
        ]
    if kind == "ellipse":
        return [_ellipse(points, common, report)]
    return [Shape.model_validate({**common, "kind": kind, "points": tuple(points)})]


def _ellipse(corners: list[tuple[float, float]], common: dict[str, Any], report: Report) -> Shape:
    """A circle when its bounding box is square, else its outline as a 64-gon."""
    (x0, y0), (x1, y1) = corners[0], corners[1]
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0) / 2, abs(y1 - y0) / 2
    if abs(rx - ry) < 0.01:
        return Shape.model_validate({**common, "kind": "circle", "points": ((cx, cy), (cx + rx, cy))})
    report.converted["ellipse as polygon"] += 1
    return Shape.model_validate({**common, "kind": "polygon", "points": tuple(cv.ellipse(cx, cy, rx, ry))})


def _object_id(annotation: dict[str, Any]) -> str | None:
    """Labelstream's id where the attribute holds it, else datumaro's object id (absent or -1: none)."""
    held = (annotation.get("attributes") or {}).get("object_id")
    if isinstance(held, str):
        return held
    native = annotation.get("object_id")
    return str(native) if isinstance(native, int) and native >= 0 else None


FORMAT = Datumaro()
