"""MOT checked with datumaro's `mot_seq` importer, the reference reader: the labels, a box per written shape at its
frame (from 1), the track ids (one per object, the same at every frame) and the coordinates within 0.5 px of the
source (a rotated rectangle's bounds); read back, the boxes are the source's with their objects."""

from __future__ import annotations

import math
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
from datumaro.components.annotation import AnnotationType
from datumaro.components.dataset import Dataset
from datumaro.components.environment import Environment
from labelstream_formats import conversions as cv
from labelstream_formats import registry
from labelstream_formats.archive import FolderReader, ZipReader, zip_stream
from labelstream_formats.formats import cvat_video, mot
from labelstream_formats.model import ExportOptions, Item, Report

from formats.tests.builders import LABELS, GeneratedMedia, dataset, images, video

Box = tuple[float, float, float, float]


def export(tmp_path: Path, items: list[Item], options: ExportOptions | None = None) -> tuple[Path, Report]:
    report = Report()
    files = mot.FORMAT.export(dataset(items), options or ExportOptions(), GeneratedMedia(), report)
    archive = tmp_path / "mot.zip"
    archive.write_bytes(b"".join(zip_stream(files)))
    return archive, report


def expected_boxes(item: Item, *, interpolated: bool) -> dict[tuple[int, str], tuple[str, Box]]:
    """(frame from 1, object) -> (label, x, y, w, h) of every box of the source, a rotated one by its bounds."""
    boxes = {}
    for fs in cv.frames(item, interpolated=interpolated):
        for s in fs.shapes:
            if s.kind in cv.BOX_KINDS:
                x0, y0, x1, y1 = cv.bounds(cv.corners(s))
                boxes[(fs.frame + 1, s.object_id or s.shape_id)] = (s.label, (x0, y0, x1 - x0, y1 - y0))
    return boxes


def near(found: Box, expected: Box) -> bool:
    return all(math.isclose(a, b, abs_tol=0.5) for a, b in zip(found, expected, strict=True))


@pytest.mark.parametrize("interpolated", [False, True])
def test_datumaro_reads_every_box_at_its_frame_with_one_track_id_per_object(tmp_path: Path, interpolated: bool) -> None:
    options = ExportOptions(interpolated=interpolated, include_media=True)
    archive, report = export(tmp_path, [*images(), video()], options)
    zipfile.ZipFile(archive).extractall(tmp_path / "out")
    assert Environment().detect_dataset(str(tmp_path / "out" / "clips/road.mp4")) == ["mot_seq"]
    ds = Dataset.import_from(str(tmp_path / "out" / "clips/road.mp4"), "mot_seq")
    labels = [c.name for c in ds.categories()[AnnotationType.label]]
    assert labels == list(LABELS)
    assert len(ds) == 40  # seqinfo.ini: every frame of the video is an item
    found: dict[tuple[int, int], tuple[str, Box]] = {}
    for item in ds:
        for a in item.annotations:
            assert a.type == AnnotationType.bbox
            assert (a.attributes["ignored"], a.attributes["visibility"]) == (False, 1.0)
            found[(int(item.id), a.attributes["track_id"])] = (labels[a.label], tuple(a.get_bbox()))
    expected = expected_boxes(video(), interpolated=interpolated)
    assert len(found) == len(expected) == report.shapes
    objects_of_tracks: dict[int, set[str]] = defaultdict(set)
    for (frame, obj), (label, box) in expected.items():
        (track,) = [t for (f, t), (_, b) in found.items() if f == frame and near(b, box)]
        assert found[(frame, track)][0] == label
        objects_of_tracks[track].add(obj)
    assert sorted(objects_of_tracks) == [1, 2] and all(len(o) == 1 for o in objects_of_tracks.values())
    assert report.skipped["point: MOT holds boxes only"] == 1
    assert report.converted == {"rotated_rectangle as rectangle (its bounds)": 2 if not interpolated else 11}
    frames = sorted({f for f, _ in expected})
    images_written = sorted(p.name for p in (tmp_path / "out" / "clips/road.mp4/img1").iterdir())
    assert images_written == [f"{f:06d}.jpg" for f in frames]


def test_the_sequence_files_are_as_mot_has_them(tmp_path: Path) -> None:
    archive, _ = export(tmp_path, [video()])
    z = zipfile.ZipFile(archive)
    assert z.namelist() == ["clips/road.mp4/gt/gt.txt", "clips/road.mp4/gt/labels.txt", "clips/road.mp4/seqinfo.ini"]
    assert z.read("clips/road.mp4/gt/gt.txt").decode().splitlines() == [
        "6,1,10,10,40,30,1,1,1",
        "11,2,96.98,95.09,66.03,49.81,1,2,1",  # centre (130, 120), 60 x 40 turned 10°: its bounds
        "16,1,30,20,40,30,1,1,1",
        "21,2,114.97,100.95,70.06,58.11,1,2,1",
    ]
    assert z.read("clips/road.mp4/gt/labels.txt") == b"cat\ndog\nbird\n"
    seqinfo = z.read("clips/road.mp4/seqinfo.ini").decode().splitlines()
    assert seqinfo[0] == "[Sequence]" and "seqLength=40" in seqinfo and "frameRate=10" in seqinfo


def test_read_back_gives_the_boxes_at_their_frames_with_their_objects(tmp_path: Path) -> None:
    archive, _ = export(tmp_path, [video()])
    report = Report()
    (back,) = list(mot.FORMAT.read(ZipReader(archive), report))
    assert (back.name, back.width, back.height, back.problems) == ("clips/road.mp4", 320, 240, ())
    expected = expected_boxes(video(), interpolated=False)
    assert len(back.shapes) == len(expected) == 4
    objects: dict[str, set[str | None]] = defaultdict(set)
    for s in back.shapes:
        assert s.kind == "rectangle" and s.frame_index is not None
        (x0, y0), (x1, y1) = s.points
        box = (x0, y0, x1 - x0, y1 - y0)
        ((obj, label),) = [(o, v[0]) for (f, o), v in expected.items() if f == s.frame_index + 1 and near(box, v[1])]
        assert s.label == label
        objects[obj].add(s.object_id)
    assert objects == {"o1": {"1"}, "o2": {"2"}}
    assert report.items == 1


def test_several_videos_are_one_sequence_each_and_images_give_nothing_but_are_counted(tmp_path: Path) -> None:
    second = Item(
        sample_id="v2",
        name="other.mp4",
        media_kind="video",
        width=64,
        height=48,
        fps=None,  # unknown: no seqinfo.ini
        frame_count=None,
        shapes=tuple(
            s.model_copy(update={"object_id": None, "label": "fish" if s.label == "dog" else s.label})
            for s in video().shapes
        ),
    )
    archive, report = export(tmp_path, [*images(), video(), second])
    names = zipfile.ZipFile(archive).namelist()
    assert [n for n in names if n.startswith("other.mp4/")] == ["other.mp4/gt/gt.txt", "other.mp4/gt/labels.txt"]
    assert not [n for n in names if n.startswith(("street", "c.png"))]
    assert report.items == 5
    for shape in images()[0].shapes:
        assert report.skipped[f"{shape.kind}: {mot.ONLY_VIDEOS}"] >= 1
    assert report.skipped["rotated_rectangle: label 'fish' is not in the label set"] == 2
    zipfile.ZipFile(archive).extractall(tmp_path / "out")
    other = Dataset.import_from(str(tmp_path / "out" / "other.mp4"), "mot_seq")
    ids = [a.attributes["track_id"] for item in other for a in item.annotations]
    assert sorted(ids) == [1, 2]  # boxes without an object: a track each
    (back,) = [i for i in mot.FORMAT.read(ZipReader(archive), Report()) if i.name == "other.mp4"]
    assert [s.object_id for s in back.shapes] == [None, None]


def test_two_exports_are_byte_identical(tmp_path: Path) -> None:
    options = ExportOptions(include_media=True, interpolated=True)
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, _ = export(tmp_path / "1", [*images(), video()], options)
    second, _ = export(tmp_path / "2", [*images(), video()], options)
    assert first.read_bytes() == second.read_bytes()


def test_reading_a_mot_sequence_written_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "MOT17-02" / "gt").mkdir(parents=True)
    (tmp_path / "MOT17-02" / "gt" / "gt.txt").write_text(
        "1,1,912,484,97,109,0,7,1\n2,1,912,484,97,109,0,7,1\n1,2,1338,418,167,379,1,1,1\n1,3,1,2\n1,4,1,2,3,4,1,99,1\n"
    )
    archive = FolderReader(tmp_path)
    assert mot.FORMAT.detect(archive)
    assert not cvat_video.FORMAT.detect(archive)
    report = Report()
    (item,) = list(mot.FORMAT.read(archive, report))
    assert item.name == "MOT17-02"
    assert [(s.label, s.frame_index, s.object_id) for s in item.shapes] == [
        ("static person", 0, "1"),
        ("pedestrian", 0, None),
        ("static person", 1, "1"),
    ]
    assert item.shapes[1].points == ((1338.0, 418.0), (1505.0, 797.0))
    assert len(item.problems) == 2 and item.problems[1] == "line 5: class 99 is not one of the 12 labels"
    assert report.items == 1 and registry.import_format("mot") is not None


def test_nothing_else_is_taken_for_mot(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text("<annotations/>")
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "det.txt").write_text("1,-1,1,2,3,4,0.9\n")
    assert not mot.FORMAT.detect(FolderReader(tmp_path))
