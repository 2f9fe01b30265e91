from __future__ import annotations

from labelstream_shared.events import AnnotationsImported
from labelstream_shared.events.contracts import ImportedAnnotation, Shape
from labelstream_shared.events.topics import LABELS, LABELS_LATEST
from labelstream_testing.events import dataset_created
from labelstream_testing.labeling import InMemoryLabeling, data_added, sample_id_of
from labelstream_testing.labeling_fakes import InMemoryAnnotationRepository


def box(shape_id: str, label: str) -> Shape:
    return Shape(shape_id=shape_id, kind="rectangle", label=label, points=((0, 0), (10, 10)))


async def test_imported_annotations_are_stored_recorded_and_announced() -> None:
    labeling = InMemoryLabeling()
    s1 = sample_id_of("d1", "a.png")
    await labeling.deliver(dataset_created("d1"), data_added("d1", ["a.png"]))
    first = AnnotationsImported(
        dataset_id="d1", import_id="i1", annotations=(ImportedAnnotation(sample_id=s1, shapes=(box("a", "cat"),)),)
    )
    second = AnnotationsImported(
        dataset_id="d1", import_id="i2", annotations=(ImportedAnnotation(sample_id=s1, shapes=(box("b", "dog"),)),)
    )
    unknown = AnnotationsImported(
        dataset_id="d1", import_id="i3", annotations=(ImportedAnnotation(sample_id="nope", shapes=(box("c", "x"),)),)
    )
    await labeling.deliver(first, second, unknown)
    stored = await InMemoryAnnotationRepository(labeling.run.state).get(s1)
    assert stored is not None
    assert stored.revision == 2
    assert [s.label for s in stored.shapes] == ["dog"]
    events = labeling.label_events()
    assert [topic for topic, _ in events] == [LABELS, LABELS_LATEST, LABELS, LABELS_LATEST]
    last = events[-1][1]
    assert (last.change.added, last.change.removed, last.revision) == (("b",), ("a",), 2)
    assert last.summary == "import: 1 added, 1 removed"
