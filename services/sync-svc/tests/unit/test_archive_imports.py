"""Archive imports over the fakes: a COCO zip from another tool whose pictures are named without the dataset's folders
(matched by path, else by the one sample of that file name; a name two samples share is an error, not a guess), a
picture the archive holds (copied into the input path, a new sample), and a zip of no known format (the task fails
saying so)."""

from __future__ import annotations

import json

import pytest
from labelstream_formats.archive import zip_stream
from labelstream_formats.model import ArchiveFile
from labelstream_shared.events import AnnotationsImported, DataAdded
from labelstream_testing.sync import Harness
from sync_svc.app.archive_imports import ArchiveError
from sync_svc.app.imports import execute_import, start_import
from sync_svc.domain.imports import ArchiveSource, ImportTask

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def coco(*names: str) -> bytes:
    images = [{"id": i + 1, "file_name": n, "width": 64, "height": 48} for i, n in enumerate(names)]
    annotations = [
        {"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [1, 2, 10, 20], "segmentation": [], "iscrowd": 0}
        for i in range(len(names))
    ]
    document = {"categories": [{"id": 1, "name": "cat"}], "images": images, "annotations": annotations}
    files = [ArchiveFile("annotations/instances_default.json", (json.dumps(document).encode(),))]
    files.append(ArchiveFile("images/held.png", (PNG,)))
    return b"".join(zip_stream(files))


async def run_import(h: Harness, source: ArchiveSource, *, fails: bool = False) -> ImportTask:
    task = await start_import(h.run, dataset_id="d1", source=source, mode="copy", labeled=True)
    if fails:  # the worker logs it; the task says why
        with pytest.raises(ArchiveError):
            await execute_import(task.id, run=h.run, reads=h.reads, store=h.store)
    else:
        await execute_import(task.id, run=h.run, reads=h.reads, store=h.store)
    done = await h.reads.imports.get(task.id)
    assert done is not None
    return done


async def test_items_are_matched_by_path_then_by_file_name_and_held_pictures_come_along() -> None:
    h = Harness()
    await h.register()
    for key in ("d1/street/a.png", "d1/one/b.png", "d1/two/b.png", "d1/c.png"):
        h.store.put("raw-data", key, PNG)
    await h.sync()
    h.store.put("staging", "export.zip", coco("c.png", "a.png", "b.png", "held.png", "nowhere.png"))
    done = await run_import(h, ArchiveSource(bucket="staging", key="export.zip"))  # the format recognised
    assert done.status == "succeeded", done.error
    assert (done.counts.total, done.counts.imported, done.counts.already_present, done.counts.failed) == (5, 1, 2, 2)
    errors = {e.item: e.error for e in done.errors}
    assert errors["b.png"].startswith("2 samples are named 'b.png'")
    assert "nor any named 'nowhere.png'" in errors["nowhere.png"]
    assert h.store.objects[("raw-data", "d1/held.png")] == PNG
    added = [s.key for e in h.events(DataAdded) if isinstance(e, DataAdded) for s in e.samples]
    assert "d1/held.png" in added
    [imported] = [e for e in h.events(AnnotationsImported) if isinstance(e, AnnotationsImported)]
    assert sorted(a.item or "" for a in imported.annotations) == ["a.png", "c.png", "held.png"]
    assert {s.kind for a in imported.annotations for s in a.shapes} == {"rectangle"}


async def test_a_zip_of_no_known_format_fails_the_task_saying_so() -> None:
    h = Harness()
    await h.register()
    h.store.put("staging", "notes.zip", b"".join(zip_stream([ArchiveFile("readme.txt", (b"hi",))])))
    h.store.put("staging", "not-a-zip.zip", b"plain text")
    unknown = await run_import(h, ArchiveSource(bucket="staging", key="notes.zip"), fails=True)
    assert unknown.status == "failed" and "no format recognised" in (unknown.error or "")
    broken = await run_import(h, ArchiveSource(bucket="staging", key="not-a-zip.zip"), fails=True)
    assert broken.status == "failed" and "not a zip archive" in (broken.error or "")
