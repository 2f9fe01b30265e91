"""YOLO in the Ultralytics layout: `data.yaml` (`path: .`, `train` and `val` both `images/train`, `names` as a
mapping class id → label in the label set's order), a label file `labels/train/<picture>.txt` per picture (an empty
one for a picture without shapes) and, with `include_media`, the picture `images/train/<picture>.<ext>`.

Pictures: an image sample, or a video's frame per labeled time point (or per interpolated frame). A picture's path is
flattened into one file name, `/` becoming `__` (`street/a.png` → `street__a.png`, a frame
`clips/road.mp4/frame_000042.jpg` → `clips__road.mp4__frame_000042.jpg`): Ultralytics finds a label by replacing
`images/` with `labels/` and the extension with `.txt`, and readers such as datumaro look one folder deep only. A file
name already taken (`a.png` and `a.jpg` share `a.txt`) gets `~2`, `~3`… before its extension; the names taken are the
only thing held for the whole pass (a few dozen bytes per picture).

One line per shape, coordinates normalised by the picture's width and height, 6 decimals. Ultralytics drops a whole
label file with a coordinate outside [0, 1], so a shape reaching outside the picture is cut to it (detect and segment:
the outline's part inside, pictures.area_inside; obb: each corner moved onto the picture) and counted as converted;
one wholly outside is skipped. `yolo_task`:
- detect: `class cx cy w h`; a polygon, circle or rotated rectangle is held as its axis-aligned bounds (converted);
- segment: `class x1 y1 x2 y2 …`, the outline; a rectangle, rotated rectangle or circle (64-gon) is held as a
  polygon (converted);
- obb: `class x1 y1 … x4 y4`, the 4 corners of a rectangle or rotated rectangle (clockwise from the top-left corner
  before rotation); other kinds are skipped.
Points and polylines are skipped in every task (YOLO holds areas only).

Reading (an archive with `data.yaml` and `labels/`): every picture under `images/` with its label file under
`labels/` (the same path, `.txt`); names are unflattened (`__` → `/`). The picture's size, read from its header, turns
the normalised coordinates back into pixels; a label file without its picture is a problem of that item. After the
class, 4 numbers are a rectangle; 8 numbers whose 4 corners make a right-angled rectangle are a rotated rectangle
(recovered as centre, sides and the angle of the first side), or a rectangle where its sides are axis-aligned; any
other even count of 6 or more numbers is a polygon. So a segment export's rectangles come back as rectangles,
and an axis-aligned oriented box always comes back as a rectangle."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import yaml
from labelstream_shared.events.contracts import Shape
from PIL import Image, UnidentifiedImageError

from labelstream_formats import conversions as cv
from labelstream_formats import pictures
from labelstream_formats.model import (
    ArchiveFile,
    ArchiveReader,
    ExportDataset,
    ExportOptions,
    ImportedItem,
    MediaSource,
    Report,
)

DATA = "data.yaml"
SUBSET = "train"
IMAGES = f"images/{SUBSET}/"
LABELS = f"labels/{SUBSET}/"
SEPARATOR = "__"
IMAGE_EXTENSIONS = frozenset({".bmp", ".dng", ".jpeg", ".jpg", ".mpo", ".png", ".tif", ".tiff", ".webp", ".pfm"})
OBB_HOLDS_BOXES = "YOLO obb holds rectangles and rotated rectangles only"
HELD_AS = {"detect": "box", "segment": "polygon", "obb": "oriented box"}
HELD_EXACTLY = {"detect": {"rectangle"}, "segment": {"polygon"}, "obb": cv.BOX_KINDS}
RIGHT_ANGLE = 1e-3  # |cos| between two sides of a recovered oriented box
AXIS_ALIGNED = 1e-3  # pixels: a side this close to horizontal or vertical is axis-aligned


class Yolo:
    name = "yolo"
    title = "YOLO (Ultralytics: detect, segment, obb)"
    media_kinds = frozenset({"image", "video"})
    shape_kinds = cv.AREA_KINDS

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        yield ArchiveFile(DATA, (data_yaml(dataset.labels).encode(),))
        class_of = {label: i for i, label in enumerate(dataset.labels)}
        names = pictures.FileNames(SEPARATOR)
        for item, frame, shapes in pictures.pictures(dataset.items(), options, report):
            stem, _ = names.take(pictures.picture_name(item, frame))
            lines = [_line(s, item.width or 0, item.height or 0, class_of, options, report) for s in shapes]
            text = "".join(f"{line}\n" for line in lines if line is not None)
            yield ArchiveFile(f"{LABELS}{stem}.txt", (text.encode(),))
        if options.include_media:
            names = pictures.FileNames(SEPARATOR)
            for item, frame, data in pictures.picture_bytes(dataset.items(), options, media):
                stem, suffix = names.take(pictures.picture_name(item, frame))
                yield ArchiveFile(f"{IMAGES}{stem}{suffix}", data)

    def detect(self, archive: ArchiveReader) -> bool:
        names = archive.names()
        return DATA in names and any(n.startswith("labels/") for n in names)

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        labels = _labels_of(archive.read(DATA))
        names = archive.names()
        label_files = {n[len("labels/") : -len(".txt")]: n for n in names if _is_label(n)}
        for name in names:
            if name.startswith("images/") and PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS:
                key = str(PurePosixPath(name[len("images/") :]).with_suffix(""))
                report.item_done()
                yield _read_picture(archive, name, label_files.pop(key, None), labels)
        for key, label_file in label_files.items():
            report.item_done()
            problem = f"{label_file}: no picture images/{key}.* to read its size from"
            yield ImportedItem(name=_unflattened(PurePosixPath(key).name), problems=(problem,))


def data_yaml(labels: tuple[str, ...]) -> str:
    """The dataset file; label names as JSON strings, which YAML reads as double-quoted scalars."""
    names = "".join(f"  {i}: {json.dumps(label, ensure_ascii=False)}\n" for i, label in enumerate(labels))
    return f"path: .\ntrain: images/{SUBSET}\nval: images/{SUBSET}\nnames:\n{names}"


def _unflattened(name: str) -> str:
    return name.replace(SEPARATOR, "/")


def _line(
    shape: Shape,
    width: int,
    height: int,
    class_of: dict[str, int],
    options: ExportOptions,
    report: Report,
) -> str | None:
    if options.yolo_task == "obb" and shape.kind in cv.AREA_KINDS - cv.BOX_KINDS:
        report.skip(shape, OBB_HOLDS_BOXES)
        return None
    area = pictures.area_inside(shape, width, height, class_of, holder="YOLO", clamp=options.yolo_task == "obb")
    if isinstance(area, str):
        report.skip(shape, area)
        return None
    held_as = HELD_AS[options.yolo_task] if shape.kind not in HELD_EXACTLY[options.yolo_task] else None
    if area.clipped:
        held_as = f"{HELD_AS[options.yolo_task]} clipped to the picture"
    if held_as is not None:
        report.convert(shape, held_as)
    report.shapes += 1
    if options.yolo_task == "detect":
        x0, y0, x1, y1 = cv.bounds(area.outline)
        values = [(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height]
    else:
        values = [c for x, y in area.outline for c in (x / width, y / height)]
    return " ".join([str(class_of[shape.label]), *(f"{v:.6f}" for v in values)])


def _is_label(name: str) -> bool:
    return name.startswith("labels/") and name.endswith(".txt")


def _labels_of(data: bytes) -> dict[int, str]:
    """Class id → name from `data.yaml` (`names` as a mapping or a list); empty when unreadable."""
    try:
        document: Any = yaml.safe_load(data)
    except yaml.YAMLError:
        return {}
    names = document.get("names") if isinstance(document, dict) else None
    if isinstance(names, list):
        return {i: str(n) for i, n in enumerate(names)}
    if isinstance(names, dict):
        return {int(i): str(n) for i, n in names.items() if str(i).isdigit()}
    return {}


def _read_picture(archive: ArchiveReader, name: str, label_file: str | None, labels: dict[int, str]) -> ImportedItem:
    flat = name[len("images/") :]
    flat = flat.split("/", 1)[1] if "/" in flat else flat  # the subset folder
    item_name = _unflattened(flat)
    try:
        with Image.open(io.BytesIO(archive.read(name))) as picture:
            width, height = picture.size
    except (UnidentifiedImageError, OSError) as exc:
        return ImportedItem(name=item_name, problems=(f"{name}: not a picture ({exc})",))
    if label_file is None:
        return ImportedItem(name=item_name, width=width, height=height, picture=name)
    shapes: list[Shape] = []
    problems: list[str] = []
    for n, line in enumerate(archive.read(label_file).decode().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{label_file} line {n}"
        try:
            fields = line.split()
            label = labels.get(int(fields[0]))
            values = [float(v) for v in fields[1:]]
        except ValueError:
            problems.append(f"{where}: not a class id followed by numbers")
            continue
        if label is None:
            problems.append(f"{where}: class {fields[0]} is not in data.yaml")
            continue
        shape = _shape(values, width, height, label, f"yolo{len(shapes) + 1}")
        if shape is None:
            problems.append(f"{where}: {len(values)} numbers are neither a box, an oriented box nor a polygon")
            continue
        shapes.append(shape)
    return ImportedItem(
        name=item_name, shapes=tuple(shapes), width=width, height=height, problems=tuple(problems), picture=name
    )


def _shape(values: list[float], width: int, height: int, label: str, shape_id: str) -> Shape | None:
    if len(values) == 4:
        cx, cy, w, h = values
        points = ((cx - w / 2) * width, (cy - h / 2) * height), ((cx + w / 2) * width, (cy + h / 2) * height)
        return Shape(shape_id=shape_id, kind="rectangle", label=label, points=points)
    if len(values) < 6 or len(values) % 2:
        return None
    outline = [(values[i] * width, values[i + 1] * height) for i in range(0, len(values), 2)]
    if len(outline) == 4:
        box = oriented_box(outline, label, shape_id)
        if box is not None:
            return box
    return Shape(shape_id=shape_id, kind="polygon", label=label, points=tuple(outline))


def oriented_box(corners: list[cv.Point], label: str, shape_id: str) -> Shape | None:
    """The rectangle whose 4 corners (in order around it) these are: a rectangle where its sides are axis-aligned,
    else a rotated rectangle (centre, the sides' lengths, the first side's angle clockwise); None if not
    right-angled."""
    sides = [(corners[(i + 1) % 4][0] - x, corners[(i + 1) % 4][1] - y) for i, (x, y) in enumerate(corners)]
    lengths = [math.hypot(dx, dy) for dx, dy in sides]
    if min(lengths) == 0:
        return None
    for i in range(4):
        (ax, ay), (bx, by) = sides[i], sides[(i + 1) % 4]
        if abs(ax * bx + ay * by) > RIGHT_ANGLE * lengths[i] * lengths[(i + 1) % 4]:
            return None
    if all(min(abs(dx), abs(dy)) <= AXIS_ALIGNED for dx, dy in sides):
        x0, y0, x1, y1 = cv.bounds(corners)
        return Shape(shape_id=shape_id, kind="rectangle", label=label, points=((x0, y0), (x1, y1)))
    cx, cy = sum(x for x, _ in corners) / 4, sum(y for _, y in corners) / 4
    w, h = (lengths[0] + lengths[2]) / 2, (lengths[1] + lengths[3]) / 2
    rotation = math.degrees(math.atan2(sides[0][1], sides[0][0]))
    points = ((cx - w / 2, cy - h / 2), (cx + w / 2, cy + h / 2))
    return Shape(shape_id=shape_id, kind="rotated_rectangle", label=label, points=points, rotation=rotation)


FORMAT = Yolo()
