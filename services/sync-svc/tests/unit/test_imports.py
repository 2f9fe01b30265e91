from __future__ import annotations

import json

from labelstream_shared.events import AnnotationsImported, DataAdded
from labelstream_testing.sync import Harness
from sync_svc.app.imports import execute_import, start_import
from sync_svc.domain.imports import BucketSource, ImportTask, ManifestSource

OTHER = "staging"


async def run_import(h: Harness, task: ImportTask) -> ImportTask:
    await execute_import(task.id, run=h.run, reads=h.reads, store=h.store)
    done: ImportTask | None = await h.reads.imports.get(task.id)
    assert done is not None
    return done


async def test_bucket_import_copies_into_the_input_path() -> None:
    h = Harness()
    await h.register()
    for key in ("batch/a.png", "batch/sub/b.mp4", "batch/readme.md"):
        h.store.put(OTHER, key)
    task = await start_import(
        h.run, dataset_id="d1", source=BucketSource(bucket=OTHER, prefix="batch/"), mode="copy", labeled=False
    )
    done = await run_import(h, task)
    assert done.status == "succeeded", done.error
    assert (done.counts.imported, done.counts.skipped) == (2, 1)
    assert ("raw-data", "d1/a.png") in h.store.objects
    assert ("raw-data", "d1/sub/b.mp4") in h.store.objects
    [added] = h.events(DataAdded)
    assert isinstance(added, DataAdded)
    assert added.origin == "import"
    assert sorted(s.key for s in added.samples) == ["d1/a.png", "d1/sub/b.mp4"]
    # a sync of the input path finds them known
    counts = await h.sync()
    assert (counts["added"], counts["unchanged"]) == (0, 2)


async def test_labeled_manifest_import_reports_bad_lines_and_imports_the_rest() -> None:
    h = Harness()
    await h.register()
    h.store.put(OTHER, "pics/cat.jpg")
    h.store.put(OTHER, "pics/dog.jpg")
    box = {"kind": "rectangle", "label": "cat", "points": [[1, 2], [30, 40]]}
    lines = [
        json.dumps({"source": "s3://staging/pics/cat.jpg", "shapes": [box], "labeled_by": "ann"}),
        "{this is not json",
        json.dumps({"source": "s3://staging/pics/dog.jpg"}),
        json.dumps({"source": "s3://staging/pics/missing.jpg"}),
        json.dumps({"source": "s3://staging/pics/cat.jpg", "shapes": [{"kind": "hexagon"}]}),
    ]
    h.store.put(OTHER, "manifest.jsonl", "\n".join(lines).encode())
    task = await start_import(
        h.run,
        dataset_id="d1",
        source=ManifestSource(bucket=OTHER, key="manifest.jsonl"),
        mode="reference",
        labeled=True,
    )
    done = await run_import(h, task)
    assert done.status == "succeeded", done.error
    assert (done.counts.total, done.counts.imported, done.counts.failed, done.counts.annotated) == (5, 2, 3, 1)
    assert sorted((e.line, e.error.split(":")[0]) for e in done.errors) == [
        (2, "not JSON"),
        (4, "object not found"),
        (5, "shapes.0.kind"),
    ]
    [added] = h.events(DataAdded)
    assert isinstance(added, DataAdded)
    assert sorted((s.bucket, s.key) for s in added.samples) == [
        ("staging", "pics/cat.jpg"),
        ("staging", "pics/dog.jpg"),
    ]
    [annotations] = h.events(AnnotationsImported)
    assert isinstance(annotations, AnnotationsImported)
    [cat] = annotations.annotations
    assert cat.shapes[0].label == "cat"
    assert cat.labeled_by == "ann"
    # referenced objects live outside the input path: a sync leaves them alone
    counts = await h.sync()
    assert counts["removed"] == 0
