"""Live labels from Kafka (extra `[live]`): the current labels of every sample rebuilt from the compacted topic
`labelstream.labels.latest`, then every change as it comes, resumable from a stored position, at least once.

    async with LiveLabels("127.0.0.1:9092", position=Path("labels.position.json")) as live:
        labels = await live.rebuild()          # sample id -> LabelChange (first run: everything; later: since)
        async for change in live.follow():     # LabelChanged as it is published, deletions included
            ...

The compacted topic carries every `LabelChanged` (the event's data: revision, shapes, who, when) keyed by sample,
and a tombstone (a null value) once the sample or its dataset is deleted: one topic, so one order per sample, and
deletions of whole datasets included (the labels topic only says when a single sample is deleted). A sample whose
shapes were all removed is a change with no shapes (the API answers that revision with no shapes); a deleted sample
is a change with `deleted` set, and leaves `labels`.

The position (the next offset of each partition) is written to a small JSON file after the code handling a change
has returned (a batch at a time, and when the reader closes): a reader that stops and starts again from it sees
every change since, some possibly twice. A position older than the topic keeps tombstones (Kafka's
delete.retention.ms, a day by default) could miss a deletion: `PositionTooOld` then says to rebuild."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from labelstream.errors import PositionTooOld
from labelstream.models import Shape

LATEST_LABELS_TOPIC = "labelstream.labels.latest"
TOMBSTONE_RETENTION_S = 24 * 3600  # Kafka's default delete.retention.ms


@dataclass(frozen=True)
class LabelChange:
    """A sample's labels after a change: its LabelChanged (`event`), or its deletion (`deleted`, no event)."""

    sample_id: str
    deleted: bool
    event: dict[str, Any] | None
    partition: int
    offset: int

    @property
    def dataset_id(self) -> str | None:
        return None if self.event is None else str(self.event["dataset_id"])

    @property
    def revision(self) -> int | None:
        return None if self.event is None else int(self.event["revision"])

    @property
    def shapes(self) -> tuple[Shape, ...]:
        return () if self.event is None else tuple(Shape.model_validate(s) for s in self.event["shapes"])

    def to_json(self) -> str:
        body = {"sample_id": self.sample_id, "deleted": self.deleted, "partition": self.partition}
        return json.dumps({**body, "offset": self.offset, "event": self.event}, separators=(",", ":"))


@dataclass
class Position:
    """The next offset to read of each partition, and when it was stored."""

    offsets: dict[int, int] = field(default_factory=dict)
    saved_at: float | None = None

    @staticmethod
    def load(path: Path) -> Position | None:
        if not path.exists():
            return None
        stored = json.loads(path.read_text(encoding="utf-8"))
        offsets = {int(p): int(o) for p, o in stored["offsets"].items()}
        return Position(offsets=offsets, saved_at=float(stored["saved_at"]))

    def save(self, path: Path) -> None:
        """Written whole or not at all (a temporary file renamed over the old one)."""
        self.saved_at = time.time()
        partial = path.with_name(path.name + ".tmp")
        body = {"topic": LATEST_LABELS_TOPIC, "offsets": self.offsets, "saved_at": self.saved_at}
        partial.write_text(json.dumps(body), encoding="utf-8")
        os.replace(partial, path)


class LiveLabels:
    """Reads the compacted labels topic with its own consumer (no consumer group: the position is this reader's
    file). `dataset_id` keeps the changes of one dataset (and every deletion: a tombstone names only its sample).
    Without a position file, `start_at_end` skips the history (only new changes)."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        position: Path | None = None,
        dataset_id: str | None = None,
        start_at_end: bool = False,
        topic: str = LATEST_LABELS_TOPIC,
        max_position_age_s: float = TOMBSTONE_RETENTION_S,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.position_file = position
        self.dataset_id = dataset_id
        self.topic = topic
        self.labels: dict[str, LabelChange] = {}  # sample id -> its latest change, deleted samples left out
        self._start_at_end = start_at_end
        self._max_age_s = max_position_age_s
        self._position = Position()
        self._consumer: Any = None
        self._partitions: list[Any] = []

    async def __aenter__(self) -> LiveLabels:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        stored = Position.load(self.position_file) if self.position_file else None
        if stored is not None and stored.saved_at is not None and time.time() - stored.saved_at > self._max_age_s:
            raise PositionTooOld(f"{self.position_file}: stored {time.time() - stored.saved_at:.0f} s ago")
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()  # the topic's partitions as they are now
        numbers = sorted(self._consumer.partitions_for_topic(self.topic) or ())
        self._partitions = [TopicPartition(self.topic, p) for p in numbers]
        self._consumer.assign(self._partitions)
        await self._seek(stored)
        return self

    async def _seek(self, stored: Position | None) -> None:
        starts = await self._consumer.beginning_offsets(self._partitions)
        ends = await self._consumer.end_offsets(self._partitions) if self._start_at_end and stored is None else {}
        for tp in self._partitions:
            offset = stored.offsets.get(tp.partition) if stored else None
            offset = max(offset, starts[tp]) if offset is not None else ends.get(tp, starts[tp])
            self._consumer.seek(tp, offset)
            self._position.offsets[tp.partition] = offset

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._save()
        await self._consumer.stop()

    def _save(self) -> None:
        if self.position_file is not None:
            self._position.save(self.position_file)

    async def rebuild(self) -> dict[str, LabelChange]:
        """Read up to the topic's end as it is now; the current labels (since the stored position, if any)."""
        ends = await self._consumer.end_offsets(self._partitions)
        async for _change in self._changes(until=ends):
            pass
        return dict(self.labels)

    async def follow(self, *, idle_timeout_s: float | None = None) -> AsyncIterator[LabelChange]:
        """Every change from here on, as it comes (stops after `idle_timeout_s` without one, if given)."""
        async for change in self._changes(until=None, idle_timeout_s=idle_timeout_s):
            yield change

    async def _changes(
        self, *, until: dict[Any, int] | None, idle_timeout_s: float | None = None
    ) -> AsyncIterator[LabelChange]:
        idle_since = time.monotonic()
        while until is None or any(self._position.offsets[tp.partition] < until[tp] for tp in self._partitions):
            batch = await self._consumer.getmany(timeout_ms=500, max_records=500)
            if not batch:
                if idle_timeout_s is not None and time.monotonic() - idle_since > idle_timeout_s:
                    return
                continue
            for tp, records in batch.items():
                for record in records:
                    change = self._apply(tp.partition, record)
                    if change is not None:
                        idle_since = time.monotonic()
                        yield change  # the caller's code runs here; only then is the record done
                    self._position.offsets[tp.partition] = record.offset + 1
            self._save()

    def _apply(self, partition: int, record: Any) -> LabelChange | None:
        sample_id = record.key.decode() if record.key else ""
        event = None if record.value is None else json.loads(record.value)["data"]
        if self.dataset_id is not None and event is not None and event["dataset_id"] != self.dataset_id:
            return None  # a deletion names only its sample: passed on whatever the dataset
        change = LabelChange(sample_id, deleted=event is None, event=event, partition=partition, offset=record.offset)
        if change.deleted:
            self.labels.pop(sample_id, None)
        else:
            self.labels[sample_id] = change
        return change
