from __future__ import annotations

from labeling_svc.adapters.memory import InMemoryAnnotationRepository, in_memory_runner
from labeling_svc.app.handlers import SUBSCRIPTIONS
from labelstream_shared.consumer import EventProcessor, IncomingMessage
from labelstream_shared.events import AnnotationsImported, LabelChanged
from labelstream_shared.events.contracts import ImportedAnnotation, Shape
from labelstream_shared.testing import ParkedMessages, event_bytes


def box(shape_id: str, label: str) -> Shape:
    return Shape(shape_id=shape_id, kind="rectangle", label=label, points=((0, 0), (10, 10)))


async def test_imported_annotations_are_stored_and_announced() -> None:
    run = in_memory_runner()
    processor = EventProcessor(
        group="labeling-svc", subscriptions=SUBSCRIPTIONS, run=run, dead_letters=(parked := ParkedMessages())
    )

    async def deliver(payload: AnnotationsImported, offset: int) -> None:
        raw = event_bytes(payload)
        await processor.process(
            IncomingMessage(topic="labelstream.samples", partition=0, offset=offset, key=None, value=raw)
        )

    first = AnnotationsImported(
        dataset_id="d1", import_id="i1", annotations=(ImportedAnnotation(sample_id="s1", shapes=(box("a", "cat"),)),)
    )
    second = AnnotationsImported(
        dataset_id="d1", import_id="i2", annotations=(ImportedAnnotation(sample_id="s1", shapes=(box("b", "dog"),)),)
    )
    await deliver(first, 0)
    await deliver(second, 1)
    assert parked.parked == []
    stored = await InMemoryAnnotationRepository(run.state).get("s1")
    assert stored is not None
    assert stored.revision == 2
    assert [s.label for s in stored.shapes] == ["dog"]
    changes = [e.envelope.payload() for e in run.state.outbox]
    assert all(isinstance(c, LabelChanged) for c in changes)
    last = changes[-1]
    assert isinstance(last, LabelChanged)
    assert (last.change.added, last.change.removed, last.revision) == (("b",), ("a",), 2)
