"""CVAT for images 1.1 and CVAT for video 1.1 checked with datumaro's `cvat` importer, the reference reader: labels,
counts and coordinates (within 0.5 px) of every shape it reads, the interpolated boxes of every frame of a track and
the `outside` frames; the ellipses (circles) it does not read are checked with an independent parse of the XML. Read
back, the shapes equal the source for every kind (all held natively)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from datumaro.components.annotation import AnnotationType
from datumaro.components.dataset import Dataset
from datumaro.components.environment import Environment
from labelstream_formats import conversions as cv
from labelstream_formats import registry
from labelstream_formats.archive import FolderReader, ZipReader, zip_stream
from labelstream_formats.formats import coco, cvat_images, cvat_video
from labelstream_formats.model import ExportDataset, ExportOptions, ImportedItem, Item, Report
from labelstream_shared.events.contracts import Shape
from shapely.geometry import Polygon

from formats.tests.builders import LABELS, GeneratedMedia, dataset, images, shape, video
from formats.tests.outlines import outline as independent_outline

Point = tuple[float, float]
TOLERANCE = 0.5


def iou(a: Polygon, b: Polygon) -> float:
    return float(a.intersection(b).area / a.union(b).area)


def export(
    fmt: Any, tmp_path: Path, items: list[Item] | None = None, options: ExportOptions | None = None
) -> tuple[Path, Report]:
    report = Report()
    held = [*images(), video()] if items is None else items
    files = fmt.export(dataset(held), options or ExportOptions(), GeneratedMedia(), report)
    archive = tmp_path / f"{fmt.name}.zip"
    archive.write_bytes(b"".join(zip_stream(files)))
    return archive, report


def extracted(archive: Path, tmp_path: Path) -> Path:
    folder = tmp_path / archive.stem
    zipfile.ZipFile(archive).extractall(folder)
    return folder


def near(found: list[Point], expected: list[Point]) -> bool:
    return len(found) == len(expected) and all(
        math.dist(p, q) <= TOLERANCE for p, q in zip(found, expected, strict=True)
    )


def pairs(flat: list[float]) -> list[Point]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def outline(annotation: Any) -> list[Point]:
    """A datumaro annotation's points: a box's 2 corners, a rotated box's 4, a polygon's, a polyline's or points'."""
    if annotation.type == AnnotationType.bbox:
        x, y, w, h = annotation.get_bbox()
        return [(x, y), (x + w, y + h)]
    if annotation.type == AnnotationType.rotated_bbox:
        return [(float(x), float(y)) for x, y in annotation.as_polygon()]
    return pairs(annotation.points)


def expected_outline(source: Shape) -> list[Point]:
    if source.kind == "rectangle":
        x0, y0, x1, y1 = cv.bounds(source.points)
        return [(x0, y0), (x1, y1)]
    if source.kind == "rotated_rectangle":
        return cv.corners(source)
    return list(source.points)


DATUMARO_TYPE = {
    "rectangle": AnnotationType.bbox,
    "rotated_rectangle": AnnotationType.rotated_bbox,
    "polygon": AnnotationType.polygon,
    "polyline": AnnotationType.polyline,
    "point": AnnotationType.points,
}


def assert_matches(annotations: list[Any], sources: list[Shape], labels: list[str]) -> None:
    """Datumaro's annotations are the source shapes, in order: type, label, coordinates within 0.5 px."""
    assert [a.type for a in annotations] == [DATUMARO_TYPE[s.kind] for s in sources]
    for annotation, source in zip(annotations, sources, strict=True):
        assert labels[annotation.label] == source.label
        assert near(outline(annotation), expected_outline(source)), (source.kind, outline(annotation))
        if source.kind == "rotated_rectangle":  # turned the same way as an independent construction (Shapely)
            assert iou(Polygon(outline(annotation)), independent_outline(source)) >= 0.99


# CVAT for images ----------------------------------------------------------------------------------------------------


def test_datumaro_reads_cvat_for_images_labels_counts_and_coordinates(tmp_path: Path) -> None:
    archive, report = export(cvat_images.FORMAT, tmp_path, options=ExportOptions(include_media=True))
    root = extracted(archive, tmp_path)
    assert Environment().detect_dataset(str(root)) == ["cvat"]
    ds = Dataset.import_from(str(root), "cvat")
    labels = [c.name for c in ds.categories()[AnnotationType.label]]
    assert labels == list(LABELS)
    items = {item.id: item for item in ds}
    frames = [f"clips/road.mp4/frame_{f:06d}" for f in (5, 10, 15, 20)]
    assert sorted(items) == sorted(["street/a", "street/b", "c", *frames])
    assert items["street/a"].media.size == (100, 200)
    for source in images():
        # datumaro's cvat importer reads no <ellipse>: the circle is checked by the independent parse below
        held = [s for s in source.shapes if s.kind != "circle"]
        assert_matches(items[source.name.rsplit(".", 1)[0]].annotations, held, labels)
    by_frame = {fs.frame: fs.shapes for fs in cv.frames(video(), interpolated=False)}
    for frame, item_id in zip((5, 10, 15, 20), frames, strict=True):
        assert_matches(items[item_id].annotations, list(by_frame[frame]), labels)
    assert (report.items, report.shapes, report.skipped, report.converted) == (4, 12, Counter(), Counter())


def test_every_shape_is_held_natively_circles_as_ellipses_an_independent_parse_reads(tmp_path: Path) -> None:
    archive, _ = export(cvat_images.FORMAT, tmp_path)
    root = ET.fromstring(zipfile.ZipFile(archive).read(cvat_images.DOCUMENT))
    assert root.findtext("version") == "1.1"
    assert [n.text for n in root.iterfind("meta/task/labels/label/name")] == list(LABELS)
    first = images()[0]
    (image,) = [i for i in root.iter("image") if i.get("name") == first.name]
    assert [e.tag for e in image] == ["box", "polygon", "box", "ellipse", "polyline", "points"]
    assert image[2].get("rotation") == "30.00"
    ellipse = image[3].attrib
    (cx, cy), (ex, ey) = first.shapes[3].points
    found = [float(ellipse[k]) for k in ("cx", "cy", "rx", "ry")]
    assert near(pairs(found), [(cx, cy), (math.hypot(ex - cx, ey - cy),) * 2])
    assert [e.get("label") for e in image] == [s.label for s in first.shapes]


def test_with_interpolated_a_video_gives_a_picture_per_frame_of_an_interpolated_box(tmp_path: Path) -> None:
    archive, _ = export(cvat_images.FORMAT, tmp_path, options=ExportOptions(interpolated=True))
    root = ET.fromstring(zipfile.ZipFile(archive).read(cvat_images.DOCUMENT))
    names = [i.get("name") for i in root.iter("image") if "road.mp4" in (i.get("name") or "")]
    assert names == [cv.frame_name(video(), f) for f in range(5, 21)]
    assert [i.get("id") for i in root.iter("image")] == [str(n) for n in range(3 + 16)]
    (at_12,) = [i for i in root.iter("image") if i.get("name") == "clips/road.mp4/frame_000012.jpg"]
    assert [at_12[0].get(k) for k in ("xtl", "ytl", "xbr", "ybr")] == ["24.00", "17.00", "64.00", "47.00"]


def test_cvat_for_images_read_back_equals_the_source(tmp_path: Path) -> None:
    archive, _ = export(cvat_images.FORMAT, tmp_path)
    report = Report()
    back = {i.name: i for i in cvat_images.FORMAT.read(ZipReader(archive), report)}
    for source in images():
        assert_same_shapes(back[source.name].shapes, source.shapes)
        assert (back[source.name].width, back[source.name].height) == (source.width, source.height)
    at_15 = back["clips/road.mp4/frame_000015.jpg"].shapes
    assert [(s.kind, s.label) for s in at_15] == [("rectangle", "cat"), ("point", "bird")]
    assert report.items == 7
    assert (report.skipped, report.converted) == (Counter(), Counter())


def assert_same_shapes(found: tuple[Shape, ...], source: tuple[Shape, ...]) -> None:
    """Kind, label, geometry (a circle by its centre and radius) and rotation, within 0.5 px."""
    assert [(s.kind, s.label) for s in found] == [(s.kind, s.label) for s in source]
    for back, original in zip(found, source, strict=True):
        if original.kind == "circle":
            assert near(cv.polygon(back) or [], cv.polygon(original) or [])
        else:
            assert near(list(back.points), list(original.points)), (back, original)
        assert (back.rotation or 0.0) == pytest.approx(original.rotation or 0.0, abs=0.01)


# CVAT for video -----------------------------------------------------------------------------------------------------


def test_datumaro_reads_cvat_for_video_every_frame_of_every_track_and_the_outside_frames(tmp_path: Path) -> None:
    archive, report = export(cvat_video.FORMAT, tmp_path, items=[video()], options=ExportOptions(include_media=True))
    root = extracted(archive, tmp_path)
    assert sorted(FolderReader(root).names()) == [
        "clips/road.mp4/annotations.xml",
        *[f"clips/road.mp4/images/frame_{f:06d}.jpg" for f in (5, 10, 15, 20)],
    ]
    assert Environment().detect_dataset(str(root / "clips/road.mp4")) == ["cvat"]
    ds = Dataset.import_from(str(root / "clips/road.mp4"), "cvat")
    labels = [c.name for c in ds.categories()[AnnotationType.label]]
    assert labels == list(LABELS)
    shown: dict[int, list[Any]] = {}
    outside: list[tuple[int, int]] = []
    keyframes: list[tuple[int, int]] = []
    for item in ds:
        frame = item.attributes["frame"]
        for a in item.annotations:
            if a.attributes["outside"]:
                outside.append((frame, a.attributes["track_id"]))
                continue
            shown.setdefault(frame, []).append(a)
            if a.attributes["keyframe"]:
                keyframes.append((frame, a.attributes["track_id"]))
    # the editor's boxes at every frame between keyframes (labelstream_shared.geometry), and the point at 15
    expected = {fs.frame: list(fs.shapes) for fs in cv.frames(video(), interpolated=True)}
    assert sorted(shown) == sorted(expected) == list(range(5, 21))
    for frame, found in shown.items():
        found.sort(key=lambda a: a.attributes["track_id"])
        sources = sorted(expected[frame], key=lambda s: s.object_id or "~")
        assert_matches(found, sources, labels)
    assert sorted(outside) == [(16, 0), (16, 2), (21, 1)]
    assert sorted(keyframes) == [(5, 0), (10, 1), (15, 0), (15, 2), (20, 1)]
    assert (report.items, report.shapes, report.skipped) == (1, 11 + 11 + 1, Counter())


def test_cvat_for_video_meta_holds_the_video_its_size_and_the_label_set(tmp_path: Path) -> None:
    archive, _ = export(cvat_video.FORMAT, tmp_path, items=[video()])
    root = ET.fromstring(zipfile.ZipFile(archive).read("clips/road.mp4/annotations.xml"))
    task = root.find("meta/task")
    assert task is not None
    assert [task.findtext(k) for k in ("name", "size", "mode", "start_frame", "stop_frame")] == [
        "clips/road.mp4",
        "40",
        "interpolation",
        "0",
        "39",
    ]
    assert [task.findtext(f"original_size/{k}") for k in ("width", "height")] == ["320", "240"]
    assert [n.text for n in task.iterfind("labels/label/name")] == list(LABELS)
    assert [(t.get("id"), t.get("label")) for t in root.iter("track")] == [("0", "cat"), ("1", "dog"), ("2", "bird")]


def test_cvat_for_video_read_back_gives_the_keyframes_with_their_objects(tmp_path: Path) -> None:
    archive, _ = export(cvat_video.FORMAT, tmp_path, items=[*images(), video()])
    report = Report()
    (back,) = list(cvat_video.FORMAT.read(ZipReader(archive), report))
    assert (back.name, back.width, back.height, back.problems) == ("clips/road.mp4", 320, 240, ())
    source = video()
    found = sorted(back.shapes, key=lambda s: (s.frame_index or 0, s.label))
    original = sorted(source.shapes, key=lambda s: (s.frame_index or 0, s.label))
    assert_same_shapes(tuple(found), tuple(original))
    assert [s.frame_index for s in found] == [s.frame_index for s in original]
    assert same_objects(found, original)
    assert report.items == 1


def same_objects(found: list[Shape], original: list[Shape]) -> bool:
    """The shapes are grouped into the same objects (ids may differ); a shape alone has none."""
    pairs_of_ids = {(f.object_id, o.object_id) for f, o in zip(found, original, strict=True)}
    return len({f for f, _ in pairs_of_ids}) == len(pairs_of_ids) == len({o for _, o in pairs_of_ids})


def test_cvat_for_video_tracks_of_other_kinds_end_after_each_keyframe_and_what_it_cannot_hold_is_counted(
    tmp_path: Path,
) -> None:
    def at(frame: int, **extra: object) -> dict[str, object]:
        return {"frame_index": frame, "time_point_s": frame / 10, **extra}

    clip = Item(
        sample_id="v2",
        name="clip 2.mp4",
        media_kind="video",
        width=100,
        height=80,
        fps=10.0,
        frame_count=10,
        shapes=(
            shape("polygon", "dog", (10, 10), (30, 10), (20, 30), **at(3, object_id="p")),
            shape("polygon", "dog", (12, 10), (32, 10), (22, 30), **at(8, object_id="p")),
            shape("polygon", "dog", (14, 10), (34, 10), (24, 30), **at(9, object_id="p")),
            shape("rectangle", "fish", (1, 1), (5, 5), **at(2)),
            shape("circle", "cat", (50, 50), (55, 50)),
            shape("rectangle", "cat", (60, 60), (70, 70), **at(9)),
        ),
    )
    archive, report = export(cvat_video.FORMAT, tmp_path, items=[images()[0], clip])
    root = ET.fromstring(zipfile.ZipFile(archive).read("clip 2.mp4/annotations.xml"))
    tracks = list(root.iter("track"))
    assert [(t.get("label"), [e.tag for e in t]) for t in tracks] == [
        ("dog", ["polygon"] * 4),
        ("cat", ["box"]),  # at the video's last frame: no outside frame after it
    ]
    # each keyframe of the polygon ends the next frame unless the next keyframe is there; not past the last frame (9)
    assert [(e.get("frame"), e.get("keyframe"), e.get("outside")) for e in tracks[0]] == [
        ("3", "1", "0"),
        ("4", "1", "1"),
        ("8", "1", "0"),
        ("9", "1", "0"),
    ]
    assert report.skipped == {
        "rectangle: label 'fish' is not in the label set": 1,
        "circle: a video's shape without a time point": 1,
        **{f"{s.kind}: {cvat_video.ONLY_VIDEOS}": 1 for s in images()[0].shapes},
    }
    (back,) = list(cvat_video.FORMAT.read(ZipReader(archive), Report()))
    polygons = [s for s in back.shapes if s.kind == "polygon"]
    assert [s.frame_index for s in polygons] == [3, 8, 9]
    assert len({s.object_id for s in polygons}) == 1 and polygons[0].object_id is not None
    (box,) = [s for s in back.shapes if s.kind == "rectangle"]
    assert (box.frame_index, box.object_id) == (9, None)


# Both ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [cvat_images.FORMAT, cvat_video.FORMAT])
def test_two_exports_are_byte_identical(fmt: Any, tmp_path: Path) -> None:
    options = ExportOptions(include_media=True, interpolated=True)
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, _ = export(fmt, tmp_path / "1", options=options)
    second, _ = export(fmt, tmp_path / "2", options=options)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    if fmt is cvat_images.FORMAT:
        assert names[0] == "annotations.xml"
        assert {"images/street/a.png", "images/clips/road.mp4/frame_000012.jpg"} <= set(names)
    else:
        assert names[0] == "clips/road.mp4/annotations.xml"
        assert "clips/road.mp4/images/frame_000012.jpg" in names


WRITTEN_BY_CVAT = b"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><name>t</name><mode>annotation</mode><labels><label><name>car</name></label></labels></task>
    <dumped>2024-01-01 00:00:00.000000+00:00</dumped></meta>
  <image id="0" name="a &amp; b.jpg" width="640" height="480">
    <box label="car" source="manual" occluded="0" xtl="1" ytl="2" xbr="3" ybr="4" z_order="0">
      <attribute name="color">red</attribute>
    </box>
    <ellipse label="car" source="manual" occluded="0" cx="100" cy="100" rx="20" ry="10" rotation="90" z_order="0"/>
    <points label="car" source="manual" occluded="0" points="1,1;2,2" z_order="0"/>
    <mask label="car" source="manual" occluded="0" rle="1, 2" left="0" top="0" width="1" height="3" z_order="0"/>
    <skeleton label="car" source="manual" z_order="0"><points label="1" points="5,5"/></skeleton>
    <tag label="car" source="manual"/>
    <polygon label="car" source="manual" occluded="0" points="1,1;oops" z_order="0"/>
  </image>
</annotations>
"""


def test_reading_what_cvat_writes_keeps_what_labelstream_holds_and_names_the_rest(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_bytes(WRITTEN_BY_CVAT)
    archive = FolderReader(tmp_path)
    assert cvat_images.FORMAT.detect(archive)
    assert not cvat_video.FORMAT.detect(archive)
    report = Report()
    (item,) = list(cvat_images.FORMAT.read(archive, report))
    assert isinstance(item, ImportedItem)
    assert (item.name, item.width, item.height) == ("a & b.jpg", 640, 480)
    assert [s.kind for s in item.shapes] == ["rectangle", "polygon", "point", "point"]
    ellipse = item.shapes[1]
    x0, y0, x1, y1 = cv.bounds(ellipse.points)
    assert near([(x0, y0), (x1, y1)], [(90, 80), (110, 120)])  # rx 20, ry 10 turned a quarter: 10 wide, 20 high
    assert report.converted == {"ellipse as polygon": 1}
    assert report.skipped == {
        "mask: Labelstream holds no such shape": 1,
        "skeleton: Labelstream holds no such shape": 1,
        "tag: Labelstream holds no such shape": 1,
    }
    assert len(item.problems) == 4 and "points '1,1;oops'" in item.problems[-1]


def test_the_formats_are_registered_and_tell_each_other_apart(tmp_path: Path) -> None:
    assert registry.export_format("cvat_images") is cvat_images.FORMAT
    assert registry.import_format("cvat_video") is cvat_video.FORMAT
    images_archive, _ = export(cvat_images.FORMAT, tmp_path)
    video_archive, _ = export(cvat_video.FORMAT, tmp_path)
    coco_archive, _ = export(coco.FORMAT, tmp_path)
    assert cvat_images.FORMAT.detect(ZipReader(images_archive))
    assert not cvat_images.FORMAT.detect(ZipReader(video_archive))
    assert cvat_video.FORMAT.detect(ZipReader(video_archive))
    assert not cvat_video.FORMAT.detect(ZipReader(images_archive))
    assert not cvat_images.FORMAT.detect(ZipReader(coco_archive))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "annotations.xml").write_bytes(b"<!DOCTYPE x [<!ENTITY a 'b'>]><annotations>&a;</annotations>")
    assert not cvat_images.FORMAT.detect(FolderReader(tmp_path / "bad"))


def test_a_document_cut_short_is_named_not_raised(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_bytes(WRITTEN_BY_CVAT[:-40])
    (item,) = list(cvat_images.FORMAT.read(FolderReader(tmp_path), Report()))
    assert item.name == "annotations.xml" and "not a readable CVAT XML document" in item.problems[0]


def test_what_datumaro_writes_as_cvat_for_images_reads_back_as_the_source(tmp_path: Path) -> None:
    archive, _ = export(cvat_images.FORMAT, tmp_path, items=images(), options=ExportOptions(include_media=True))
    ds = Dataset.import_from(str(extracted(archive, tmp_path)), "cvat")
    ds.export(str(tmp_path / "rewritten"), "cvat", save_media=False)
    (document,) = FolderReader(tmp_path / "rewritten").names()
    (tmp_path / "back").mkdir()
    (tmp_path / "back" / "annotations.xml").write_bytes((tmp_path / "rewritten" / document).read_bytes())
    back = {i.name: i for i in cvat_images.FORMAT.read(FolderReader(tmp_path / "back"), Report())}
    for source in images():
        held = tuple(s for s in source.shapes if s.kind != "circle")  # datumaro's cvat importer dropped the ellipse
        assert_same_shapes(back[source.name].shapes, held)


def test_names_and_labels_are_escaped(tmp_path: Path) -> None:
    label = "cat & \"dog\" <'bird'>"
    item = Item(
        sample_id="x",
        name="a&b/<c>.png",
        media_kind="image",
        width=10,
        height=10,
        shapes=(Shape(shape_id="s", kind="point", label=label, points=((1, 2),)),),
    )
    report = Report()
    files = cvat_images.FORMAT.export(
        ExportDataset(name="n & m", labels=(label,), items=lambda: iter([item]), count=1),
        ExportOptions(),
        GeneratedMedia(),
        report,
    )
    (tmp_path / "annotations.xml").write_bytes(b"".join(b"".join(f.chunks) for f in files))
    (back,) = list(cvat_images.FORMAT.read(FolderReader(tmp_path), Report()))
    assert (back.name, [s.label for s in back.shapes]) == ("a&b/<c>.png", [label])


def test_cvat_for_video_gives_a_document_per_video_and_reads_each_as_its_video(tmp_path: Path) -> None:
    second = Item(
        sample_id="v2",
        name="b/other.mp4",
        media_kind="video",
        width=64,
        height=48,
        fps=5.0,
        frame_count=30,
        shapes=video().shapes[:2],
    )
    archive, report = export(cvat_video.FORMAT, tmp_path, items=[video(), second])
    assert zipfile.ZipFile(archive).namelist() == ["clips/road.mp4/annotations.xml", "b/other.mp4/annotations.xml"]
    root = ET.fromstring(zipfile.ZipFile(archive).read("b/other.mp4/annotations.xml"))
    assert [t.get("id") for t in root.iter("track")] == ["0"] and root.findtext("meta/task/size") == "30"
    back = list(cvat_video.FORMAT.read(ZipReader(archive), Report()))
    assert [(i.name, len(i.shapes)) for i in back] == [("b/other.mp4", 2), ("clips/road.mp4", 5)]
    assert report.items == 2
