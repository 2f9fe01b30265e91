"""Pascal VOC checked with datumaro's `voc` importer in its 1-based mode (`coordinate_mode="voc-one-based"`: xmin - 1,
as VOC 2012's own annotations): the label map gives the label set after `background`, every box is within 0.5 px of
the bounds of the source shape's visible part built with Shapely, and the masks datumaro decodes (class and instance
PNGs, VOC colormap) have, per class and per instance, as many pixels as the source outlines painted in shape order at
pixel centres with Shapely. Read back, the boxes are rectangles; the masks are counted as not read."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from labelstream_formats import conversions as cv
from labelstream_formats import registry
from labelstream_formats.archive import FolderReader, ZipReader, zip_stream
from labelstream_formats.formats.voc import FORMAT, MASK_NOT_READ, colormap, labelmap
from labelstream_formats.model import ExportOptions, Item, Report
from labelstream_formats.pictures import pictures
from labelstream_shared.events.contracts import Shape
from PIL import Image
from shapely.geometry import Polygon

from formats.tests.builders import GeneratedMedia, dataset, images, shape, video
from formats.tests.outlines import covered, visible, with_area

PX = 0.5
LABELS = ["cat", "dog", "bird"]


def export(tmp_path: Path, items: list[Item] | None = None, **options: object) -> tuple[Path, Report]:
    report = Report()
    chosen = ExportOptions.model_validate({"include_media": True, **options})
    source = dataset(items if items is not None else [*images(), video()])
    archive = tmp_path / "voc.zip"
    archive.write_bytes(b"".join(zip_stream(FORMAT.export(source, chosen, GeneratedMedia(), report))))
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "out")
    return archive, report


def expected(interpolated: bool) -> dict[str, tuple[list[Shape], np.ndarray, np.ndarray]]:
    """Per picture id: its shapes with an area, and the class and instance indices painted in order with Shapely."""
    found = {}
    for item, frame, shapes in pictures([*images(), video()], ExportOptions(interpolated=interpolated)):
        w, h = item.width or 0, item.height or 0
        classes, instances = np.zeros((h, w), int), np.zeros((h, w), int)
        areas = with_area(shapes)
        for n, s in enumerate(areas, start=1):
            pixels = covered(visible(s, w, h), w, h)
            classes[pixels], instances[pixels] = LABELS.index(s.label) + 1, n
        name = item.name.rsplit(".", 1)[0] if frame is None else f"{item.name}/frame_{frame:06d}"
        found[name] = (areas, classes, instances)
    return found


def close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= PX for x, y in zip(a, b, strict=True))


def test_datumaro_reads_labels_boxes_within_half_a_pixel_and_masks_pixel_for_pixel(tmp_path: Path) -> None:
    from datumaro.components.annotation import AnnotationType, Bbox, Mask
    from datumaro.components.dataset import Dataset

    _, report = export(tmp_path, interpolated=True)
    loaded = Dataset.import_from(str(tmp_path / "out"), "voc", coordinate_mode="voc-one-based")
    assert [c.name for c in loaded.categories()[AnnotationType.label]] == ["background", *LABELS]
    want = expected(interpolated=True)
    items = {item.id: item for item in loaded}
    assert sorted(items) == sorted(want) and len(items) == 3 + 16
    painted = 0
    for name, (areas, classes, instances) in want.items():
        anns: list[Any] = items[name].annotations
        boxes = [a for a in anns if isinstance(a, Bbox)]
        assert [LABELS[b.label - 1] for b in boxes] == [s.label for s in areas], name
        h, w = classes.shape
        for b, s in zip(boxes, areas, strict=True):
            assert close(list(b.points), list(visible(s, w, h).bounds)), (name, s.kind, b.points)
        masks = [a for a in anns if isinstance(a, Mask)]
        by_class: Counter[int] = Counter()
        by_instance = {}
        for m in masks:
            by_class[m.label] += int(m.image.sum())
            by_instance[m.group] = int(m.image.sum())
        assert dict(by_class) == {c: int((classes == c).sum()) for c in range(1, 4) if (classes == c).any()}, name
        assert by_instance == {
            i: int((instances == i).sum()) for i in range(1, len(areas) + 1) if (instances == i).any()
        }
        painted += int((classes > 0).sum())
    assert painted > 30000  # the comparison covered real areas, not empty masks
    assert report.items == 4
    assert report.skipped == {"polyline: VOC holds areas only": 1, "point: VOC holds areas only": 2}
    assert report.converted == {"polygon as box": 1, "rotated_rectangle as box clipped to the picture": 1} | {
        "circle as box": 1,
        "rotated_rectangle as box": 11,  # o2 at its keyframes 10 and 20 and the 9 frames between
    }


def test_the_boxes_are_one_based_whole_pixels_and_the_masks_use_the_voc_palette(tmp_path: Path) -> None:
    export(tmp_path)
    root = tmp_path / "out"
    xml = (root / "Annotations/c.xml").read_text()
    assert "<filename>c.png</filename>" in xml and "<width>64</width>" in xml and "<height>48</height>" in xml
    # the rectangle (1, 2)-(30, 40): pixels 2..30 and 3..40 in VOC's 1-based numbering
    assert "<xmin>2</xmin>" in xml and "<ymin>3</ymin>" in xml and "<xmax>30</xmax>" in xml and "<ymax>40</ymax>" in xml
    assert "<difficult>0</difficult>" in xml and "<truncated>0</truncated>" in xml
    with Image.open(root / "SegmentationClass/c.png") as mask:
        assert mask.mode == "P"
        palette = mask.getpalette() or []
        assert [tuple(palette[i * 3 : i * 3 + 3]) for i in range(4)] == [
            (0, 0, 0),
            (128, 0, 0),
            (0, 128, 0),
            (128, 128, 0),
        ]
    assert colormap()[15] == (192, 128, 128)  # VOC's "person"
    assert labelmap(("background", "cat")).splitlines()[1:] == [
        "_background_:0,0,0::",
        "background:128,0,0::",
        "cat:0,128,0::",
    ]
    assert (root / "labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:128,0,0::\ndog:0,128,0::\nbird:128,128,0::\n"
    )
    main = (root / "ImageSets/Main/default.txt").read_text().split()
    assert main == ["street/a", "street/b", "c", *(f"clips/road.mp4/frame_{f:06d}" for f in (5, 10, 15, 20))]
    assert (root / "ImageSets/Segmentation/default.txt").read_text().split() == [n for n in main if n != "street/b"]
    assert not (root / "SegmentationClass/street/b.png").exists()
    assert (root / "JPEGImages/street/a.png").is_file() and (
        root / "JPEGImages/clips/road.mp4/frame_000020.jpg"
    ).is_file()


def test_read_back_the_boxes_are_rectangles_and_the_masks_are_counted_as_not_read(tmp_path: Path) -> None:
    archive, _ = export(tmp_path)
    assert registry.import_format("voc") is FORMAT and FORMAT.detect(ZipReader(archive))
    report = Report()
    items = {i.name: i for i in FORMAT.read(ZipReader(archive), report)}
    assert sorted(items) == sorted(
        ["street/a.png", "street/b.png", "c.png", *(f"clips/road.mp4/frame_{f:06d}.jpg" for f in (5, 10, 15, 20))]
    )
    want = expected(interpolated=False)
    for name, item in items.items():
        areas, classes, _ = want[name.rsplit(".", 1)[0]]
        h, w = classes.shape
        assert (item.width, item.height) == (w, h) and item.problems == ()
        assert [s.kind for s in item.shapes] == ["rectangle"] * len(areas)
        assert [s.label for s in item.shapes] == [s.label for s in areas]
        for got, s in zip(item.shapes, areas, strict=True):
            assert close([c for p in got.points for c in p], list(visible(s, w, h).bounds)), (name, s.kind)
    assert report.items == 7
    assert report.skipped == {MASK_NOT_READ: 12}  # 6 pictures with masks, a class and an instance PNG each


def test_an_object_that_cannot_be_read_is_a_problem_and_the_others_are_kept(tmp_path: Path) -> None:
    export(tmp_path)
    path = tmp_path / "out/Annotations/c.xml"
    path.write_text(
        path.read_text().replace("</annotation>", "<object><name>cat</name><bndbox/></object></annotation>")
    )
    (tmp_path / "out/Annotations/broken.xml").write_text("<annotation>")
    items = {i.name: i for i in FORMAT.read(FolderReader(tmp_path / "out"), Report())}
    assert len(items["c.png"].shapes) == 1
    assert items["c.png"].problems == ("Annotations/c.xml: object 2 has no numeric bndbox",)
    assert items["broken.jpg"].problems[0].startswith("Annotations/broken.xml: not XML")


def test_names_stay_unique_and_two_exports_are_byte_identical(tmp_path: Path) -> None:
    twins = [
        Item(
            sample_id=n,
            name=n,
            media_kind="image",
            width=10,
            height=10,
            shapes=(shape("rectangle", "cat", (1, 1), (5, 5)),),
        )
        for n in ("x.png", "x.jpg")
    ]
    files = [f.name for f in FORMAT.export(dataset(twins), ExportOptions(), GeneratedMedia(), Report())]
    assert [n for n in files if n.startswith("Annotations/")] == ["Annotations/x.xml", "Annotations/x~2.xml"]
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, _ = export(tmp_path / "1", interpolated=True)
    second, _ = export(tmp_path / "2", interpolated=True)
    assert first.read_bytes() == second.read_bytes()
    assert (
        "SegmentationObject/clips/road.mp4/frame_000012.png"
        in zipfile.ZipFile(io.BytesIO(first.read_bytes())).namelist()
    )


def test_the_painted_pixels_are_those_whose_centres_shapely_finds_inside_random_outlines() -> None:
    rng = np.random.default_rng(12)
    for _ in range(40):  # star-shaped outlines (simple polygons), partly outside the 40 x 30 picture
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 16))))
        radii = rng.uniform(2, 25, len(angles))
        cx, cy = rng.uniform(0, 40), rng.uniform(0, 30)
        outline = [(float(cx + r * np.cos(a)), float(cy + r * np.sin(a))) for a, r in zip(angles, radii, strict=True)]
        painted = np.zeros((30, 40), bool)
        for row, first, last in cv.spans(outline, 40, 30):
            painted[row, first : last + 1] = True
        assert (painted == covered(Polygon(outline), 40, 30)).all()


def test_the_reader_reads_what_datumaro_writes_as_one_based_voc(tmp_path: Path) -> None:
    from datumaro.components.annotation import Bbox
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    boxes = [Bbox(10, 20, 30, 40, label=1), Bbox(0, 0, 5, 5, label=0)]  # whole pixels: datumaro floors and ceils
    picture = DmImage.from_numpy(np.zeros((100, 200, 3), np.uint8))
    written = Dataset.from_iterable([DatasetItem(id="one", media=picture, annotations=boxes)], categories=LABELS)
    written.export(str(tmp_path / "dm"), "voc", save_media=True, coordinate_mode="voc-one-based", label_map="source")
    archive = FolderReader(tmp_path / "dm")
    assert FORMAT.detect(archive)
    ((item),) = FORMAT.read(archive, Report())
    assert (item.name, item.width, item.height) == ("one.jpg", 200, 100)
    assert [(s.kind, s.label, s.points) for s in item.shapes] == [
        ("rectangle", "dog", ((10.0, 20.0), (40.0, 60.0))),
        ("rectangle", "cat", ((0.0, 0.0), (5.0, 5.0))),
    ]
