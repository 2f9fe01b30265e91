"""Exports on the real MongoDB and MinIO: an export whose worker process is killed half-way (SIGKILL, while it
uploads the archive in parts) leaves no object and is not reported done; another worker takes the stale job over
and ends it complete and correct (every item and shape in the archive, the stored bytes matching the recorded
SHA-256), byte-identical to a fresh export of the same version."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import signal
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from dataset_svc.adapters.mongo import MongoDatasetTransaction, ensure_indexes
from dataset_svc.adapters.mongo_exports import MongoExportRepository
from dataset_svc.adapters.storage import StorageBucketDirectory, StorageExportFiles
from dataset_svc.app.exports import execute_export, request_export
from dataset_svc.app.use_cases import CreateDataset, create_dataset
from dataset_svc.domain.exports import Export
from dataset_svc.domain.labels import LabelStatistics
from dataset_svc.domain.versions import Version
from labelstream_formats.model import ExportOptions
from labelstream_shared.events.contracts import BucketPath, LabelDefinition
from labelstream_shared.mongo import Document, MongoTransactionRunner
from labelstream_shared.storage import ObjectStorage
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration
ITEMS = 60_000  # enough for the worker to be caught half-way on a busy 2-core machine
WORKER = Path(__file__).with_name("export_worker.py")


def manifest(dataset_id: str, bucket: str) -> Iterator[bytes]:
    """A version's manifest of ITEMS images, 3 boxes each."""
    for n in range(ITEMS):
        shapes = [
            {
                "shape_id": f"s{n}-{k}",
                "kind": "rectangle",
                "label": "cat" if k else "dog",
                "points": [[k, k], [k + 9, k + 7]],
            }
            for k in range(3)
        ]
        line = {
            "sample_id": f"{n:032x}",
            "source": f"s3://{bucket}/img/{n:06d}.jpg",
            "media_kind": "image",
            "media": {"kind": "image", "width": 64, "height": 48},
            "status": "labeled",
            "shapes": shapes,
        }
        yield (json.dumps(line) + "\n").encode()


async def published_version(
    run: MongoTransactionRunner[MongoDatasetTransaction], storage: ObjectStorage, bucket: str
) -> Version:
    command = CreateDataset(
        name="big",
        labeling_type="object_detection",
        input_path=BucketPath(bucket=bucket, prefix="img/"),
        output_path=BucketPath(bucket=bucket, prefix="out/"),
        labels=(LabelDefinition(name="dog", color="#ff0000"), LabelDefinition(name="cat", color="#00ff00")),
    )
    dataset = await create_dataset(command, run=run, buckets=StorageBucketDirectory(storage))
    made = Version.create(dataset_id=dataset.id, number=1, output_path=dataset.output_path)
    version = made.published(statistics=LabelStatistics(samples=ITEMS), label_set=("dog", "cat"))
    data = b"".join(manifest(dataset.id, bucket))
    await asyncio.to_thread(
        storage.client.put_object, bucket, version.manifest.key, io.BytesIO(data), len(data), part_size=16 * 1024**2
    )

    async def add(tx: MongoDatasetTransaction) -> None:
        await tx.versions.add(version)

    await run(add)
    return version


async def export_of(db: AsyncDatabase[Document], export_id: str) -> Export:
    found = await MongoExportRepository(db).get(export_id)
    assert found is not None
    return found


def stored(storage: ObjectStorage, bucket: str, key: str) -> bytes | None:
    try:
        response = storage.client.get_object(bucket, key)
    except Exception:
        return None
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


async def test_an_export_whose_worker_is_killed_half_way_ends_complete_and_correct(
    mongo_client: AsyncMongoClient[Document],
    mongo_db: AsyncDatabase[Document],
    scratch_bucket: tuple[ObjectStorage, str],
) -> None:
    store, bucket = scratch_bucket
    await ensure_indexes(mongo_db)
    run = MongoTransactionRunner(
        client=mongo_client,
        db=mongo_db,
        make=lambda db, session: MongoDatasetTransaction(source="/labelstream/dataset-svc", db=db, session=session),
    )
    version = await published_version(run, store, bucket)
    options = ExportOptions()
    killed = await request_export(
        version.dataset_id, version.id, format="coco", options=options, requested_by="t", run=run
    )
    worker = await asyncio.create_subprocess_exec(sys.executable, str(WORKER), mongo_db.name, env=os.environ.copy())
    try:
        while (await export_of(mongo_db, killed.id)).progress.items_done == 0:  # it is writing the annotations
            assert worker.returncode is None, "the worker ended before it could be killed"
            await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        await asyncio.wait_for(worker.wait(), timeout=10)
    finally:
        if worker.returncode is None:
            worker.kill()
    half = await export_of(mongo_db, killed.id)
    assert half.status == "running" and 0 < half.progress.items_done < ITEMS
    target = half.target(BucketPath(bucket=bucket, prefix="out/"))
    assert await asyncio.to_thread(stored, store, bucket, target.key) is None  # no half-written archive

    files = StorageExportFiles(store)
    claim = await MongoExportRepository(mongo_db).claim_next(owner="heir", stale_after_s=0)  # the killed one is silent
    assert claim is not None and (claim.job_id, claim.attempts) == (killed.id, 2)
    await execute_export(claim, run=run, storage=files, owner="heir")
    done = await export_of(mongo_db, killed.id)
    assert done.status == "completed" and done.archive is not None
    data = await asyncio.to_thread(stored, store, bucket, done.archive.location.key)
    assert data is not None and len(data) == done.archive.size
    assert hashlib.sha256(data).hexdigest() == done.archive.sha256
    document = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("annotations/instances_default.json"))
    assert (len(document["images"]), len(document["annotations"])) == (ITEMS, 3 * ITEMS)
    assert document["images"][-1]["file_name"] == f"{ITEMS - 1:06d}.jpg"

    fresh = await request_export(
        version.dataset_id, version.id, format="coco", options=options, requested_by=None, run=run
    )
    claim = await MongoExportRepository(mongo_db).claim_next(owner="heir", stale_after_s=60)
    assert claim is not None and claim.job_id == fresh.id
    await execute_export(claim, run=run, storage=files, owner="heir")
    again = await export_of(mongo_db, fresh.id)
    assert again.archive is not None and again.archive.sha256 == done.archive.sha256
