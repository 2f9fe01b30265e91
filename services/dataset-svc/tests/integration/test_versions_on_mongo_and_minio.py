"""Versions on the real MongoDB and MinIO: two publications started together get V001 and V002 (and run at the
same time), a manifest read back with a plain JSON Lines reader gives the same samples and labels, and deleting
a version removes its files and leaves the source objects alone."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from dataset_svc.adapters.mongo import MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_versions import MongoVersionHeadRepository, MongoVersionRepository
from dataset_svc.adapters.storage import StorageBucketDirectory, StorageVersionFiles
from dataset_svc.app.publishing import execute_version_job
from dataset_svc.app.use_cases import CreateDataset, create_dataset
from dataset_svc.app.versions import VersionView, delete_version, list_versions, publish_version
from labelstream_shared.events import EventEnvelope, LabelChanged, MediaProcessed, SourceDeleted, VersionPublished
from labelstream_shared.events.contracts import BucketPath, LabelDefinition, MediaMetadata, ObjectRef, Shape
from labelstream_shared.mongo import OUTBOX, Document, MongoTransactionRunner
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.dataset import INPUT_BUCKET, data_added, deliver, label_changed, sample_id
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration
KEYS = [f"img/{i:03d}.jpg" for i in range(23)]  # three manifest pages of 10
LABELS = {"img/000.jpg": ["cat", "dog"], "img/007.jpg": ["cat"], "img/015.jpg": ["dog", "dog", "dog"]}


def read_object(storage: ObjectStorage, bucket: str, key: str) -> bytes:
    response = storage.client.get_object(bucket, key)
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


def read_json_lines(storage: ObjectStorage, bucket: str, key: str) -> list[dict[str, Any]]:
    """What a training script would do: fetch the object and parse one JSON object per line."""
    return [json.loads(line) for line in read_object(storage, bucket, key).decode().splitlines() if line.strip()]


def keys_in(storage: ObjectStorage, bucket: str) -> set[str]:
    return {o.object_name for o in storage.client.list_objects(bucket, recursive=True)}


@dataclass
class Platform:
    run: MongoTransactionRunner[MongoDatasetTransaction]
    db: AsyncDatabase[Document]
    storage: ObjectStorage
    bucket: str

    async def work(self, *, owners: list[str], page: int = 10) -> None:
        """Workers claim one job each, then run them at the same time."""
        files = StorageVersionFiles(self.storage)
        jobs = []
        for owner in owners:
            claim = await MongoVersionRepository(self.db).claim_next(owner=owner, stale_after_s=60)
            assert claim is not None
            jobs.append(execute_version_job(claim, run=self.run, files=files, owner=owner, page=page))
        await asyncio.gather(*jobs)

    async def versions(self, dataset_id: str) -> list[VersionView]:
        versions, heads = MongoVersionRepository(self.db), MongoVersionHeadRepository(self.db)
        return await list_versions(dataset_id, versions=versions, heads=heads, limit=10, before=None)


@pytest.fixture
async def platform(
    mongo_client: AsyncMongoClient[Document],
    mongo_db: AsyncDatabase[Document],
    scratch_bucket: tuple[ObjectStorage, str],
) -> Platform:
    await ensure_indexes(mongo_db)
    run = MongoTransactionRunner(
        client=mongo_client,
        db=mongo_db,
        make=lambda db, session: MongoDatasetTransaction(source="/labelstream/dataset-svc", db=db, session=session),
    )
    return Platform(run, mongo_db, *scratch_bucket)


async def labeled_dataset(platform: Platform) -> tuple[str, dict[str, LabelChanged]]:
    """A dataset of KEYS: some labeled, one with media metadata, one whose source object vanished."""
    command = CreateDataset(
        name="cats",
        labeling_type="image_segmentation",
        input_path=BucketPath(bucket=platform.bucket, prefix="img/"),
        output_path=BucketPath(bucket=platform.bucket, prefix="exports/"),
        labels=(LabelDefinition(name="cat", color="#ff0000"), LabelDefinition(name="dog", color="#00ff00")),
    )
    d = (await create_dataset(command, run=platform.run, buckets=StorageBucketDirectory(platform.storage))).id
    run = platform.run
    await deliver(run, data_added(d, KEYS))
    changes = {key: label_changed(d, key, revision=2, labels=labels) for key, labels in LABELS.items()}
    for change in changes.values():
        await deliver(run, change)
    meta = MediaMetadata(kind="image", width=32, height=24)
    await deliver(run, MediaProcessed(dataset_id=d, sample_id=sample_id(d, KEYS[1]), status="ready", metadata=meta))
    gone = ObjectRef(bucket=INPUT_BUCKET, key=KEYS[2], sample_id=sample_id(d, KEYS[2]))
    await deliver(run, SourceDeleted(dataset_id=d, reason="vanished", objects=(gone,)))
    return d, changes


async def test_concurrent_publications_are_numbered_in_turn_and_published(platform: Platform) -> None:
    d, _ = await labeled_dataset(platform)
    first, second = await asyncio.gather(publish_version(d, run=platform.run), publish_version(d, run=platform.run))
    assert sorted([first.name, second.name]) == ["V001", "V002"]
    await platform.work(owners=["worker-a", "worker-b"])
    listed = await platform.versions(d)
    assert [(v.version.name, v.version.status, v.is_current, v.version.sample_count) for v in listed] == [
        ("V002", "published", True, 22),
        ("V001", "published", False, 22),
    ]
    outbox = [EventEnvelope.from_bytes(doc["value"]).payload() async for doc in platform.db[OUTBOX].find({})]
    published = sorted((p for p in outbox if isinstance(p, VersionPublished)), key=lambda p: p.name)
    assert [(p.name, p.manifest.bucket, p.manifest.prefix, p.sample_count) for p in published] == [
        ("V001", platform.bucket, "exports/versions/V001/manifest.jsonl", 22),
        ("V002", platform.bucket, "exports/versions/V002/manifest.jsonl", 22),
    ]
    for view in listed:
        assert await platform.db["version_objects"].count_documents({"version_id": view.version.id}) == 22


async def test_a_plain_json_lines_reader_gets_the_samples_and_labels_back(platform: Platform) -> None:
    d, changes = await labeled_dataset(platform)
    version = await publish_version(d, run=platform.run)
    await platform.work(owners=["worker"])
    lines = read_json_lines(platform.storage, platform.bucket, version.manifest.key)
    expected_keys = [k for k in KEYS if k != KEYS[2]]  # not the one whose source vanished
    assert [line["source"] for line in lines] == [f"s3://{INPUT_BUCKET}/{k}" for k in expected_keys]
    assert [line["sample_id"] for line in lines] == [sample_id(d, k) for k in expected_keys]
    by_key = {line["source"].removeprefix(f"s3://{INPUT_BUCKET}/"): line for line in lines}
    for key, change in changes.items():
        line = by_key[key]
        assert (line["status"], line["labeled_by"], line["label_revision"]) == ("labeled", "ann", 2)
        assert [Shape.model_validate(s) for s in line["shapes"]] == list(change.shapes)
    assert by_key[KEYS[1]]["media"] == {"kind": "image", "width": 32, "height": 24}
    assert {by_key[k]["status"] for k in expected_keys if k not in LABELS} == {"unlabeled"}

    document = json.loads(read_object(platform.storage, platform.bucket, version.statistics_file.key))
    totals = (document["version"], document["samples"], document["labeled_samples"], document["shapes"])
    assert totals == ("V001", 22, 3, 6)
    assert document["labels"] == [
        {"label": "cat", "shapes": 2, "samples": 2},
        {"label": "dog", "shapes": 4, "samples": 2},
    ]


async def test_deleting_a_version_removes_its_files_only(platform: Platform) -> None:
    d, _ = await labeled_dataset(platform)
    # The samples' objects are in INPUT_BUCKET; this one stands for a source object next to the output path.
    storage, bucket = platform.storage, platform.bucket
    await asyncio.to_thread(storage.client.put_object, bucket, "img/000.jpg", io.BytesIO(b"src"), 3)
    await publish_version(d, run=platform.run)
    second = await publish_version(d, run=platform.run)
    await platform.work(owners=["worker-a", "worker-b"])
    await delete_version(d, second.id, run=platform.run)
    await platform.work(owners=["worker-c"])
    assert [(v.version.name, v.is_current) for v in await platform.versions(d)] == [("V001", True)]
    assert await asyncio.to_thread(keys_in, storage, bucket) == {
        "img/000.jpg",
        "exports/versions/V001/manifest.jsonl",
        "exports/versions/V001/statistics.json",
    }
    assert await platform.db["version_objects"].count_documents({"version_id": second.id}) == 0
