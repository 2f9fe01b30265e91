"""What an export reads and what it writes: the dataset (its label set in order, and its items, which can be read
more than once, each time as a stream), one item (a sample with its media facts and shapes), the files of the
archive, and the report of what a format could not hold. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from labelstream_shared.events.contracts import Shape
from pydantic import BaseModel, ConfigDict, Field

MediaKind = Literal["image", "video"]


@dataclass(frozen=True, slots=True)
class Item:
    """One sample: `name` is its path in the export (the object key under the dataset's input prefix, e.g.
    `street/cam1.jpg`), unique within the dataset; width and height are those of the displayed picture."""

    sample_id: str
    name: str
    media_kind: MediaKind
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    shapes: tuple[Shape, ...] = ()
    status: str = "unlabeled"
    hard_example: bool = False
    source: str | None = None  # where the picture is stored (e.g. s3://bucket/key): for the MediaSource only


@dataclass(frozen=True, slots=True)
class ExportDataset:
    """The labels in the label set's order, and the items in a stable order (`items()` starts a new pass)."""

    name: str
    labels: tuple[str, ...]
    items: Callable[[], Iterator[Item]]
    count: int


class ExportOptions(BaseModel):
    """What a user may choose for an export; each format reads what applies to it and ignores the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    include_media: bool = Field(
        default=False, description="Put the images (and a video's frames) into the archive, not only the labels."
    )
    interpolated: bool = Field(
        default=False,
        description="Video: also write every frame between two keyframes of an object (its interpolated boxes), "
        "not only the labeled time points.",
    )
    yolo_task: Literal["detect", "segment", "obb"] = Field(
        default="detect", description="YOLO: boxes (detect), polygons (segment) or rotated boxes (obb)."
    )


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    """One file of the archive: its path inside it and its bytes, produced as they are needed."""

    name: str
    chunks: Iterable[bytes]


class MediaSource(Protocol):
    """Where an export gets what it puts into the archive besides labels (only called with `include_media`)."""

    def image(self, item: Item) -> Iterable[bytes]:
        """The bytes of an image sample, as stored."""
        ...

    def frames(self, item: Item, frames: list[int]) -> Iterator[tuple[int, bytes]]:
        """JPEG pictures of the given frames of a video sample (ascending), extracted in one pass."""
        ...


@dataclass
class Report:
    """What went into the export (items, shapes written), what a format could not hold, counted by reason (e.g.
    "polyline: COCO instances hold areas only"), and what it holds as another kind; also the progress of the pass
    that writes the items."""

    items: int = 0
    shapes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    converted: Counter[str] = field(default_factory=Counter)
    progress: Callable[[int], None] | None = None

    def skip(self, shape: Shape, reason: str) -> None:
        """A shape the format cannot hold, left out."""
        self.skipped[f"{shape.kind}: {reason}"] += 1

    def convert(self, shape: Shape, held_as: str) -> None:
        """A shape the format holds as another kind (e.g. a circle as a polygon)."""
        self.converted[f"{shape.kind} as {held_as}"] += 1

    def item_done(self) -> None:
        self.items += 1
        if self.progress is not None:
            self.progress(self.items)


class ExportFormat(Protocol):
    """One format: its name in the API, a title for people, what it holds, and how it writes a dataset."""

    name: str
    title: str
    media_kinds: frozenset[MediaKind]
    shape_kinds: frozenset[str]

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        """The archive's files in a stable order; every item is counted in `report` once (`item_done`)."""
        ...


@dataclass(frozen=True, slots=True)
class ImportedItem:
    """One item read from an archive: `name` is its picture's path as the archive gives it (matched to a sample by
    path, then by file name); `shapes` are in Labelstream's model. `problems` are what could not be read; `picture`
    where the archive holds the picture itself (then it is imported with its labels)."""

    name: str
    shapes: tuple[Shape, ...] = ()
    width: int | None = None
    height: int | None = None
    problems: tuple[str, ...] = ()
    picture: str | None = None  # the path of its picture inside the archive, when the archive holds it


class ArchiveReader(Protocol):
    """The files of an archive being imported (a zip, or a folder in tests)."""

    def names(self) -> list[str]:
        """Every file's path, `/`-separated, in a stable order."""
        ...

    def read(self, name: str) -> bytes: ...


class ImportFormat(Protocol):
    """The reading side of a format: the items of an archive in the format, with shapes in Labelstream's model."""

    name: str

    def detect(self, archive: ArchiveReader) -> bool:
        """Whether the archive looks like this format."""
        ...

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]: ...
