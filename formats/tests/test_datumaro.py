"""The Datumaro format checked with datumaro itself (`Dataset.import_from(path, "datumaro")`): labels, items, picture
sizes and paths, every annotation's kind, label and coordinates within 0.5 px of the source, object ids; read back,
the shapes equal the source (a rotated rectangle, which datumaro's format has no kind for, as its 4 corners). A dataset
that datumaro writes is read too."""

from __future__ import annotations

import io
import math
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from datumaro.components.annotation import (
    AnnotationType,
    Bbox,
    Caption,
    Ellipse,
    Label,
    Mask,
    Points,
    Polygon,
    PolyLine,
)
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.environment import Environment
from datumaro.components.media import Image
from labelstream_formats import conversions as cv
from labelstream_formats import registry
from labelstream_formats.archive import FolderReader, ZipReader, zip_stream
from labelstream_formats.formats import coco, datumaro
from labelstream_formats.model import ExportOptions, Item, Report
from labelstream_shared.events.contracts import Shape
from shapely.geometry import Polygon as Area

from formats.tests.builders import LABELS, GeneratedMedia, dataset, images, video
from formats.tests.outlines import outline

Point = tuple[float, float]


def export(tmp_path: Path, options: ExportOptions | None = None) -> tuple[Path, Report]:
    report = Report()
    files = datumaro.FORMAT.export(dataset([*images(), video()]), options or ExportOptions(), GeneratedMedia(), report)
    archive = tmp_path / "datumaro.zip"
    archive.write_bytes(b"".join(zip_stream(files)))
    return archive, report


def near(found: list[Point], expected: list[Point]) -> bool:
    return len(found) == len(expected) and all(math.dist(p, q) <= 0.5 for p, q in zip(found, expected, strict=True))


def pairs(flat: list[float]) -> list[Point]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


EXPECTED_TYPE = {
    "rectangle": AnnotationType.bbox,
    "rotated_rectangle": AnnotationType.polygon,
    "polygon": AnnotationType.polygon,
    "circle": AnnotationType.ellipse,
    "polyline": AnnotationType.polyline,
    "point": AnnotationType.points,
}


def expected_points(source: Shape) -> list[Point]:
    """What datumaro should hold: a box's corners, a rotated box's 4 corners, a circle's bounding square."""
    if source.kind == "rectangle":
        x0, y0, x1, y1 = cv.bounds(source.points)
        return [(x0, y0), (x1, y1)]
    if source.kind == "circle":
        (cx, cy), (ex, ey) = source.points
        r = math.hypot(ex - cx, ey - cy)
        return [(cx - r, cy - r), (cx + r, cy + r)]
    return cv.polygon(source) or list(source.points)


def assert_matches(annotations: list[Any], sources: list[Shape], labels: list[str]) -> None:
    assert [a.type for a in annotations] == [EXPECTED_TYPE[s.kind] for s in sources]
    for annotation, source in zip(annotations, sources, strict=True):
        assert labels[annotation.label] == source.label
        assert near(pairs(annotation.points), expected_points(source)), (source.kind, annotation.points)
        if source.kind == "rotated_rectangle":  # turned the same way as an independent construction (Shapely)
            found, expected = Area(pairs(annotation.points)), outline(source)
            assert found.intersection(expected).area / found.union(expected).area >= 0.99


def test_datumaro_imports_it_labels_items_pictures_and_coordinates(tmp_path: Path) -> None:
    archive, report = export(tmp_path, ExportOptions(include_media=True))
    zipfile.ZipFile(archive).extractall(tmp_path / "out")
    assert Environment().detect_dataset(str(tmp_path / "out")) == ["datumaro"]
    ds = Dataset.import_from(str(tmp_path / "out"), "datumaro")
    labels = [c.name for c in ds.categories()[AnnotationType.label]]
    assert labels == list(LABELS)
    items = {item.id: item for item in ds}
    frames = {f: f"clips/road.mp4/frame_{f:06d}" for f in (5, 10, 15, 20)}
    assert sorted(items) == sorted(["street/a", "street/b", "c", *frames.values()])
    for source in images():
        item = items[source.name.rsplit(".", 1)[0]]
        assert Path(item.media.path).is_file() and item.media.size == (source.height, source.width)
        assert_matches(item.annotations, list(source.shapes), labels)
    objects: dict[int, set[str | None]] = {}
    for fs in cv.frames(video(), interpolated=False):
        item = items[frames[fs.frame]]
        assert item.attributes == {"video": "clips/road.mp4", "frame": fs.frame}
        assert item.media.size == (240, 320) and Path(item.media.path).is_file()
        assert_matches(item.annotations, list(fs.shapes), labels)
        for a, s in zip(item.annotations, fs.shapes, strict=True):
            objects.setdefault(a.object_id, set()).add(s.object_id)
    assert objects == {0: {"o1"}, 1: {"o2"}, -1: {None}}
    assert (report.items, report.shapes, report.skipped) == (4, 12, Counter())
    assert report.converted == {"rotated_rectangle as polygon": 3}


def test_with_interpolated_every_frame_of_an_interpolated_box_is_an_item(tmp_path: Path) -> None:
    archive, _ = export(tmp_path, ExportOptions(interpolated=True))
    zipfile.ZipFile(archive).extractall(tmp_path / "out")
    ds = Dataset.import_from(str(tmp_path / "out"), "datumaro")
    shown = sorted(item.attributes["frame"] for item in ds if item.attributes)
    assert shown == list(range(5, 21))
    (at_12,) = [item for item in ds if item.id == "clips/road.mp4/frame_000012"]
    (box,) = [a for a in at_12.annotations if a.type == AnnotationType.bbox]
    assert box.get_bbox() == [24.0, 17.0, 40.0, 30.0] and box.attributes == {"object_id": "o1"}


def test_read_back_the_shapes_equal_the_source_a_rotated_rectangle_as_its_corners(tmp_path: Path) -> None:
    archive, _ = export(tmp_path)
    report = Report()
    back = {i.name: i for i in datumaro.FORMAT.read(ZipReader(archive), report)}
    assert len(back) == 7 and report.items == 7
    for source in [*images(), video()]:
        found = (
            [s for i in back.values() if i.name.startswith(source.name + "/") for s in i.shapes]
            if source.media_kind == "video"
            else list(back[source.name].shapes)
        )
        expected = sorted(source.shapes, key=lambda s: s.frame_index or 0)
        assert [s.kind for s in found] == [("polygon" if s.kind == "rotated_rectangle" else s.kind) for s in expected]
        for shape, original in zip(found, expected, strict=True):
            assert (shape.label, shape.object_id) == (original.label, original.object_id)
            assert near(cv.polygon(shape) or list(shape.points), cv.polygon(original) or list(original.points))
    assert (back["street/a.png"].width, back["street/a.png"].height) == (200, 100)


def test_two_exports_are_byte_identical(tmp_path: Path) -> None:
    options = ExportOptions(include_media=True, interpolated=True)
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, _ = export(tmp_path / "1", options)
    second, _ = export(tmp_path / "2", options)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert names[:3] == ["annotations/default.json", "images/default/street/a.png", "images/default/street/b.png"]
    assert "images/default/clips/road.mp4/frame_000012.jpg" in names


def test_reading_what_datumaro_writes(tmp_path: Path) -> None:
    picture = Image.from_numpy(np.zeros((50, 80, 3), dtype=np.uint8))
    written = Dataset.from_iterable(
        [
            DatasetItem(
                id="x/y",
                media=picture,
                annotations=[
                    Bbox(1, 2, 3, 4, label=0, object_id=7),
                    Ellipse(10, 10, 30, 20, label=1),  # 20 x 10: not a circle
                    Ellipse(10, 10, 30, 30, label=1),
                    Points([1, 1, 2, 2, 3, 3], visibility=[2, 0, 1], label=0),
                    PolyLine([1, 1, 5, 5], label=1),
                    Polygon([0, 0, 4, 0, 4, 4], label=0),
                    Label(1),
                    Mask(np.ones((50, 80), dtype=np.uint8), label=0),
                    Caption("hello"),
                ],
            )
        ],
        categories=["car", "person"],
    )
    written.export(str(tmp_path / "dm"), "datumaro", save_media=True)
    archive = FolderReader(tmp_path / "dm")
    assert datumaro.FORMAT.detect(archive)
    report = Report()
    (item,) = list(datumaro.FORMAT.read(archive, report))
    assert (item.name, item.width, item.height, item.problems) == ("x_y.jpg", 80, 50, ())
    assert [(s.kind, s.label) for s in item.shapes] == [
        ("rectangle", "car"),
        ("polygon", "person"),
        ("circle", "person"),
        ("point", "car"),
        ("point", "car"),
        ("polyline", "person"),
        ("polygon", "car"),
    ]
    assert item.shapes[0].object_id == "7" and item.shapes[0].points == ((1.0, 2.0), (4.0, 6.0))
    assert item.shapes[2].points == ((20.0, 20.0), (30.0, 20.0))
    assert [s.points for s in item.shapes[3:5]] == [((1.0, 1.0),), ((3.0, 3.0),)]  # the hidden point is left
    assert report.converted == {"ellipse as polygon": 1}
    assert report.skipped == {
        "label: Labelstream holds no such shape": 1,
        "mask: Labelstream holds no such shape": 1,
        "caption: Labelstream holds no such shape": 1,
    }


def test_ids_are_unique_when_paths_differ_only_in_their_extension(tmp_path: Path) -> None:
    twins = [
        Item(sample_id=f"t{n}", name=f"x/a.{ext}", media_kind="image", width=4, height=4)
        for n, ext in ((1, "png"), (2, "jpg"))
    ]
    report = Report()
    files = datumaro.FORMAT.export(dataset(twins), ExportOptions(include_media=True), GeneratedMedia(), report)
    zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(files)))).extractall(tmp_path)
    ds = Dataset.import_from(str(tmp_path), "datumaro")
    assert sorted((item.id, Path(item.media.path).name) for item in ds) == [("x/a", "a.png"), ("x/a~2", "a.jpg")]
    assert sorted(i.name for i in datumaro.FORMAT.read(FolderReader(tmp_path), Report())) == ["x/a.jpg", "x/a.png"]


def test_registered_and_told_apart_from_coco(tmp_path: Path) -> None:
    assert registry.export_format("datumaro") is datumaro.FORMAT
    assert registry.import_format("datumaro") is datumaro.FORMAT
    report = Report()
    files = coco.FORMAT.export(dataset(images()), ExportOptions(), GeneratedMedia(), report)
    (tmp_path / "coco.zip").write_bytes(b"".join(zip_stream(files)))
    assert not datumaro.FORMAT.detect(ZipReader(tmp_path / "coco.zip"))


def test_an_item_whose_annotations_are_broken_names_them(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "train.json").write_text(
        '{"dm_format_version":"1.0","categories":{"label":{"labels":[{"name":"a"}]}},"items":[{"id":"p",'
        '"annotations":[{"type":"bbox","label_id":3,"bbox":[1,2,3,4]},{"type":"polygon","label_id":0,"points":[1]},'
        '{"type":"bbox","label_id":0,"bbox":[1,2,3,4]}]}]}'
    )
    (tmp_path / "annotations" / "val.json").write_text('{"dm_format_version":"1.0","items":[]}')
    item, document = list(datumaro.FORMAT.read(FolderReader(tmp_path), Report()))
    assert item.name == "p.jpg" and [s.kind for s in item.shapes] == ["rectangle"]
    assert [p.split(":")[0] for p in item.problems] == ["annotation 1 (bbox)", "annotation 2 (polygon)"]
    assert document.name == "annotations/val.json" and "not a readable Datumaro document" in document.problems[0]
