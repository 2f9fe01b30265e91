"""Helpers of the chaos tests (tests/e2e/test_chaos.py): faults injected through the launcher's pid files, annotation
savers that keep the record a client would keep, and Kafka reads from offsets noted before the faults."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from labelstream_deploy.__main__ import all_components
from labelstream_deploy.component import Component, LaunchError
from labelstream_deploy.config import PORTS
from labelstream_deploy.paths import run_dir
from labelstream_deploy.waiting import NotReadyError
from labelstream_shared.events.topics import LABELS, dead_letter_topic
from labelstream_testing.labeling import LabelingPlatform, started_producer

from tests.support import eventually, read_topic

DLQ_PREFIX = dead_letter_topic("")
SERVICES = ("gateway", "dataset-svc", "labeling-svc", "media-svc", "sync-svc", "webhook-svc")


class Platform:
    """The components the launcher of this checkout started (its pid files), to kill, pause and start again."""

    def __init__(self) -> None:
        self.components = {c.name: c for c in all_components(run_dir())}

    def not_ours(self, gateway_url: str) -> str | None:
        """Why the chaos tests must not touch the platform behind `gateway_url` (None: it is this launcher's)."""
        if urlsplit(gateway_url).port != PORTS.gateway:
            return (
                f"{gateway_url} is not the launcher's gateway (port {PORTS.gateway}; set LS_*_PORT as it was started)"
            )
        stopped = [name for name, c in self.components.items() if c.process.pid() is None]
        if stopped:
            return f"not started by this checkout's launcher ({run_dir()}): {', '.join(stopped)}"
        return None

    def kill(self, name: str) -> None:
        self.components[name].process.kill()

    async def start(self, name: str) -> float:
        """Start a killed component through the launcher; returns the seconds until it answered (readyz, ping)."""
        started = time.monotonic()
        await asyncio.to_thread(self._ensure_running, self.components[name])
        return time.monotonic() - started

    @staticmethod
    def _ensure_running(component: Component, patience: float = 240) -> None:
        """The launcher's start, waiting longer than its minute while the process runs: on a loaded machine a
        service restarted during a backlog (or a gateway whose readiness asks every service) can take longer."""
        deadline = time.monotonic() + patience
        while True:
            try:
                component.ensure_running()
                return
            except (LaunchError, NotReadyError):
                if component.process.pid() is None or time.monotonic() > deadline:
                    raise

    @contextlib.contextmanager
    def paused(self, name: str) -> Iterator[Component]:
        component = self.components[name]
        component.process.pause()
        try:
            yield component
        finally:
            component.process.resume()

    def ensure_all_running(self) -> None:
        """Whatever a failed test left behind: every component runs (and none is stopped) for the tests after it."""
        for component in self.components.values():
            component.process.resume()
            self._ensure_running(component)


@dataclass(frozen=True)
class Save:
    sample_id: str
    revision: int
    shapes: tuple[tuple[str, tuple[float, ...]], ...]  # (label, flattened points): what the client sent
    sent_at: float
    done_at: float
    acknowledged: bool  # False: the answer was lost, a read-back found the save applied


def shapes_key(shapes: list[dict[str, Any]]) -> tuple[tuple[str, tuple[float, ...]], ...]:
    return tuple((s["label"], tuple(float(c) for p in s["points"] for c in p)) for s in shapes)


@dataclass
class Saver:
    """One annotator saving its own samples in turn, If-Match the revision it holds. After an error or a lost answer
    it reads the annotation back: still at its revision, the save is sent again (the precondition makes the retry
    safe); one revision further with its shapes, the save was applied; anything else is a lost or foreign write."""

    gateway: httpx.AsyncClient
    dataset_id: str
    samples: list[str]
    number: int
    think_s: float = 0.0  # between one save and the next (an annotator draws before saving again)
    revisions: dict[str, int] = field(default_factory=dict)
    saves: list[Save] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # answers while a component was down (retried)
    latencies: list[float] = field(default_factory=list)  # seconds of each request
    anomalies: list[str] = field(default_factory=list)  # what a client must never see

    def path(self, sample_id: str) -> str:
        return f"/api/labeling/datasets/{self.dataset_id}/samples/{sample_id}/annotation"

    def shapes_for(self, n: int) -> list[dict[str, Any]]:
        if n % 4 == 3:
            return []  # the sample becomes unlabeled again
        label = ("cat", "dog")[(n + self.number) % 2]
        x = 1 + (self.number * 37 + n) % 500
        shapes = [{"kind": "rectangle", "label": label, "points": [[x, 10], [x + 20, 40]]}]
        if n % 3 == 0:
            shapes.append({"kind": "rectangle", "label": "dog", "points": [[x, 50], [x + 10, 60]]})
        return shapes

    async def run(self, stop: asyncio.Event) -> None:
        for sample_id in self.samples:
            self.revisions[sample_id] = int((await self._read(sample_id, stop))["revision"])
        n = 0
        while not stop.is_set() and not self.anomalies:
            await self._save(self.samples[n % len(self.samples)], self.shapes_for(n), stop)
            n += 1
            await asyncio.sleep(self.think_s)

    async def _save(self, sample_id: str, shapes: list[dict[str, Any]], stop: asyncio.Event) -> None:
        revision, sent_at = self.revisions[sample_id], time.monotonic()
        key = shapes_key(shapes)
        while True:
            response = await self._put(sample_id, shapes, revision)
            if response is not None and response.status_code == 200:
                self._applied(Save(sample_id, int(response.json()["revision"]), key, sent_at, time.monotonic(), True))
                return
            if response is not None and response.status_code not in (409, 502, 503, 504, 500):
                self.anomalies.append(f"{sample_id}: save answered {response.status_code} {response.text[:300]}")
                return
            current = await self._read(sample_id, stop)
            if current["revision"] == revision + 1 and shapes_key(current["shapes"]) == key:
                self._applied(Save(sample_id, revision + 1, key, sent_at, time.monotonic(), False))
                return
            if current["revision"] != revision:
                self.anomalies.append(f"{sample_id}: at revision {current['revision']}, expected {revision} or ours")
                return
            await asyncio.sleep(0.2)  # not applied: send it again

    def _applied(self, save: Save) -> None:
        self.saves.append(save)
        self.revisions[save.sample_id] = save.revision

    async def _put(self, sample_id: str, shapes: list[dict[str, Any]], revision: int) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await self.gateway.put(
                self.path(sample_id), json={"shapes": shapes}, headers={"If-Match": f'"{revision}"'}
            )
        except httpx.TransportError as exc:
            self.errors.append(type(exc).__name__)
            return None
        finally:
            self.latencies.append(time.monotonic() - started)
        if response.status_code != 200:
            self.errors.append(str(response.status_code))
        return response

    async def _read(self, sample_id: str, stop: asyncio.Event) -> dict[str, Any]:
        """The annotation as labeling-svc has it, asking again while a component is down (up to two minutes)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                response = await self.gateway.get(self.path(sample_id))
                if response.status_code == 200:
                    body: dict[str, Any] = response.json()
                    return body
            await asyncio.sleep(0.2)
        raise AssertionError(f"{sample_id}: the annotation could not be read for two minutes")


@contextlib.asynccontextmanager
async def assigned_consumer(bootstrap: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        yield consumer
    finally:
        await consumer.stop()


async def dead_letter_ends(bootstrap: str) -> dict[TopicPartition, int]:
    """The end offsets of every dead-letter topic now: what arrives after them is new."""
    async with assigned_consumer(bootstrap) as consumer:
        partitions = [
            TopicPartition(topic, p)
            for topic in await consumer.topics()
            if topic.startswith(DLQ_PREFIX)
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        return dict(await consumer.end_offsets(partitions)) if partitions else {}


async def dead_letters_since(bootstrap: str, before: dict[TopicPartition, int]) -> list[dict[str, str]]:
    """The messages parked in a dead-letter topic since `before` (topics created since: from their start), each as
    its headers (dlq-reason, dlq-source-topic, ...) plus its topic."""
    async with assigned_consumer(bootstrap) as consumer:
        partitions = [
            TopicPartition(topic, p)
            for topic in await consumer.topics()
            if topic.startswith(DLQ_PREFIX)
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, before.get(tp, 0))
        found: list[dict[str, str]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=5000)
            if not batch:
                break
            for tp, records in batch.items():
                for record in records:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
                    found.append({"topic": tp.topic, **headers})
        return found


def last_saves(savers: list[Saver]) -> dict[str, Save]:
    """The last applied save of each sample (each sample has one saver)."""
    return {save.sample_id: save for saver in savers for save in saver.saves}


def label_changed_problems(events: list[dict[str, Any]], savers: list[Saver]) -> list[str]:
    """Every applied save is exactly one LabelChanged (one event id) with its shapes, and there is no other.

    The relay delivers at least once (labelstream_shared.outbox: a kill between publishing and marking a batch sent
    publishes it again, with the same event ids), so an outside consumer keeps one event per id, as the services'
    processed-event ledgers do; `redelivered` counts the copies."""
    saved = {(s.sample_id, s.revision): s.shapes for saver in savers for s in saver.saves}
    ids: dict[tuple[str, int], set[str]] = {}
    problems = []
    for event in events:
        data = event["data"]
        key = (data["sample_id"], data["revision"])
        ids.setdefault(key, set()).add(event["id"])
        if key in saved and shapes_key(data["shapes"]) != saved[key]:
            problems.append(f"LabelChanged {key}: other shapes than the save")
    problems += [
        f"LabelChanged {key}: {len(found)} events (ids {sorted(found)})" for key, found in ids.items() if len(found) > 1
    ]
    problems += [f"LabelChanged {key} without a save" for key in ids.keys() - saved.keys()]
    problems += [f"save {key} without its LabelChanged" for key in saved.keys() - ids.keys()]
    return problems


async def labeling_samples(gateway: httpx.AsyncClient, *, kafka: str, name: str, count: int) -> tuple[str, list[str]]:
    """A dataset with `count` samples ready to label (announced on Kafka the way sync-svc and media-svc do)."""
    producer = await started_producer(kafka)
    try:
        labeling = LabelingPlatform(gateway, producer)
        dataset_id = await labeling.create_dataset(name)
        return dataset_id, await labeling.add_images(dataset_id, [f"{name}/{i:03d}.png" for i in range(count)])
    finally:
        await producer.stop()


async def label_changes_of_saves(
    kafka: str, dataset_id: str, savers: list[Saver], *, timeout: float
) -> list[dict[str, Any]]:
    """The dataset's LabelChanged events on the labels topic, read by an outside consumer once each applied save has
    its event (asserting label_changed_problems finds nothing)."""
    events: list[dict[str, Any]] = []

    async def delivered() -> bool:
        events[:] = [
            e
            for e in await read_topic(kafka, LABELS)
            if e["type"].endswith(".LabelChanged.v1") and e["data"]["dataset_id"] == dataset_id
        ]
        return not label_changed_problems(events, savers)

    with contextlib.suppress(AssertionError):
        await eventually(delivered, timeout=timeout, what="every save's LabelChanged at an outside consumer")
    assert label_changed_problems(events, savers) == []
    return events


def redelivered(events: list[dict[str, Any]]) -> int:
    """Copies of an event already seen (same id): the relay's at-least-once delivery after a kill."""
    return len(events) - len({event["id"] for event in events})


def expected_counts(finals: dict[str, Save]) -> dict[str, int]:
    """dataset-svc's counters for the final annotations: labeled samples, samples having each label."""
    labels = [{label for label, _ in save.shapes} for save in finals.values()]
    return {
        "labeled": sum(1 for names in labels if names),
        "cat": sum(1 for names in labels if "cat" in names),
        "dog": sum(1 for names in labels if "dog" in names),
    }


async def dataset_counts(gateway: httpx.AsyncClient, dataset_id: str) -> dict[str, int]:
    path = f"/api/datasets/{dataset_id}/samples"
    labeled = await gateway.get(path, params={"tab": "labeled", "limit": 1})
    cat = await gateway.get(path, params={"label": "cat", "limit": 1})
    dog = await gateway.get(path, params={"label": "dog", "limit": 1})
    return {
        "labeled": labeled.json()["counts"]["labeled"],
        "cat": cat.json()["counts"]["all"],
        "dog": dog.json()["counts"]["all"],
    }


async def sample_label_problems(gateway: httpx.AsyncClient, dataset_id: str, finals: dict[str, Save]) -> list[str]:
    """Samples whose per-label shape counts in dataset-svc differ from their last save."""
    problems = []
    for sample_id, save in finals.items():
        expected: dict[str, int] = {}
        for label, _ in save.shapes:
            expected[label] = expected.get(label, 0) + 1
        response = await gateway.get(f"/api/datasets/{dataset_id}/samples/{sample_id}")
        if response.status_code != 200 or response.json()["label_counts"] != expected:
            problems.append(f"{sample_id}: dataset-svc {response.text[:200]}, last save {expected}")
    return problems
