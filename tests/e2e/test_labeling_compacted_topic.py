"""Acceptance (issue 5): an independent client reads the compacted topic `labelstream.labels.latest` from the
beginning and rebuilds exactly the labels the API reports for every sample, including after shapes, samples and a
whole dataset were deleted (tombstones)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from labelstream_shared.events.topics import LABELS_LATEST
from labelstream_testing.labeling import LabelingPlatform, box

from conftest import KAFKA_BOOTSTRAP
from tests.support import eventually

pytestmark = pytest.mark.e2e


async def rebuild_from_kafka() -> dict[str, dict[str, Any]]:
    """sample id -> the latest LabelChanged data, from the compacted topic alone (a tombstone removes the key)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA_BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(LABELS_LATEST, p) for p in sorted(consumer.partitions_for_topic(LABELS_LATEST))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        latest: dict[str, dict[str, Any]] = {}
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=5000)
            for records in batch.values():
                for record in records:
                    key = record.key.decode()
                    if record.value is None:
                        latest.pop(key, None)
                    else:
                        latest[key] = json.loads(record.value)["data"]
        return latest
    finally:
        await consumer.stop()


async def api_labels(platform: LabelingPlatform, dataset_id: str, sample_ids: list[str]) -> dict[str, Any]:
    """sample id -> (revision, shapes) as the API reports them; deleted samples are absent."""
    found: dict[str, Any] = {}
    for sample_id in sample_ids:
        response = await platform.gateway.get(f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation")
        if response.status_code == 404:
            continue
        body = response.json()
        found[sample_id] = (body["revision"], body["shapes"])
    return found


def rebuilt_labels(rebuilt: dict[str, dict[str, Any]], sample_ids: list[str]) -> dict[str, Any]:
    return {i: (rebuilt[i]["revision"], rebuilt[i]["shapes"]) for i in sample_ids if i in rebuilt}


async def test_the_compacted_topic_rebuilds_every_sample_s_labels(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"cmp-{unique}")
    ids = await platform.add_images(dataset_id, [f"img/{i:02d}.png" for i in range(12)])
    for n, sample_id in enumerate(ids[:10]):
        shapes = [box("cat", 1, 1, 10 + n, 10 + n, shape_id="a"), box("dog", 20, 20, 40, 40, shape_id="b")]
        assert (await platform.save(dataset_id, sample_id, shapes, revision=0)).status_code == 200
    for sample_id in ids[:5]:  # a second revision
        shapes = [box("dog", 5, 5, 50, 50, shape_id="c")]
        assert (await platform.save(dataset_id, sample_id, shapes, revision=1)).status_code == 200
    url = f"/api/labeling/datasets/{dataset_id}/samples/{ids[5]}/annotation/shapes"
    assert (await platform.gateway.delete(url, headers={"If-Match": '"1"'})).status_code == 200  # all shapes gone
    for sample_id in ids[6:8]:
        await platform.wait_for(f"/api/datasets/{dataset_id}/samples/{sample_id}", what="dataset-svc knows the sample")
    deleted = await platform.gateway.post(
        f"/api/datasets/{dataset_id}/samples/deletions", json={"sample_ids": ids[6:8]}
    )
    assert deleted.status_code == 200, deleted.text

    async def deletions_applied() -> bool:
        return len(await api_labels(platform, dataset_id, ids[6:8])) == 0

    await eventually(deletions_applied, timeout=90, what="labeling applies SampleDeleted")

    other = await platform.create_dataset(f"cmp2-{unique}")
    other_ids = await platform.add_images(other, ["x.png", "y.png"])
    for sample_id in other_ids:
        assert (await platform.save(other, sample_id, [box("cat", 1, 1, 5, 5)], revision=0)).status_code == 200
    assert (await platform.gateway.delete(f"/api/datasets/{other}")).status_code in (200, 202, 204)

    async def dataset_dropped() -> bool:
        return (await platform.gateway.get(f"/api/labeling/datasets/{other}")).status_code == 404

    await eventually(dataset_dropped, timeout=90, what="labeling drops the deleted dataset")
    everyone = ids + other_ids
    expected = {i: v for i, v in (await api_labels(platform, dataset_id, ids)).items() if v[0] > 0}
    assert set(expected) == {*ids[:6], *ids[8:10]}  # ids[5] has a revision and no shapes; ids[10:] none

    async def rebuilt_matches() -> bool:
        return rebuilt_labels(await rebuild_from_kafka(), everyone) == expected

    await eventually(rebuilt_matches, timeout=90, what="the compacted topic holds the API's labels")
    rebuilt = await rebuild_from_kafka()
    assert rebuilt[ids[0]]["revision"] == 2
    assert rebuilt[ids[5]]["shapes"] == []
    assert not {*ids[6:8], *other_ids} & set(rebuilt)


async def test_the_latest_labels_topic_is_compacted() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, LABELS_LATEST)])
        entries = {entry[0]: entry[1] for resource in response.resources for entry in resource[4]}
    finally:
        await admin.close()
    assert entries["cleanup.policy"] == "compact"
