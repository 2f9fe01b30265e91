"""CVAT for video 1.1: one document per video sample, `<video path>/annotations.xml` (e.g.
`clips/road.mp4/annotations.xml`), so a dataset of several videos is one archive of them; with `include_media` the
video's frames follow as `<video path>/images/frame_000042.jpg` (the labeled time points, with `interpolated` every
frame of an interpolated box). Image samples have no place in it: their shapes are skipped and counted.

`<meta><task>` holds the video's name, its frame count (`size`, `stop_frame`), mode `interpolation`, the label set in
its order and `original_size`; `<source>` the video's path. Every object (shapes sharing an `object_id`) is a
`<track id label>`: its keyframes (`keyframe="1"`), for boxes every frame between two keyframes with the box
interpolated as the editor shows it (`keyframe="0"`, labelstream_shared.geometry), and after its last keyframe one
`outside="1"` shape (as CVAT writes a track's end; not past the video's last frame). An object of another kind is not
interpolated: each keyframe is followed by an `outside` one. A shape without an object id is a track of one frame
followed by its `outside` one. Track ids count from 0 in the order of the tracks' first frames. Shapes are held
natively as in CVAT for images (a rotated rectangle as a box with `rotation`, a circle as an ellipse).

Reading: one item per document (named by its folder, else `<source>`), with the keyframes of each track that are not
`outside` (interpolated frames are left: they follow from the keyframes); a track with two keyframes or more gives
its shapes `object_id` = the track id; frame indexes are set, time points are the importer's (the XML has no frame
rate)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from labelstream_shared.events.contracts import Shape
from labelstream_shared.geometry import frame_of, interpolate

from labelstream_formats import conversions as cv
from labelstream_formats import pictures
from labelstream_formats.archive import encoded
from labelstream_formats.formats.cvat_images import (
    ALL_KINDS,
    DOCUMENT,
    FOOTER,
    broken,
    documents,
    element,
    flavour,
    geometry,
    header,
    shapes_of,
    top_elements,
)
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

ONLY_VIDEOS = "CVAT for video holds videos, not images"


@dataclass
class Track:
    """One CVAT track: the keyframes (frame, shape) of one object with one label and one element kind."""

    label: str
    boxes: bool  # interpolated between keyframes
    keyframes: list[tuple[float, Shape]] = field(default_factory=list)

    def first(self) -> int:
        return round(self.keyframes[0][0])


@dataclass(frozen=True, slots=True)
class Placed:
    """A shape as a track writes it at one frame."""

    frame: int
    shape: Shape
    keyframe: bool
    outside: bool


class CvatVideo:
    name = "cvat_video"
    title = "CVAT for video 1.1"
    media_kinds: frozenset[MediaKind] = frozenset({"video"})
    shape_kinds = ALL_KINDS

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        for item in dataset.items():
            if item.media_kind != "video":
                for shape in item.shapes:
                    report.skip(shape, ONLY_VIDEOS)
                report.item_done()
                continue
            yield ArchiveFile(f"{item.name}/{DOCUMENT}", encoded(_document(item, dataset.labels, report)))
            if options.include_media:
                for frame, data in pictures.frame_bytes(item, options, media):
                    yield ArchiveFile(f"{item.name}/images/frame_{frame:06d}.jpg", (data,))

    def detect(self, archive: ArchiveReader) -> bool:
        return any(flavour(archive.read(n)) == "video" for n in documents(archive))

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        for name in documents(archive):
            data = archive.read(name)
            if flavour(data) == "video":
                try:
                    yield _video_item(name, data, report)
                except (ParseError, ValueError) as exc:
                    yield broken(name, exc)


def _document(item: Item, labels: tuple[str, ...], report: Report) -> Iterator[str]:
    tracks = _tracks(item, frozenset(labels), report)
    last = max((round(f) for t in tracks for f, _ in t.keyframes), default=-1)
    size = item.frame_count or last + 2  # unknown: room for the outside frame after the last keyframe
    task = [("name", item.name), ("size", str(size)), ("mode", "interpolation"), ("overlap", "0")]
    task += [("start_frame", "0"), ("stop_frame", str(size - 1)), ("frame_filter", "")]
    yield header(task, labels, size=(item.width or 0, item.height or 0), source=item.name)
    for track_id, track in enumerate(tracks):
        yield element("track", [("id", str(track_id)), ("label", track.label), ("source", "manual")], 1, empty=False)
        for placed in _placed(track, size, object_id=str(track_id)):
            tag, attributes = geometry(placed.shape)
            state = [("frame", str(placed.frame)), ("keyframe", str(int(placed.keyframe)))]
            state += [("outside", str(int(placed.outside))), ("occluded", "0")]
            yield element(tag, [*state, *attributes, ("z_order", "0")], 2)
            if not placed.outside:
                report.shapes += 1
        yield "  </track>\n"
    yield FOOTER
    report.item_done()


def _tracks(item: Item, labels: frozenset[str], report: Report) -> list[Track]:
    """The video's tracks in the order of their first frames (then of their first shape)."""
    tracks: dict[object, Track] = {}
    for n, shape in enumerate(item.shapes):
        frame = frame_of(shape, item.fps)
        if frame is None:
            report.skip(shape, "a video's shape without a time point")
            continue
        if shape.label not in labels:
            report.skip(shape, f"label {shape.label!r} is not in the label set")
            continue
        boxes = shape.kind in cv.BOX_KINDS
        key: object = n if shape.object_id is None else (shape.object_id, shape.label, boxes or shape.kind)
        track = tracks.setdefault(key, Track(label=shape.label, boxes=boxes))
        if any(round(f) == round(frame) for f, _ in track.keyframes):
            report.skip(shape, "a second shape of one object at one frame")
            continue
        track.keyframes.append((frame, shape))
    for track in tracks.values():
        track.keyframes.sort(key=lambda k: k[0])
    return sorted(tracks.values(), key=Track.first)


def _placed(track: Track, size: int, *, object_id: str) -> Iterator[Placed]:
    """The track's shapes frame by frame: keyframes, interpolated boxes between them, `outside` after a keyframe
    that the next frame does not continue."""
    keyframes = track.keyframes
    for i, (f, shape) in enumerate(keyframes):
        frame = round(f)
        yield Placed(frame, shape, keyframe=True, outside=False)
        following = round(keyframes[i + 1][0]) if i + 1 < len(keyframes) else None
        if following is not None and track.boxes:
            for between in range(frame + 1, following):
                box = interpolate(keyframes[i], keyframes[i + 1], frame=between, object_id=object_id)
                yield Placed(between, box, keyframe=False, outside=False)
        elif following != frame + 1 and frame + 1 < size:
            yield Placed(frame + 1, shape, keyframe=True, outside=True)


def _video_item(name: str, data: bytes, report: Report) -> ImportedItem:
    folder = name.rpartition("/")[0]
    shapes: list[Shape] = []
    problems: list[str] = []
    width = height = None
    video = folder
    for el in top_elements(data, "meta", "track"):
        if el.tag == "meta":
            video = folder or el.findtext("source") or el.findtext("task/name") or "video"
            width, height = _size(el)
            continue
        shapes += _track_shapes(el, report, problems)
    report.item_done()
    return ImportedItem(name=video, shapes=tuple(shapes), width=width, height=height, problems=tuple(problems))


def _track_shapes(track: Element, report: Report, problems: list[str]) -> list[Shape]:
    """The keyframes of a track that are not outside, with the track id as object id when there are several."""
    track_id, label = track.get("id", "?"), track.get("label")
    if label is None:
        problems.append(f"track {track_id}: no label")
        return []
    shapes: list[Shape] = []
    for el in track:
        if el.get("outside") == "1" or el.get("keyframe", "1") != "1":
            continue
        try:
            frame = int(el.attrib["frame"])
        except (KeyError, ValueError):
            problems.append(f"track {track_id}: <{el.tag}> without a frame")
            continue
        found = shapes_of(el, label=label, shape_id=f"track{track_id}@{frame}", report=report, problems=problems)
        shapes += [s.model_copy(update={"frame_index": frame}) for s in found]
    if len({s.frame_index for s in shapes}) > 1:
        shapes = [s.model_copy(update={"object_id": track_id}) for s in shapes]
    return shapes


def _size(meta: Element) -> tuple[int | None, int | None]:
    try:
        return int(meta.findtext("task/original_size/width", "")), int(meta.findtext("task/original_size/height", ""))
    except ValueError:
        return None, None


FORMAT = CvatVideo()
