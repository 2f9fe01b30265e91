from __future__ import annotations

import httpx
from labeling_svc.app.handlers import SUBSCRIPTIONS
from labeling_svc.bootstrap import create_app
from labeling_svc.settings import LabelingSettings
from labelstream_shared.consumer import EventProcessor, IncomingMessage
from labelstream_shared.events import DatasetProjected, SamplesProjected
from labelstream_shared.events.contracts import LabelDefinition
from labelstream_testing.events import dataset_created, event_bytes
from labelstream_testing.labeling import data_added, fake_deps, image_processed, sample_id_of
from labelstream_testing.labeling_fakes import InMemoryLabelingDatasetRepository, in_memory_runner


class NoDeadLetters:
    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        raise AssertionError(f"unexpected dead letter: {reason}")


def dataset_created_bytes(dataset_id: str) -> bytes:
    labels = (LabelDefinition(name="cat", color="#123456"),)
    return event_bytes(dataset_created(dataset_id, name="cats", labels=labels))


async def test_dataset_created_is_recorded_once_and_served() -> None:
    run = in_memory_runner()
    processor = EventProcessor(group="labeling-svc", subscriptions=SUBSCRIPTIONS, run=run, dead_letters=NoDeadLetters())
    raw = dataset_created_bytes("d1")
    for offset in (0, 1):  # redelivered after a crash before the offset commit
        await processor.process(
            IncomingMessage(topic="labelstream.datasets", partition=0, offset=offset, key=None, value=raw)
        )
    repository = InMemoryLabelingDatasetRepository(run.state)
    assert [d.id for d in await repository.list(limit=10)] == ["d1"]
    assert len(run.state.ledger) == 1

    app = create_app(LabelingSettings(), fake_deps=fake_deps(run))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://l") as client:
            found = await client.get("/api/labeling/datasets/d1")
            assert found.status_code == 200 and found.json()["labels"] == [{"name": "cat", "color": "#123456"}]
            assert (await client.get("/api/labeling/datasets/nope")).status_code == 404


async def test_samples_labeling_learns_of_are_announced_once_per_event() -> None:
    run = in_memory_runner()
    processor = EventProcessor(group="labeling-svc", subscriptions=SUBSCRIPTIONS, run=run, dead_letters=NoDeadLetters())

    async def deliver(topic: str, raw: bytes, offset: int) -> None:
        await processor.process(IncomingMessage(topic=topic, partition=0, offset=offset, key=None, value=raw))

    await deliver("labelstream.datasets", dataset_created_bytes("d1"), 0)
    await deliver("labelstream.samples", event_bytes(data_added("d1", ["a.png", "b.png"])), 1)
    a, b = sample_id_of("d1", "a.png"), sample_id_of("d1", "b.png")
    await deliver("labelstream.media", event_bytes(image_processed("d1", a)), 2)
    announcements = [
        SamplesProjected.model_validate(e.envelope.data)
        for e in run.state.outbox
        if e.envelope.type == SamplesProjected.event_type()
    ]
    [known] = [e.envelope.payload() for e in run.state.outbox if e.envelope.type == DatasetProjected.event_type()]
    assert known == DatasetProjected(service="labeling-svc", dataset_id="d1")  # its label set can be read now
    assert [(p.service, p.dataset_id, [s.sample_id for s in p.samples]) for p in announcements] == [
        ("labeling-svc", "d1", [a, b]),
        ("labeling-svc", "d1", [a]),
    ]
