"""The live reader's pieces without Kafka: a change from a record (value or tombstone), the dataset filter, the
stored position (written whole, refused when older than tombstones are kept)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from labelstream.errors import PositionTooOld
from labelstream.live import LiveLabels, Position


@dataclass(frozen=True)
class Record:
    key: bytes
    value: bytes | None
    offset: int


def changed(sample_id: str, dataset_id: str, revision: int, *labels: str) -> Record:
    shapes = [
        {"shape_id": f"s{n}", "kind": "point", "label": label, "points": [[1, 2]]} for n, label in enumerate(labels)
    ]
    data = {"dataset_id": dataset_id, "sample_id": sample_id, "revision": revision, "shapes": shapes}
    return Record(
        sample_id.encode(), json.dumps({"type": "io.labelstream.LabelChanged.v1", "data": data}).encode(), revision
    )


def test_values_set_labels_and_tombstones_remove_them() -> None:
    live = LiveLabels("unused:9092", dataset_id="d1")
    first = live._apply(0, changed("a", "d1", 1, "cat"))
    assert first is not None and first.revision == 1 and first.shapes[0].label == "cat" and not first.deleted
    assert live._apply(0, changed("x", "other", 1, "dog")) is None  # another dataset's
    emptied = live._apply(0, changed("a", "d1", 2))
    assert emptied is not None and emptied.shapes == () and live.labels["a"].revision == 2
    gone = live._apply(0, Record(b"a", None, 9))
    assert gone is not None and gone.deleted and gone.dataset_id is None and "a" not in live.labels
    assert json.loads(gone.to_json()) == {"sample_id": "a", "deleted": True, "partition": 0, "offset": 9, "event": None}


def test_the_position_file_round_trips_and_an_old_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "position.json"
    Position(offsets={0: 5, 2: 7}).save(path)
    loaded = Position.load(path)
    assert loaded is not None and loaded.offsets == {0: 5, 2: 7} and not (tmp_path / "position.json.tmp").exists()
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "saved_at": time.time() - 90_000}))

    async def open_old() -> None:
        async with LiveLabels("unused:9092", position=path):
            pass

    import asyncio

    with pytest.raises(PositionTooOld):
        asyncio.run(open_old())
    assert Position.load(tmp_path / "none.json") is None
