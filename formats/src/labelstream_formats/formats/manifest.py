"""The project's own JSON Lines manifest: one sample per line with every field Labelstream holds (the same lines as a
version's manifest.jsonl), so nothing is converted or skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator

from labelstream_shared.events.contracts import Shape

from labelstream_formats import pictures
from labelstream_formats.model import (
    ArchiveFile,
    ArchiveReader,
    ExportDataset,
    ExportOptions,
    ImportedItem,
    Item,
    MediaSource,
    Report,
)

FILE = "manifest.jsonl"


class Manifest:
    name = "manifest"
    title = "Labelstream manifest (JSON Lines)"
    media_kinds = frozenset({"image", "video"})
    shape_kinds = frozenset({"polygon", "rectangle", "circle", "polyline", "point", "rotated_rectangle"})

    def export(
        self, dataset: ExportDataset, options: ExportOptions, media: MediaSource, report: Report
    ) -> Iterator[ArchiveFile]:
        yield ArchiveFile(FILE, self._lines(dataset, report))
        if options.include_media:
            for item in dataset.items():
                if item.media_kind == "image":
                    yield ArchiveFile(f"images/{item.name}", media.image(item))

    def _lines(self, dataset: ExportDataset, report: Report) -> Iterator[bytes]:
        for item in dataset.items():
            report.shapes += len(item.shapes)
            report.item_done()
            yield (json.dumps(_line(item), separators=(",", ":"), ensure_ascii=False) + "\n").encode()

    def detect(self, archive: ArchiveReader) -> bool:
        return FILE in archive.names()

    def read(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        return pictures.with_picture(self._items(archive, report), archive, "images/")

    def _items(self, archive: ArchiveReader, report: Report) -> Iterator[ImportedItem]:
        for n, raw in enumerate(archive.read(FILE).decode().splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                shapes = tuple(Shape.model_validate(s) for s in line.get("shapes", []))
                report.item_done()
                name = str(line["name"])
                yield ImportedItem(name=name, shapes=shapes, width=line.get("width"), height=line.get("height"))
            except (ValueError, KeyError, TypeError) as exc:
                yield ImportedItem(name=f"line {n}", problems=(f"line {n}: {exc}",))


def _line(item: Item) -> dict[str, object]:
    line: dict[str, object] = {"sample_id": item.sample_id, "name": item.name, "media_kind": item.media_kind}
    line |= {k: v for k, v in (("width", item.width), ("height", item.height), ("fps", item.fps)) if v is not None}
    line |= {"status": item.status, "hard_example": item.hard_example}
    line["shapes"] = [s.model_dump(mode="json", exclude_none=True) for s in item.shapes]
    return line


FORMAT = Manifest()
