"""Labeled imports: each imported annotation passes the rules of every write; a rejected one is neither stored nor
announced and the import is told why (ImportedAnnotationsApplied); one whose media is not known waits for it."""

from __future__ import annotations

from labelstream_shared.events import AnnotationsImported, MediaProcessed
from labelstream_shared.events.contracts import ImportedAnnotation, LabelDefinition, Shape
from labelstream_shared.events.topics import LABELS, LABELS_LATEST
from labelstream_testing.events import dataset_created
from labelstream_testing.labeling import InMemoryLabeling, data_added, image_processed, sample_id_of
from labelstream_testing.labeling_fakes import InMemoryAnnotationRepository

LABELED = dataset_created("d1", labels=tuple(LabelDefinition(name=n, color="#ff0000") for n in ("cat", "dog")))


def box(shape_id: str, label: str, x1: float = 10, y1: float = 10) -> Shape:
    return Shape(shape_id=shape_id, kind="rectangle", label=label, points=((0, 0), (x1, y1)))


def imported(import_id: str, *annotations: tuple[str, tuple[Shape, ...]]) -> AnnotationsImported:
    lines = tuple(
        ImportedAnnotation(sample_id=s, shapes=shapes, line=n, item=f"s3://b/{n}")
        for n, (s, shapes) in enumerate(annotations, start=1)
    )
    return AnnotationsImported(dataset_id="d1", import_id=import_id, annotations=lines)


async def ready_labeling(*keys: str) -> tuple[InMemoryLabeling, list[str]]:
    """Dataset d1 with labels (cat, dog) and images 200x100 of the keys, media known."""
    labeling = InMemoryLabeling()
    ids = [sample_id_of("d1", k) for k in keys]
    await labeling.deliver(LABELED, data_added("d1", list(keys)))
    await labeling.deliver(*(image_processed("d1", i, width=200, height=100) for i in ids))
    return labeling, ids


async def stored_shapes(labeling: InMemoryLabeling, sample_id: str) -> tuple[int, list[str]]:
    stored = await InMemoryAnnotationRepository(labeling.run.state).get(sample_id)
    assert stored is not None
    return stored.revision, [s.shape_id for s in stored.shapes]


async def test_imported_annotations_are_stored_recorded_and_announced() -> None:
    labeling, (s1,) = await ready_labeling("a.png")
    await labeling.deliver(
        imported("i1", (s1, (box("a", "cat"),))),
        imported("i2", (s1, (box("b", "dog"),))),
        imported("i3", ("nope", (box("c", "cat"),))),
    )
    assert await stored_shapes(labeling, s1) == (2, ["b"])
    events = labeling.label_events()
    assert [topic for topic, _ in events] == [LABELS, LABELS_LATEST, LABELS, LABELS_LATEST]
    last = events[-1][1]
    assert (last.change.added, last.change.removed, last.revision) == (("b",), ("a",), 2)
    assert last.summary == "import: 1 added, 1 removed"
    answers = labeling.import_answers()
    assert [(a.import_id, a.applied, len(a.rejected)) for a in answers] == [("i1", 1, 0), ("i2", 1, 0), ("i3", 0, 1)]
    assert [p.rule for p in answers[2].rejected[0].problems] == ["unknown_sample"]


async def test_an_annotation_breaking_a_rule_is_rejected_with_every_problem_and_never_stored() -> None:
    labeling, (good, bad, worse) = await ready_labeling("good.png", "bad.png", "worse.png")
    bowtie = Shape(shape_id="p", kind="polygon", label="zebra", points=((0, 0), (250, 50), (250, 0), (0, 50)))
    lonely = Shape(shape_id="q", kind="polygon", label="cat", points=((1, 1),))
    await labeling.deliver(
        imported(
            "i1",
            (good, (box("g", "cat"),)),
            (bad, (box("h", "cat"), box("h", "cat", 5000, 5000))),
            (worse, (bowtie, lonely, box("r", "cat", 1e15, 1))),  # NaN cannot travel in JSON: sync-svc refuses it
        )
    )
    assert await stored_shapes(labeling, good) == (1, ["g"])
    assert await stored_shapes(labeling, bad) == (0, [])
    assert await stored_shapes(labeling, worse) == (0, [])
    assert [e.sample_id for _, e in labeling.label_events()] == [good, good]
    (answer,) = labeling.import_answers()
    assert (answer.applied, answer.held) == (1, 0)
    rejected = {r.line: [(p.shape_index, p.rule) for p in r.problems] for r in answer.rejected}
    assert rejected == {
        2: [(1, "duplicate_shape_id"), (1, "outside_frame")],
        3: [
            (0, "unknown_label"),
            (0, "self_intersecting"),
            (0, "outside_image"),
            (1, "too_few_points"),
            (2, "out_of_range"),
        ],
    }
    assert [r.item for r in answer.rejected] == ["s3://b/2", "s3://b/3"]


async def test_an_annotation_waits_for_its_media_and_is_then_checked_against_it() -> None:
    labeling = InMemoryLabeling()
    inside, outside, failed = (sample_id_of("d1", k) for k in ("in.png", "out.png", "failed.png"))
    await labeling.deliver(LABELED, data_added("d1", ["in.png", "out.png", "failed.png"]))
    await labeling.deliver(
        imported(
            "i1",
            (inside, (box("a", "cat"),)),
            (outside, (box("b", "cat", 500, 50),)),
            (failed, (box("c", "cat", 500, 50),)),
        )
    )
    assert labeling.label_events() == []
    (held,) = labeling.import_answers()
    assert (held.applied, held.held, held.rejected) == (0, 3, ())

    broken = MediaProcessed(dataset_id="d1", sample_id=failed, status="failed", error="not an image", etag="e1")
    await labeling.deliver(
        image_processed("d1", inside, width=200, height=100),
        image_processed("d1", outside, width=200, height=100),
        broken,
    )
    assert await stored_shapes(labeling, inside) == (1, ["a"])
    assert await stored_shapes(labeling, outside) == (0, [])
    assert await stored_shapes(labeling, failed) == (1, ["c"])  # no size known: bounds unchecked, as the API does
    answers = labeling.import_answers()[1:]
    assert [(a.applied, a.released, [p.rule for r in a.rejected for p in r.problems]) for a in answers] == [
        (1, 1, []),
        (0, 1, ["outside_frame"]),
        (1, 1, []),
    ]
    await labeling.deliver(image_processed("d1", inside, width=200, height=100))  # nothing held any more
    assert len(labeling.import_answers()) == 4

    later = sample_id_of("d1", "later.png")  # a failed result that came before the import: nothing to wait for
    await labeling.deliver(
        data_added("d1", ["later.png"]),
        MediaProcessed(dataset_id="d1", sample_id=later, status="failed", error="not an image", etag="e1"),
        imported("i2", (later, (box("d", "cat"),))),
    )
    assert await stored_shapes(labeling, later) == (1, ["d"])
