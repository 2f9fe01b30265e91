"""A dataset with every shape kind for the format tests: images with each kind, an image without shapes, and a
video with two objects tracked over keyframes (interpolated between them) plus a point at one time point; the
pictures are generated in memory."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from labelstream_formats.model import ExportDataset, Item
from labelstream_shared.events.contracts import Shape
from PIL import Image

LABELS = ("cat", "dog", "bird")
FPS = 10.0


def shape(kind: str, label: str, *points: tuple[float, float], **extra: object) -> Shape:
    n = shape.counter = getattr(shape, "counter", 0) + 1  # type: ignore[attr-defined]
    return Shape.model_validate({"shape_id": f"s{n}", "kind": kind, "label": label, "points": points, **extra})


def images() -> list[Item]:
    return [
        Item(
            sample_id="i1",
            name="street/a.png",
            media_kind="image",
            width=200,
            height=100,
            status="labeled",
            shapes=(
                shape("rectangle", "cat", (10, 10), (60.5, 40.25)),
                shape("polygon", "dog", (100, 10), (150, 20), (140, 80), (105, 60)),
                shape("rotated_rectangle", "bird", (20, 50), (80, 90), rotation=30.0),
                shape("circle", "cat", (160, 70), (175, 70)),
                shape("polyline", "dog", (5, 95), (50, 90), (90, 95)),
                shape("point", "bird", (120, 90)),
            ),
        ),
        Item(sample_id="i2", name="street/b.png", media_kind="image", width=200, height=100, status="unlabeled"),
        Item(
            sample_id="i3",
            name="c.png",
            media_kind="image",
            width=64,
            height=48,
            status="labeled",
            shapes=(shape("rectangle", "dog", (1, 2), (30, 40)),),
        ),
    ]


def video() -> Item:
    """A 4 s clip at 10 fps, 320x240: object o1 (cat) keyed at frames 5 and 15, o2 (dog, rotated) at 10 and 20."""

    def at(frame: int, **extra: object) -> dict[str, object]:
        return {"frame_index": frame, "time_point_s": frame / FPS, **extra}

    return Item(
        sample_id="v1",
        name="clips/road.mp4",
        media_kind="video",
        width=320,
        height=240,
        fps=FPS,
        frame_count=40,
        status="labeled",
        shapes=(
            shape("rectangle", "cat", (10, 10), (50, 40), **at(5, object_id="o1")),
            shape("rectangle", "cat", (30, 20), (70, 50), **at(15, object_id="o1")),
            shape("rotated_rectangle", "dog", (100, 100), (160, 140), rotation=10.0, **at(10, object_id="o2")),
            shape("rotated_rectangle", "dog", (120, 110), (180, 150), rotation=20.0, **at(20, object_id="o2")),
            shape("point", "bird", (200, 200), **at(15)),
        ),
    )


def dataset(items: Iterable[Item], name: str = "every shape") -> ExportDataset:
    held = list(items)
    return ExportDataset(name=name, labels=LABELS, items=lambda: iter(held), count=len(held))


def png(item: Item) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (item.width or 1, item.height or 1), (90, 120, 150)).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int, height: int, frame: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (frame * 5 % 255, 80, 80)).save(out, format="JPEG")
    return out.getvalue()


class GeneratedMedia:
    """Pictures made on the spot: a PNG per image sample, a JPEG per video frame."""

    def __init__(self) -> None:
        self.frame_calls: list[tuple[str, list[int]]] = []

    def image(self, item: Item) -> Iterable[bytes]:
        return (png(item),)

    def frames(self, item: Item, frames: list[int]) -> Iterator[tuple[int, bytes]]:
        self.frame_calls.append((item.sample_id, frames))
        for f in frames:
            yield f, jpeg(item.width or 1, item.height or 1, f)
