"""MOT (the MOTChallenge ground truth layout): one sequence per video sample, in the folder named by the video's path
(e.g. `clips/road.mp4/`), so a dataset of several videos is one archive of sequences:
- `gt/gt.txt`: a line per box, `frame,id,x,y,w,h,1,class,1` (frame from 1, the track id from 1, the box's left, top,
  width and height in pixels, "not ignored", the class from 1, visibility), by frame then id;
- `gt/labels.txt`: the label set, one per line, in order (class 1 is the first);
- `seqinfo.ini`: name, imDir, frameRate (whole frames per second, as MOT has it), seqLength, imWidth, imHeight, imExt,
  when the video's frame rate, frame count and size are known;
- with `include_media`, `img1/000006.jpg`: the frames the boxes are at (frame 5 is MOT's 6).
The boxes are those of the labeled time points, and with `interpolated` every frame between two keyframes of an object
(the boxes the editor shows). An object (shapes sharing `object_id`) is one track; a box without an object id is a
track of its own. A rotated rectangle is held as its bounds (counted as converted); other kinds are skipped and
counted. Image samples have no place in MOT: their shapes are skipped and counted, and they give no entry.

Reading: every `gt/gt.txt` is one video item (named by its folder, else seqinfo's name) with a rectangle per line at
frame `frame - 1`; the lines of a track id with more than one line share `object_id` = the id. Without
`labels.txt`, classes are MOT's own (pedestrian, person on vehicle, ...)."""

from __future__ import annotations

import configparser
from collections.abc import Iterator
from dataclasses import dataclass, field

from labelstream_shared.events.contracts import Shape

from labelstream_formats import conversions as cv
from labelstream_formats import pictures
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

GT = "gt/gt.txt"
LABELS = "gt/labels.txt"
SEQINFO = "seqinfo.ini"
ONLY_VIDEOS = "MOT holds video sequences, not images"
MOT_CLASSES = (  # MOTChallenge's classes, for a sequence without labels.txt
    "pedestrian",
    "person on vehicle",
    "car",
    "bicycle",
    "motorbike",
    "non motorized vehicle",
    "static person",
    "distractor",
    "occluder",
    "occluder on the ground",
    "occluder full",
    "reflection",
)


def number(value: float) -> str:
    """At most 2 decimals, no trailing zeros: 10, 40.5, 30.25."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass
class TrackIds:
    """MOT's track ids, from 1, in the order objects first appear; a box without an object gets one of its own."""

    ids: dict[str, int] = field(default_factory=dict)
    issued: int = 0

    def of(self, object_id: str | None) -> int:
        if object_id is not None and object_id in self.ids:
            return self.ids[object_id]
        self.issued += 1
        if object_id is not None:
            self.ids[object_id] = self.issued
        return self.issued


class Mot:
    name = "mot"
    title = "MOT ground truth (gt.txt)"
    media_kinds: frozenset[MediaKind] = frozenset({"video"})
    shape_kinds = cv.BOX_KINDS

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        labels = "".join(f"{label}\n" for label in dataset.labels).encode()
        for item in dataset.items():
            if item.media_kind != "video":
                for shape in item.shapes:
                    report.skip(shape, ONLY_VIDEOS)
                report.item_done()
                continue
            yield ArchiveFile(f"{item.name}/{GT}", _lines(item, dataset.labels, options, report))
            yield ArchiveFile(f"{item.name}/{LABELS}", (labels,))
            seqinfo = _seqinfo(item)
            if seqinfo is not None:
                yield ArchiveFile(f"{item.name}/{SEQINFO}", (seqinfo.encode(),))
            if options.include_media:
                for frame, data in pictures.frame_bytes(item, options, media):
                    yield ArchiveFile(f"{item.name}/img1/{frame + 1:06d}.jpg", (data,))

    def detect(self, archive: ArchiveReader) -> bool:
        return bool(_sequences(archive))

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        for folder in _sequences(archive):
            try:
                yield _sequence(archive, folder, report)
            except UnicodeDecodeError as exc:
                yield ImportedItem(name=folder + GT, problems=(f"{folder + GT}: not UTF-8 text ({exc})",))


def _lines(item: Item, labels: tuple[str, ...], options: ExportOptions, report: Report) -> Iterator[bytes]:
    """gt.txt, a chunk per frame: its boxes by track id."""
    class_of = {label: i + 1 for i, label in enumerate(labels)}
    ids = TrackIds()
    for fs in cv.frames(item, interpolated=options.interpolated):
        rows: list[tuple[int, str]] = []
        for shape in fs.shapes:
            if shape.kind not in cv.BOX_KINDS:
                report.skip(shape, "MOT holds boxes only")
                continue
            if shape.label not in class_of:
                report.skip(shape, f"label {shape.label!r} is not in the label set")
                continue
            if shape.kind == "rotated_rectangle":
                report.convert(shape, "rectangle (its bounds)")
            x0, y0, x1, y1 = cv.bounds(cv.corners(shape))
            track = ids.of(shape.object_id)
            box = ",".join(number(v) for v in (x0, y0, x1 - x0, y1 - y0))
            rows.append((track, f"{fs.frame + 1},{track},{box},1,{class_of[shape.label]},1\n"))
            report.shapes += 1
        if rows:
            yield "".join(row for _, row in sorted(rows)).encode()
    report.item_done()


def _seqinfo(item: Item) -> str | None:
    if not (item.fps and item.frame_count and item.width and item.height):
        return None
    name = item.name.rsplit("/", 1)[-1]
    fields = [("name", name), ("imDir", "img1"), ("frameRate", str(max(1, round(item.fps))))]
    fields += [("seqLength", str(item.frame_count)), ("imWidth", str(item.width)), ("imHeight", str(item.height))]
    fields.append(("imExt", ".jpg"))
    return "[Sequence]\n" + "".join(f"{k}={v}\n" for k, v in fields)


# Reading ------------------------------------------------------------------------------------------------------------


def _sequences(archive: ArchiveReader) -> list[str]:
    """The folders of the archive's sequences ("" for one at its root)."""
    return [n[: -len(GT)] for n in archive.names() if n == GT or n.endswith("/" + GT)]


def _sequence(archive: ArchiveReader, folder: str, report: Report) -> ImportedItem:
    names = set(archive.names())
    labels: tuple[str, ...] = MOT_CLASSES
    if folder + LABELS in names:
        labels = tuple(line.strip() for line in archive.read(folder + LABELS).decode().splitlines() if line.strip())
    info = _read_seqinfo(archive.read(folder + SEQINFO).decode()) if folder + SEQINFO in names else {}
    problems: list[str] = []
    rows: list[tuple[int, int, Shape]] = []  # track id, frame, shape
    for n, line in enumerate(archive.read(folder + GT).decode().splitlines(), start=1):
        if line.strip():
            row = _row(line, n, labels, problems)
            if row is not None:
                rows.append(row)
    lines_of: dict[int, int] = {}
    for track, _, _ in rows:
        lines_of[track] = lines_of.get(track, 0) + 1
    shapes = [
        s.model_copy(update={"object_id": str(t)}) if t > 0 and lines_of[t] > 1 else s
        for t, _, s in sorted(rows, key=lambda r: (r[1], r[0]))
    ]
    report.item_done()
    return ImportedItem(
        name=folder.rstrip("/") or info.get("name", "sequence"),
        shapes=tuple(shapes),
        width=_integer(info.get("imwidth")),
        height=_integer(info.get("imheight")),
        problems=tuple(problems),
    )


def _row(line: str, n: int, labels: tuple[str, ...], problems: list[str]) -> tuple[int, int, Shape] | None:
    """(track id, frame, rectangle) of one line of gt.txt, or None with the problem noted."""
    fields = [f.strip() for f in line.split(",")]
    try:
        frame, track = int(float(fields[0])), int(float(fields[1]))
        x, y, w, h = (float(v) for v in fields[2:6])
        class_id = int(float(fields[7])) if len(fields) > 7 else 1
        if not 1 <= class_id <= len(labels):
            problems.append(f"line {n}: class {class_id} is not one of the {len(labels)} labels")
            return None
        shape = Shape(
            shape_id=f"mot{n}",
            kind="rectangle",
            label=labels[class_id - 1],
            points=((x, y), (x + w, y + h)),
            frame_index=frame - 1,
        )
        return track, frame, shape
    except (IndexError, ValueError) as exc:  # too few fields, a bad number, a shape pydantic refuses
        problems.append(f"line {n}: {exc}")
        return None


def _read_seqinfo(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return dict(parser["Sequence"]) if parser.has_section("Sequence") else {}


def _integer(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


FORMAT = Mot()
