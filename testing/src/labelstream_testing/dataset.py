"""Builders of valid datasets, samples and sample events for dataset-svc's tests (no IO).

They live in the test-only package labelstream_testing: the tests' folders are not importable packages."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import httpx
from dataset_svc.app.handlers import SUBSCRIPTIONS
from dataset_svc.app.ports import DatasetTransaction
from dataset_svc.app.use_cases import execute_purge
from dataset_svc.bootstrap import create_app
from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.samples import Sample, SampleCounts
from dataset_svc.entrypoints.api import DatasetDeps
from dataset_svc.settings import DatasetSettings
from labelstream_shared.clock import utc_now
from labelstream_shared.consumer import EventProcessor, IncomingMessage, Outcome
from labelstream_shared.events import DataAdded, EventPayload, LabelChanged
from labelstream_shared.events.contracts import AddedSample, AnnotationChange, BucketPath, LabelDefinition, Shape
from labelstream_shared.samples import sample_id_for
from labelstream_shared.uow import TransactionRunner

from labelstream_testing.dataset_fakes import (
    InMemoryBucketDirectory,
    InMemoryDatasetRepository,
    InMemoryDatasetTransaction,
    InMemorySampleCountRepository,
    InMemorySampleRepository,
)
from labelstream_testing.dataset_fakes_versions import (
    InMemoryDatasetPurgeRepository,
    InMemoryExportRepository,
    InMemoryExportStorage,
    InMemorySampleDeletionRepository,
    InMemoryVersionHeadRepository,
    InMemoryVersionRepository,
)
from labelstream_testing.events import event_bytes
from labelstream_testing.uow import InMemoryTransactionRunner

_offsets = itertools.count()
INPUT_BUCKET = "raw-data"
OUTPUT_BUCKET = "out-data"


def sample_id(dataset_id: str, key: str) -> str:
    """The sample id of an object key in a dataset, by the platform's one rule (`labelstream_shared.samples`)."""
    return sample_id_for(dataset_id, key)


def dataset(name: str = "cats", *, labels: Iterable[str] = ()) -> Dataset:
    return Dataset.create(
        name=name,
        description="",
        labeling_type="image_segmentation",
        input_path=BucketPath(bucket=INPUT_BUCKET, prefix=f"{name}/"),
        output_path=BucketPath(bucket=OUTPUT_BUCKET, prefix=f"{name}/"),
        labels=tuple(LabelDefinition(name=label, color="#ff0000") for label in labels),
    )


def added_sample(
    dataset_id: str, key: str, *, bucket: str = INPUT_BUCKET, size: int = 1000, etag: str = "etag-1"
) -> AddedSample:
    kind: Literal["image", "video"] = "video" if key.endswith((".mp4", ".mov", ".mkv", ".webm", ".avi")) else "image"
    return AddedSample(
        sample_id=sample_id(dataset_id, key),
        bucket=bucket,
        key=key,
        size=size,
        etag=etag,
        media_kind=kind,
    )


def data_added(dataset_id: str, keys: Iterable[str]) -> DataAdded:
    samples = tuple(added_sample(dataset_id, key) for key in keys)
    return DataAdded(dataset_id=dataset_id, origin="sync", samples=samples)


def sample(dataset_id: str, key: str, **fields: Any) -> Sample:
    """A stored sample; `fields` override any attribute (status, hard_example, label_counts, ...)."""
    now = utc_now()
    base = Sample.from_added(added_sample(dataset_id, key), dataset_id=dataset_id, at=now)
    return Sample.model_validate({**base.model_dump(), **fields})


def fake_deps(
    run: InMemoryTransactionRunner[InMemoryDatasetTransaction],
    *,
    buckets: Iterable[str] = (INPUT_BUCKET, OUTPUT_BUCKET),
    export_storage: InMemoryExportStorage | None = None,
) -> DatasetDeps:
    """The API's dependencies over the in-memory fakes sharing the runner's state."""
    return DatasetDeps(
        run=run,
        datasets=InMemoryDatasetRepository(run.state),
        samples=InMemorySampleRepository(run.state),
        sample_counts=InMemorySampleCountRepository(run.state),
        buckets=InMemoryBucketDirectory(buckets),
        deletions=InMemorySampleDeletionRepository(run.state),
        purges=InMemoryDatasetPurgeRepository(run.state),
        versions=InMemoryVersionRepository(run.state),
        version_heads=InMemoryVersionHeadRepository(run.state),
        exports=InMemoryExportRepository(run.state),
        export_storage=export_storage or InMemoryExportStorage(),
    )


@asynccontextmanager
async def served(
    run: InMemoryTransactionRunner[InMemoryDatasetTransaction], **deps: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """dataset-svc's API over the in-memory fakes (`deps`: fake_deps's options), as an HTTP client."""
    app = create_app(DatasetSettings(), fake_deps=fake_deps(run, **deps))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://d") as client:
        yield client


async def store(run: TransactionRunner[DatasetTransaction], samples: Sequence[Sample]) -> None:
    """Store samples as they are (any status) and count them, as the handlers do for new ones."""

    async def work(tx: DatasetTransaction) -> None:
        inserted = await tx.samples.add_new(samples)
        for dataset_id in {s.dataset_id for s in inserted}:
            await tx.sample_counts.add(dataset_id, SampleCounts.of(s for s in inserted if s.dataset_id == dataset_id))

    await run(work)


def shape(label: str, *, shape_id: str | None = None, kind: str = "polygon") -> Shape:
    """A valid shape of `label` (a triangle, or a box for kind="rectangle")."""
    points = ((0.0, 0.0), (10.0, 10.0)) if kind == "rectangle" else ((0.0, 0.0), (10.0, 0.0), (5.0, 8.0))
    return Shape.model_validate(
        {"shape_id": shape_id or uuid.uuid4().hex[:8], "kind": kind, "label": label, "points": points}
    )


def label_changed(
    dataset_id: str,
    key: str,
    *,
    revision: int,
    labels: Iterable[str] = (),
    labeled_by: str | None = "ann",
    hard_example: bool | None = None,
) -> LabelChanged:
    """labeling-svc's announcement of the complete shapes of the sample of `key`: one shape per label given."""
    shapes = tuple(shape(label) for label in labels)
    return LabelChanged(
        dataset_id=dataset_id,
        sample_id=sample_id(dataset_id, key),
        revision=revision,
        shapes=shapes,
        change=AnnotationChange(added=tuple(s.shape_id for s in shapes)),
        labeled_by=labeled_by,
        changed_at=utc_now(),
        hard_example=hard_example,
    )


class NoDeadLetters:
    async def send(self, message: IncomingMessage, *, group: str, reason: str) -> None:
        raise AssertionError(f"unexpected dead letter: {reason}")


async def deliver(run: TransactionRunner[DatasetTransaction], payload: EventPayload | bytes) -> Outcome:
    """Hand an event to dataset-svc's consumer, as Kafka would (idempotent: a repeated event is a duplicate)."""
    processor = EventProcessor(group="dataset-svc", subscriptions=SUBSCRIPTIONS, run=run, dead_letters=NoDeadLetters())
    raw = payload if isinstance(payload, bytes) else event_bytes(payload)
    message = IncomingMessage(topic="labelstream.test", partition=0, offset=next(_offsets), key=None, value=raw)
    return await processor.process(message)


async def deliver_batch(run: TransactionRunner[DatasetTransaction], payloads: Sequence[EventPayload]) -> list[Outcome]:
    """Hand events to dataset-svc's consumer as one batch of a partition, as Kafka would after a backlog."""
    processor = EventProcessor(group="dataset-svc", subscriptions=SUBSCRIPTIONS, run=run, dead_letters=NoDeadLetters())
    messages = [
        IncomingMessage(topic="labelstream.test", partition=0, offset=next(_offsets), key=None, value=event_bytes(p))
        for p in payloads
    ]
    return await processor.process_batch(messages)


async def run_purges(run: InMemoryTransactionRunner[InMemoryDatasetTransaction]) -> None:
    """Do every queued purge of a deleted dataset, as the purge worker would."""
    purges = InMemoryDatasetPurgeRepository(run.state)
    while claim := await purges.claim_next(owner="test", stale_after_s=60):
        await execute_purge(claim, run=run, purges=purges)
