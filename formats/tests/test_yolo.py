"""YOLO (Ultralytics layout) checked with datumaro's `yolo` importer (its `yolo_ultralytics` reader), which reads
detect labels only (5 numbers a line: datumaro has no reader for segment or Ultralytics obb lines; its
`roboflow_yolo_obb` is DOTA-like, in pixels with label names), and with a small reader written here for every task (it
pairs each picture with its label file the way Ultralytics does: `images/` → `labels/`, extension → `.txt`).
The expected outlines are built independently with Shapely (rotation about the centre, a circle's buffer) and clipped
to the picture; coordinates agree within 0.5 px. Read back, the shapes equal the source for what each task holds."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import shapely
from labelstream_formats import registry
from labelstream_formats.archive import FolderReader, ZipReader, zip_stream
from labelstream_formats.formats.yolo import FORMAT, SEPARATOR
from labelstream_formats.model import ExportOptions, Item, Report
from labelstream_formats.pictures import FileNames
from PIL import Image
from shapely.geometry import Polygon

from formats.tests.builders import GeneratedMedia, dataset, images, shape, video
from formats.tests.outlines import outline, visible, with_area

PX = 0.5
LABELS = ["cat", "dog", "bird"]


def export(tmp_path: Path, **options: object) -> tuple[Path, Report]:
    report = Report()
    chosen = ExportOptions.model_validate({"include_media": True, **options})
    files = FORMAT.export(dataset([*images(), video()]), chosen, GeneratedMedia(), report)
    archive = tmp_path / "yolo.zip"
    archive.write_bytes(b"".join(zip_stream(files)))
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "out")
    return archive, report


def read_labels(root: Path) -> dict[str, tuple[int, int, list[tuple[int, list[float]]]]]:
    """A reader independent of the module: picture name → (width, height, [(class, pixel coordinates)])."""
    found = {}
    for picture in sorted((root / "images").rglob("*.*")):
        label = Path(str(picture).replace("/images/", "/labels/")).with_suffix(".txt")
        with Image.open(picture) as im:
            width, height = im.size
        lines = []
        for line in label.read_text().splitlines():
            cls, *values = line.split()
            lines.append((int(cls), [v * (width if i % 2 == 0 else height) for i, v in enumerate(map(float, values))]))
        found[picture.name] = (width, height, lines)
    return found


def close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= PX for x, y in zip(a, b, strict=True))


def test_datumaro_reads_the_detect_export_boxes_within_half_a_pixel(tmp_path: Path) -> None:
    from datumaro.components.annotation import AnnotationType, Bbox
    from datumaro.components.dataset import Dataset
    from datumaro.plugins.data_formats.yolo.importer import YoloImporter

    _, report = export(tmp_path)
    # "yolo" picks the Ultralytics reader by data.yaml (yolo_ultralytics is only its extractor)
    assert YoloImporter.find_sources(str(tmp_path / "out"))[0]["format"] == "yolo_ultralytics"
    loaded = Dataset.import_from(str(tmp_path / "out"), "yolo")
    assert [c.name for c in loaded.categories()[AnnotationType.label]] == LABELS
    items = {item.id: item for item in loaded}
    frames = [f"clips__road.mp4__frame_{f:06d}" for f in (5, 10, 15, 20)]
    assert sorted(items) == sorted(["street__a", "street__b", "c", *frames])
    assert items["street__b"].annotations == []
    source = images()[0]
    boxes = [a for a in items["street__a"].annotations if isinstance(a, Bbox)]
    expected = with_area(source.shapes)
    assert len(boxes) == len(expected) == 4
    for got, want in zip(boxes, expected, strict=True):
        assert LABELS[got.label] == want.label
        assert close(list(got.points), list(visible(want, 200, 100).bounds)), (want.kind, got.points)
    at_15 = items["clips__road.mp4__frame_000015"].annotations
    assert [LABELS[a.label] for a in at_15] == ["cat"]  # the point at 15 is skipped
    assert close(list(at_15[0].points), [30, 20, 70, 50])
    assert report.items == 4
    assert report.skipped == {"polyline: YOLO holds areas only": 1, "point: YOLO holds areas only": 2}
    assert report.converted == {
        "polygon as box": 1,
        "rotated_rectangle as box clipped to the picture": 1,
        "circle as box": 1,
        "rotated_rectangle as box": 2,
    }


def test_the_label_files_pair_with_the_pictures_and_a_picture_without_shapes_has_an_empty_one(tmp_path: Path) -> None:
    export(tmp_path)
    root = tmp_path / "out"
    labels = sorted(p.name.removesuffix(".txt") for p in (root / "labels/train").iterdir())
    assert labels == sorted(p.stem for p in (root / "images/train").iterdir())
    assert len(labels) == 7
    assert (root / "labels/train/street__b.txt").read_bytes() == b""
    data = (root / "data.yaml").read_text()
    assert data == 'path: .\ntrain: images/train\nval: images/train\nnames:\n  0: "cat"\n  1: "dog"\n  2: "bird"\n'


def test_segment_lines_are_the_outlines_clipped_to_the_picture(tmp_path: Path) -> None:
    _, report = export(tmp_path, yolo_task="segment")
    found = read_labels(tmp_path / "out")
    width, height, lines = found["street__a.png"]
    expected = with_area(images()[0].shapes)
    assert [LABELS[c] for c, _ in lines] == [s.label for s in expected]
    for (_, coords), source in zip(lines, expected, strict=True):
        got = Polygon(list(zip(coords[::2], coords[1::2], strict=True)))
        want = visible(source, width, height)
        assert shapely.hausdorff_distance(got, want) <= PX, source.kind
        assert abs(got.area - want.area) / want.area < 0.01, source.kind
    assert report.converted == {
        "rectangle as polygon": 4,  # c.png's and the cat's boxes at frames 5 and 15
        "rotated_rectangle as polygon clipped to the picture": 1,
        "circle as polygon": 1,
        "rotated_rectangle as polygon": 2,
    }


def test_obb_lines_are_the_four_corners_of_boxes_and_other_kinds_are_skipped(tmp_path: Path) -> None:
    _, report = export(tmp_path, yolo_task="obb")
    found = read_labels(tmp_path / "out")
    _, _, at_10 = found["clips__road.mp4__frame_000010.jpg"]
    dog = video().shapes[2]
    ((cls, coords),) = at_10
    assert LABELS[cls] == "dog" and len(coords) == 8
    corners = list(zip(coords[::2], coords[1::2], strict=True))
    want = list(outline(dog).exterior.coords)[:4]
    assert all(min(abs(x - wx) + abs(y - wy) for wx, wy in want) <= PX for x, y in corners)
    _, _, on_a = found["street__a.png"]
    assert [LABELS[c] for c, _ in on_a] == ["cat", "bird"]
    assert report.skipped == {
        "polygon: YOLO obb holds rectangles and rotated rectangles only": 1,
        "circle: YOLO obb holds rectangles and rotated rectangles only": 1,
        "polyline: YOLO holds areas only": 1,
        "point: YOLO holds areas only": 2,
    }
    assert report.converted == {"rotated_rectangle as oriented box clipped to the picture": 1}


def test_read_back_each_task_gives_the_shapes_it_holds(tmp_path: Path) -> None:
    for task in ("detect", "segment", "obb"):
        (tmp_path / task).mkdir()
        archive, _ = export(tmp_path / task, yolo_task=task)
        assert registry.import_format("yolo") is FORMAT and FORMAT.detect(ZipReader(archive))
        items = {i.name: i for i in FORMAT.read(ZipReader(archive), Report())}
        assert items["street/b.png"].shapes == () and (items["c.png"].width, items["c.png"].height) == (64, 48)
        (rect,) = items["c.png"].shapes
        assert rect.kind == "rectangle" and close([c for p in rect.points for c in p], [1, 2, 30, 40]), task
        back = items["clips/road.mp4/frame_000010.jpg"].shapes
        dog = video().shapes[2]
        if task == "obb":
            (got,) = back
            assert got.kind == "rotated_rectangle" and abs((got.rotation or 0) - 10) < 0.01
            assert close([c for p in got.points for c in p], [c for p in dog.points for c in p])
        a = items["street/a.png"].shapes
        kinds = {"detect": ["rectangle"] * 4, "segment": ["rectangle", "polygon", "polygon", "polygon"]}
        assert [s.kind for s in a] == kinds.get(task, ["rectangle", "polygon"]), task
        if task == "segment":
            assert close([c for p in a[1].points for c in p], [c for p in images()[0].shapes[1].points for c in p])


def test_a_video_gives_one_picture_per_labeled_time_point_or_per_interpolated_frame(tmp_path: Path) -> None:
    for interpolated, frames in ((False, [5, 10, 15, 20]), (True, list(range(5, 21)))):
        (tmp_path / str(interpolated)).mkdir()
        export(tmp_path / str(interpolated), interpolated=interpolated)
        root = tmp_path / str(interpolated) / "out"
        shown = sorted(p.name for p in (root / "labels/train").glob("clips__road.mp4__*.txt"))
        assert shown == [f"clips__road.mp4__frame_{f:06d}.txt" for f in frames]
        assert sorted(p.name for p in (root / "images/train").glob("clips__road.mp4__*")) == [
            n.replace(".txt", ".jpg") for n in shown
        ]
    # o1 between (10,10)-(50,40) at 5 and (30,20)-(70,50) at 15: at 12, 70 % of the way
    _, _, lines = read_labels(root)["clips__road.mp4__frame_000012.jpg"]
    assert close(next(c for cls, c in lines if cls == 0), [44, 32, 40, 30])


def test_file_names_are_unique_and_an_absent_picture_is_a_problem_of_its_item(tmp_path: Path) -> None:
    names = FileNames(SEPARATOR)
    assert [names.take(n) for n in ("a/b.png", "a/b.jpg", "a__b.png", "c")] == [
        ("a__b", ".png"),
        ("a__b~2", ".jpg"),
        ("a__b~3", ".png"),
        ("c", ""),
    ]
    twins = [Item(sample_id=n, name=n, media_kind="image", width=10, height=10) for n in ("x.png", "x.jpg")]
    report = Report()
    files = list(FORMAT.export(dataset(twins), ExportOptions(include_media=True), GeneratedMedia(), report))
    assert [f.name for f in files] == [
        "data.yaml",
        "labels/train/x.txt",
        "labels/train/x~2.txt",
        "images/train/x.png",
        "images/train/x~2.jpg",
    ]
    export(tmp_path)
    (tmp_path / "out/images/train/c.png").unlink()
    items = {i.name: i for i in FORMAT.read(FolderReader(tmp_path / "out"), Report())}
    assert items["c"].problems == ("labels/train/c.txt: no picture images/train/c.* to read its size from",)
    assert len(items["street/a.png"].shapes) == 4


def test_a_label_line_that_cannot_be_read_is_a_problem_and_the_others_are_kept(tmp_path: Path) -> None:
    export(tmp_path)
    label = tmp_path / "out/labels/train/c.txt"
    label.write_text(label.read_text() + "7 0.5 0.5 0.1 0.1\n1 0.5 x\n1 0.1 0.2\n")
    items = {i.name: i for i in FORMAT.read(FolderReader(tmp_path / "out"), Report())}
    assert len(items["c.png"].shapes) == 1
    assert items["c.png"].problems == (
        "labels/train/c.txt line 2: class 7 is not in data.yaml",
        "labels/train/c.txt line 3: not a class id followed by numbers",
        "labels/train/c.txt line 4: 2 numbers are neither a box, an oriented box nor a polygon",
    )


@pytest.mark.parametrize("task", ["detect", "segment", "obb"])
def test_two_exports_are_byte_identical(tmp_path: Path, task: str) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, _ = export(tmp_path / "1", yolo_task=task, interpolated=True)
    second, _ = export(tmp_path / "2", yolo_task=task, interpolated=True)
    assert first.read_bytes() == second.read_bytes()
    assert "images/train/street__a.png" in zipfile.ZipFile(io.BytesIO(first.read_bytes())).namelist()


def test_an_oriented_box_comes_back_with_its_rotation(tmp_path: Path) -> None:
    turned = shape("rotated_rectangle", "bird", (40, 30), (100, 60), rotation=-35.0)
    item = Item(sample_id="t", name="t.png", media_kind="image", width=160, height=120, shapes=(turned,))
    files = FORMAT.export(
        dataset([item]), ExportOptions(include_media=True, yolo_task="obb"), GeneratedMedia(), Report()
    )
    archive = tmp_path / "t.zip"
    archive.write_bytes(b"".join(zip_stream(files)))
    ((got,),) = [i.shapes for i in FORMAT.read(ZipReader(archive), Report())]
    assert got.kind == "rotated_rectangle" and abs((got.rotation or 0) + 35) < 0.01
    assert close([c for p in got.points for c in p], [40, 30, 100, 60])


def test_the_reader_reads_what_datumaro_writes_as_yolo_ultralytics(tmp_path: Path) -> None:
    import numpy as np
    from datumaro.components.annotation import Bbox
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    def picture(w: int, h: int) -> DmImage:
        return DmImage.from_numpy(np.zeros((h, w, 3), np.uint8))

    written = Dataset.from_iterable(
        [
            DatasetItem(
                id="one", subset="train", media=picture(200, 100), annotations=[Bbox(10.5, 20, 30, 40, label=1)]
            ),
            DatasetItem(id="two", subset="val", media=picture(60, 50), annotations=[Bbox(1, 2, 3, 4, label=2)]),
        ],
        categories=LABELS,
    )
    written.export(str(tmp_path / "dm"), "yolo_ultralytics", save_media=True)
    archive = FolderReader(tmp_path / "dm")
    assert FORMAT.detect(archive)
    items = {i.name: i for i in FORMAT.read(archive, Report())}
    assert sorted(items) == ["one.jpg", "two.jpg"]
    ((dog,), (bird,)) = items["one.jpg"].shapes, items["two.jpg"].shapes
    assert (dog.kind, dog.label, bird.label) == ("rectangle", "dog", "bird")
    assert close([c for p in dog.points for c in p], [10.5, 20, 40.5, 60])
    assert close([c for p in bird.points for c in p], [1, 2, 4, 6])


def test_a_foreign_archive_with_listed_names_and_folders_reads_polygons_and_bare_pictures(tmp_path: Path) -> None:
    root = tmp_path / "foreign"
    for folder in ("images/val/sub", "labels/val/sub"):
        (root / folder).mkdir(parents=True)
    (root / "data.yaml").write_text("train: images/val\nval: images/val\nnames: [car, person]\n")
    for name in ("sub/x.png", "y.png"):
        Image.new("RGB", (100, 50)).save(root / "images/val" / name)
    (root / "labels/val/sub/x.txt").write_text("1 0.1 0.2 0.5 0.2 0.3 0.8\n")
    items = {i.name: i for i in FORMAT.read(FolderReader(root), Report())}
    assert items["y.png"].shapes == () and items["y.png"].problems == ()
    (triangle,) = items["sub/x.png"].shapes
    assert (triangle.kind, triangle.label) == ("polygon", "person")
    assert close([c for p in triangle.points for c in p], [10, 10, 50, 10, 30, 40])
