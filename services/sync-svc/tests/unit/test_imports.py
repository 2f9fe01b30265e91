from __future__ import annotations

import json

from labelstream_shared.events import AnnotationsImported, DataAdded, ImportedAnnotationsApplied
from labelstream_shared.events.contracts import ImportedShapeProblem, RejectedAnnotation
from labelstream_testing.sync import Harness
from labelstream_testing.sync_fakes import InMemorySyncTransaction
from sync_svc.app.handlers import subscriptions
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


async def test_a_manifest_naming_one_object_twice_imports_it_once_and_reports_the_second_line() -> None:
    h = Harness()
    await h.register()
    h.store.put(OTHER, "pics/cat.jpg")
    h.store.put(OTHER, "pics/dog.jpg")
    box = {"kind": "rectangle", "label": "cat", "points": [[1, 2], [30, 40]]}
    nan = {"kind": "point", "label": "cat", "points": [[float("nan"), 1]]}
    lines = [
        json.dumps({"source": "s3://staging/pics/cat.jpg", "shapes": [box]}),
        json.dumps({"source": "s3://staging/pics/dog.jpg"}),
        json.dumps({"source": "s3://staging/pics/cat.jpg", "shapes": [box, box]}),
        json.dumps({"source": "s3://staging/pics/dog.jpg", "shapes": [nan]}),  # Python's json writes NaN
    ]
    h.store.put(OTHER, "manifest.jsonl", "\n".join(lines).encode())
    source = ManifestSource(bucket=OTHER, key="manifest.jsonl")
    for mode in ("copy", "reference"):
        task = await start_import(h.run, dataset_id="d1", source=source, mode=mode, labeled=True)
        done = await run_import(h, task)
        assert done.status == "succeeded", done.error
        assert (done.counts.total, done.counts.failed, done.counts.annotated) == (4, 2, 1)
        assert [(e.line, e.error.split(":")[0]) for e in done.errors] == [(4, "shapes.0.points"), (3, "duplicate")]
        assert "not_finite" in done.errors[0].error
        assert "line 1" in done.errors[1].error
    imports = [a for a in h.events(AnnotationsImported) if isinstance(a, AnnotationsImported)]
    assert [[(a.line, a.item) for a in i.annotations] for i in imports] == [
        [(1, "s3://staging/pics/cat.jpg")],
        [(1, "s3://staging/pics/cat.jpg")],
    ]


async def test_labeling_answers_become_counts_and_item_errors_naming_every_rule() -> None:
    h = Harness()
    await h.register()
    task = await start_import(h.run, dataset_id="d1", source=BucketSource(bucket=OTHER), mode="copy", labeled=True)
    answers = [
        ImportedAnnotationsApplied(dataset_id="d1", import_id=task.id, applied=1, held=2),
        ImportedAnnotationsApplied(
            dataset_id="d1",
            import_id=task.id,
            released=1,
            rejected=(
                RejectedAnnotation(
                    sample_id="s2",
                    line=3,
                    item="s3://staging/b.png",
                    problems=(
                        ImportedShapeProblem(shape_index=0, shape_id="a", rule="unknown_label", message="no zebra"),
                        ImportedShapeProblem(shape_index=1, shape_id="b", rule="outside_frame", message="out"),
                    ),
                ),
            ),
        ),
    ]
    handle = next(s for s in subscriptions(h.store) if s.payload_type is ImportedAnnotationsApplied)
    for answer in answers:

        async def work(tx: InMemorySyncTransaction, answer: ImportedAnnotationsApplied = answer) -> None:
            await handle.handle(tx, answer, None)  # type: ignore[arg-type]

        await h.run(work)
    stored = await h.reads.imports.get(task.id)
    assert stored is not None
    counts = stored.counts
    assert (counts.annotations_applied, counts.annotations_rejected, counts.annotations_waiting) == (1, 1, 1)
    [error] = stored.errors
    assert (error.item, error.line, error.sample_id) == ("s3://staging/b.png", 3, "s2")
    assert [(p.shape_index, p.rule) for p in error.problems] == [(0, "unknown_label"), (1, "outside_frame")]
    assert error.error == (
        "annotation not imported: shape 0 ('a'): unknown_label: no zebra; shape 1 ('b'): outside_frame: out"
    )
