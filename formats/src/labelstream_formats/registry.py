"""The formats Labelstream exports and imports, by name. Adding a format: one module in `formats/` with an object
named FORMAT (an ExportFormat, and an ImportFormat where it reads too), listed in MODULES."""

from __future__ import annotations

from labelstream_formats.formats import coco, cvat_images, cvat_video, datumaro, manifest, mot, voc, yolo
from labelstream_formats.model import ArchiveReader, ExportFormat, ImportFormat

MODULES = (coco, cvat_images, cvat_video, datumaro, manifest, mot, voc, yolo)

EXPORTS: dict[str, ExportFormat] = {m.FORMAT.name: m.FORMAT for m in MODULES}
IMPORTS: dict[str, ImportFormat] = {m.FORMAT.name: m.FORMAT for m in MODULES if hasattr(m.FORMAT, "read")}
# Which format an archive is, asked in this order: the most particular layouts first (COCO's `annotations/*.json`
# would also take a Datumaro archive's `annotations/default.json`).
DETECTION_ORDER = ("datumaro", "cvat_video", "cvat_images", "mot", "voc", "yolo", "manifest", "coco")


def export_format(name: str) -> ExportFormat | None:
    return EXPORTS.get(name)


def import_format(name: str) -> ImportFormat | None:
    return IMPORTS.get(name)


def detect_format(archive: ArchiveReader) -> ImportFormat | None:
    """The format of an archive, or None when it is none of those Labelstream reads."""
    return next((IMPORTS[n] for n in DETECTION_ORDER if n in IMPORTS and IMPORTS[n].detect(archive)), None)
