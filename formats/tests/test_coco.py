"""COCO instances checked with pycocotools, the reference tool: it loads the export, and the mask of every annotation
covers the pixels of the source outline rasterised independently (Shapely), IoU >= 0.99; read back, the shapes equal the
source for every kind COCO holds."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import shapely
from labelstream_formats import conversions as cv
from labelstream_formats.archive import ZipReader, zip_stream
from labelstream_formats.formats.coco import ANNOTATIONS, FORMAT
from labelstream_formats.model import ExportOptions, Report
from pycocotools.coco import COCO

from formats.tests.builders import GeneratedMedia, dataset, images, video


def export(tmp_path: Path, options: ExportOptions | None = None) -> tuple[Path, Report]:
    report = Report()
    files = FORMAT.export(dataset([*images(), video()]), options or ExportOptions(), GeneratedMedia(), report)
    archive = tmp_path / "coco.zip"
    archive.write_bytes(b"".join(zip_stream(files)))
    return archive, report


def rasterised(outline: list[tuple[float, float]], width: int, height: int) -> np.ndarray:
    """The pixels whose centres lie inside the outline or on it (Shapely, independent of pycocotools)."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.asarray(shapely.intersects_xy(shapely.Polygon(outline), xs + 0.5, ys + 0.5), dtype=bool)


def test_pycocotools_loads_it_and_every_mask_matches_the_source_outline(tmp_path: Path) -> None:
    archive, report = export(tmp_path)
    with zipfile.ZipFile(archive) as z:
        (tmp_path / "instances.json").write_bytes(z.read(ANNOTATIONS))
    coco = COCO(str(tmp_path / "instances.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["cat", "dog", "bird"]
    first = images()[0]
    (image,) = coco.loadImgs([i for i in coco.getImgIds() if coco.imgs[i]["file_name"] == first.name])
    assert (image["width"], image["height"]) == (200, 100)
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
    areas = [s for s in first.shapes if cv.polygon(s) is not None]
    assert len(anns) == len(areas) == 4
    for ann, source in zip(anns, areas, strict=True):
        mask = coco.annToMask(ann).astype(bool)
        expected = rasterised(cv.polygon(source) or [], 200, 100)
        iou = (mask & expected).sum() / (mask | expected).sum()
        assert iou >= 0.99, (source.kind, iou)
    assert report.skipped == {"polyline: COCO instances hold areas only": 1, "point: COCO instances hold areas only": 2}


def test_a_video_gives_one_image_per_labeled_time_point_or_per_interpolated_frame(tmp_path: Path) -> None:
    for interpolated, frames in ((False, [5, 10, 15, 20]), (True, list(range(5, 21)))):
        archive, _ = export(tmp_path, ExportOptions(interpolated=interpolated))
        document = json.loads(zipfile.ZipFile(archive).read(ANNOTATIONS))
        shown = [i["frame"] for i in document["images"] if i.get("video") == "clips/road.mp4"]
        assert shown == frames
    by_name = {i["file_name"]: i["id"] for i in document["images"]}
    at_12 = [a for a in document["annotations"] if a["image_id"] == by_name["clips/road.mp4/frame_000012.jpg"]]
    # o1 between (10,10)-(50,40) at 5 and (30,20)-(70,50) at 15: at 12, 70 % of the way; o2 interpolated too
    box = next(a["bbox"] for a in at_12 if a["attributes"] == {"object_id": "o1"})
    assert box == [24.0, 17.0, 40.0, 30.0]
    assert len(at_12) == 2


def test_read_back_the_shapes_equal_the_source_for_what_coco_holds(tmp_path: Path) -> None:
    archive, _ = export(tmp_path)
    items = {i.name: i for i in FORMAT.read(ZipReader(archive), Report())}
    source = images()[0]
    back = items[source.name]
    kinds = [s.kind for s in back.shapes]
    assert kinds == ["rectangle", "polygon", "polygon", "polygon"]
    assert back.shapes[0].points == ((10.0, 10.0), (60.5, 40.25))
    assert back.shapes[1].points == source.shapes[1].points
    assert [s.label for s in back.shapes] == ["cat", "dog", "bird", "cat"]
    assert items["street/b.png"].shapes == ()


def test_two_exports_are_byte_identical_and_media_go_under_images(tmp_path: Path) -> None:
    options = ExportOptions(include_media=True)
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, _ = export(tmp_path / "1", options)
    second, _ = export(tmp_path / "2", options)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(io.BytesIO(first.read_bytes())).namelist()
    assert "images/street/a.png" in names
    assert "images/clips/road.mp4/frame_000015.jpg" in names
