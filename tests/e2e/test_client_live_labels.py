"""Acceptance (issue 14): the live labels reader rebuilds the labels the API reports from the compacted topic, follows
creates, edits and deletions, and a new reader started from the stored position (a restart) misses no change made
while none was running."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from labelstream import Client
from labelstream.errors import NotFound
from labelstream.live import LabelChange, LiveLabels, Position
from labelstream.models import Shape

from conftest import KAFKA_BOOTSTRAP
from tests.client_world import admin_client, box, pictures_dataset, until

pytestmark = pytest.mark.e2e
Labels = dict[str, tuple[int, list[Shape]]]  # sample id -> (revision, shapes)


@pytest.fixture
def client() -> Iterator[Client]:
    with admin_client() as client:
        yield client


def api_labels(client: Client, dataset_id: str, ids: list[str]) -> Labels:
    """What the API reports of each sample that ever had labels (deleted samples absent)."""
    found: Labels = {}
    for sample_id in ids:
        try:
            annotation = client.annotations.get(dataset_id, sample_id)
        except NotFound:
            continue
        if annotation.revision > 0:
            found[sample_id] = (annotation.revision, annotation.shapes)
    return found


def labels_once_deleted(client: Client, dataset_id: str, ids: list[str], deleted: str) -> Labels:
    """The API's labels once labeling-svc applied the sample's deletion (SampleDeleted, a moment after)."""
    until(lambda: deleted not in api_labels(client, dataset_id, [deleted]), timeout=60, what="labeling deleted it")
    return api_labels(client, dataset_id, ids)


def view(labels: dict[str, LabelChange], ids: list[str]) -> Labels:
    return {i: (c.revision or 0, list(c.shapes)) for i, c in labels.items() if i in ids}


async def follow_until(
    live: LiveLabels, state: dict[str, LabelChange], expected: Labels, ids: list[str]
) -> list[LabelChange]:
    """Apply the reader's changes to `state` until it holds `expected` (the API's labels); the changes applied."""
    seen: list[LabelChange] = []

    async def run() -> None:
        if view(state, ids) == expected:
            return
        async for change in live.follow():
            seen.append(change)
            if change.deleted:
                state.pop(change.sample_id, None)
            else:
                state[change.sample_id] = change
            if view(state, ids) == expected:
                return

    try:
        await asyncio.wait_for(run(), timeout=60)
    except TimeoutError:
        raise AssertionError(f"the reader's labels {view(state, ids)} never became the API's {expected}") from None
    return seen


async def test_rebuild_follow_and_resume_from_the_stored_position(client: Client, unique: str, tmp_path: Path) -> None:
    world = pictures_dataset(client, unique, tmp_path, count=6)
    dataset_id, ids = world.dataset.id, sorted(world.pictures)
    position = tmp_path / "labels.position.json"
    for sample_id in ids[:4]:  # created
        client.annotations.save(dataset_id, sample_id, [box("cat", 1, 1, 5, 5)], revision=0)

    async with LiveLabels(KAFKA_BOOTSTRAP, position=position, dataset_id=dataset_id) as live:
        state = await live.rebuild()
        await follow_until(live, state, api_labels(client, dataset_id, ids), ids)
        client.annotations.save(dataset_id, ids[0], [box("dog", 2, 2, 9, 9)], revision=1)  # edited
        client.annotations.delete_shapes(dataset_id, ids[1], revision=1)  # every shape removed
        assert client.samples.delete(dataset_id, [ids[2]]).status == "succeeded"  # the sample deleted
        expected = labels_once_deleted(client, dataset_id, ids, ids[2])
        assert set(expected) == {ids[0], ids[1], ids[3]} and expected[ids[1]][1] == []
        await follow_until(live, state, expected, ids)
    assert ids[2] not in state and state[ids[0]].revision == 2
    assert position.exists()

    # while no reader runs: an edit, a first label, a deletion, then a new reader from the stored position
    client.annotations.save(dataset_id, ids[3], [box("dog", 3, 3, 6, 6), box("cat", 1, 1, 2, 2)], revision=1)
    client.annotations.save(dataset_id, ids[4], [box("cat", 4, 4, 8, 8)], revision=0)
    assert client.samples.delete(dataset_id, [ids[0]]).status == "succeeded"
    expected = labels_once_deleted(client, dataset_id, ids, ids[0])
    assert set(expected) == {ids[1], ids[3], ids[4]}
    stored = Position.load(position)
    assert stored is not None
    async with LiveLabels(KAFKA_BOOTSTRAP, position=position, dataset_id=dataset_id) as resumed:
        seen = await follow_until(resumed, state, expected, ids)
    assert seen and all(c.offset >= stored.offsets[c.partition] for c in seen)  # only what came after the position
    assert {c.sample_id for c in seen} >= {ids[0], ids[3], ids[4]}  # (at least once: a last one may come again)
