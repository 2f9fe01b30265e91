"""Test harnesses of labeling-svc, for its unit tests and the cross-service tests (tests/e2e, bench): event
builders, and a client that sets a dataset up through the gateway and feeds it samples and media results through
Kafka the way sync-svc and media-svc would."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from labeling_svc.app.handlers import SUBSCRIPTIONS
from labeling_svc.bootstrap import create_app
from labeling_svc.entrypoints.api import LabelingDeps
from labeling_svc.settings import LabelingSettings
from labelstream_shared.consumer import EventProcessor, IncomingMessage
from labelstream_shared.events import (
    DataAdded,
    EventPayload,
    ImportedAnnotationsApplied,
    LabelChanged,
    MediaProcessed,
    SampleDeleted,
)
from labelstream_shared.events.contracts import AddedSample, MediaKind, MediaMetadata
from labelstream_shared.samples import sample_id_for

from labelstream_testing.events import event_bytes
from labelstream_testing.labeling_fakes import (
    InMemoryAnnotationRepository,
    InMemoryHistoryRepository,
    InMemoryJobRepository,
    InMemoryLabelingDatasetRepository,
    InMemoryLabelingTransaction,
    InMemorySampleRepository,
    in_memory_runner,
)
from labelstream_testing.uow import InMemoryTransactionRunner


def sample_id_of(dataset_id: str, key: str) -> str:
    return sample_id_for(dataset_id, key)


def added(dataset_id: str, key: str, *, kind: MediaKind = "image") -> AddedSample:
    return AddedSample(
        sample_id=sample_id_of(dataset_id, key), bucket="raw-data", key=key, size=100, etag="e1", media_kind=kind
    )


def data_added(dataset_id: str, keys: Sequence[str], *, kind: MediaKind = "image") -> DataAdded:
    return DataAdded(dataset_id=dataset_id, origin="sync", samples=tuple(added(dataset_id, k, kind=kind) for k in keys))


def image_processed(dataset_id: str, sample_id: str, *, width: int = 640, height: int = 480) -> MediaProcessed:
    metadata = MediaMetadata(kind="image", width=width, height=height, format="png")
    return MediaProcessed(dataset_id=dataset_id, sample_id=sample_id, status="ready", metadata=metadata, etag="e1")


def video_processed(
    dataset_id: str,
    sample_id: str,
    *,
    duration_s: float = 10.0,
    fps: float = 25.0,
    width: int = 1280,
    height: int = 720,
) -> MediaProcessed:
    metadata = MediaMetadata(
        kind="video", width=width, height=height, duration_s=duration_s, fps=fps, frame_count=int(duration_s * fps)
    )
    return MediaProcessed(dataset_id=dataset_id, sample_id=sample_id, status="ready", metadata=metadata, etag="e1")


def samples_deleted(dataset_id: str, sample_ids: Sequence[str]) -> SampleDeleted:
    return SampleDeleted(dataset_id=dataset_id, sample_ids=tuple(sample_ids))


class LabelingPlatform:
    """The running platform as a labeling test sees it: the gateway and a Kafka producer standing in for the
    services that announce samples and media."""

    def __init__(self, gateway: httpx.AsyncClient, producer: AIOKafkaProducer) -> None:
        self.gateway = gateway
        self.producer = producer

    async def publish(self, *payloads: EventPayload) -> None:
        for payload in payloads:
            value = event_bytes(payload, source="/labelstream/test")
            await self.producer.send_and_wait(payload.topic, value=value, key=payload.partition_key().encode())

    async def create_dataset(
        self, name: str, *, labels: Sequence[str] = ("cat", "dog"), labeling_type: str = "object_detection"
    ) -> str:
        colors = ["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff", "#ff00ff"]
        body = {
            "name": name,
            "labeling_type": labeling_type,
            "input_path": {"bucket": "raw-data", "prefix": f"{name}/"},
            "output_path": {"bucket": "out-data", "prefix": f"{name}/"},
            "labels": [{"name": n, "color": colors[i % len(colors)]} for i, n in enumerate(labels)],
        }
        created = await self.gateway.post("/api/datasets", json=body)
        assert created.status_code == 201, created.text
        dataset_id = str(created.json()["id"])
        await self.wait_for(f"/api/labeling/datasets/{dataset_id}", what="dataset known to labeling")
        return dataset_id

    async def add_images(
        self, dataset_id: str, keys: Sequence[str], *, width: int = 640, height: int = 480
    ) -> list[str]:
        """Samples with known image sizes, ready to label; returns their ids."""
        ids = [sample_id_of(dataset_id, k) for k in keys]
        await self.publish(data_added(dataset_id, keys))
        await self.publish(*(image_processed(dataset_id, i, width=width, height=height) for i in ids))
        await self.wait_for_media(dataset_id, ids)
        return ids

    async def wait_for_media(self, dataset_id: str, sample_ids: Sequence[str]) -> None:
        """Wait until labeling-svc knows each sample with its media's size (the bounds shapes are checked against)."""
        for sample_id in sample_ids:
            await self.wait_for(
                f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation",
                what="sample with media known to labeling",
                check=lambda body: bool(body["bounds_checked"]),
            )

    async def add_video(self, dataset_id: str, key: str, *, duration_s: float = 10.0, fps: float = 25.0) -> str:
        sample_id = sample_id_of(dataset_id, key)
        await self.publish(data_added(dataset_id, [key], kind="video"))
        await self.publish(video_processed(dataset_id, sample_id, duration_s=duration_s, fps=fps))
        await self.wait_for(
            f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation",
            what="video known to labeling",
            check=lambda body: bool(body["bounds_checked"]),
        )
        return sample_id

    async def wait_for(self, path: str, *, what: str, timeout: float = 90.0, check: Any = None) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < timeout:
            response = await self.gateway.get(path)
            if response.status_code == 200 and (check is None or check(response.json())):
                body: dict[str, Any] = response.json()
                return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"{what}: not within {timeout:.0f}s ({path})")

    async def annotation(self, dataset_id: str, sample_id: str) -> dict[str, Any]:
        response = await self.gateway.get(f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def save(
        self,
        dataset_id: str,
        sample_id: str,
        shapes: list[dict[str, Any]],
        *,
        revision: int,
        user: str = "tester",
        auth: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Through the gateway the writer is the token's user (`auth`: its Authorization header); straight to the
        service it is `user` (X-User)."""
        return await self.gateway.put(
            f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation",
            json={"shapes": shapes},
            headers={"If-Match": f'"{revision}"', **(auth if auth is not None else {"X-User": user})},
        )


def box(label: str, x0: float, y0: float, x1: float, y1: float, **extra: Any) -> dict[str, Any]:
    return {"kind": "rectangle", "label": label, "points": [[x0, y0], [x1, y1]], **extra}


async def started_producer(bootstrap: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    return producer


def fake_deps(run: InMemoryTransactionRunner[InMemoryLabelingTransaction]) -> LabelingDeps:
    """The API's dependencies over the in-memory fakes (unit tests)."""
    state = run.state
    return LabelingDeps(
        datasets=InMemoryLabelingDatasetRepository(state),
        annotations=InMemoryAnnotationRepository(state),
        samples=InMemorySampleRepository(state),
        history=InMemoryHistoryRepository(state),
        jobs=InMemoryJobRepository(state),
        run=run,
    )


class NoDeadLetters:
    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        raise AssertionError(f"unexpected dead letter: {reason}")


class InMemoryLabeling:
    """labeling-svc over the fakes: deliver events to its consumer, call its API in process."""

    def __init__(self) -> None:
        self.run = in_memory_runner()
        self.processor = EventProcessor(
            group="labeling-svc", subscriptions=SUBSCRIPTIONS, run=self.run, dead_letters=NoDeadLetters()
        )
        self._offset = 0

    async def deliver(self, *payloads: EventPayload) -> None:
        """The events as one batch of a partition, as the consumer reads a backlog (runs of a type at once)."""
        messages = []
        for payload in payloads:
            self._offset += 1
            messages.append(
                IncomingMessage(
                    topic=payload.topic, partition=0, offset=self._offset, key=None, value=event_bytes(payload)
                )
            )
        outcomes = await self.processor.process_batch(messages)
        assert "dead_lettered" not in outcomes, outcomes

    def app(self) -> FastAPI:
        return create_app(LabelingSettings(), fake_deps=fake_deps(self.run))

    def client(self, app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://labeling")

    def import_answers(self) -> list[ImportedAnnotationsApplied]:
        """Every ImportedAnnotationsApplied committed so far."""
        payloads = [outgoing.envelope.payload() for outgoing in self.run.state.outbox]
        return [p for p in payloads if isinstance(p, ImportedAnnotationsApplied)]

    def label_events(self) -> list[tuple[str, LabelChanged]]:
        """(topic, event) of every LabelChanged committed so far."""
        found = []
        for outgoing in self.run.state.outbox:
            payload = outgoing.envelope.payload()
            if isinstance(payload, LabelChanged):
                found.append((outgoing.topic, payload))
        return found
