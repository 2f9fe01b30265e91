"""A dataset-svc export worker in a process of its own, which a test kills half-way: claims the next export of the
given database and runs it with the real adapters (MongoDB, MinIO). Usage: python export_worker.py <database>"""

from __future__ import annotations

import asyncio
import sys

from dataset_svc.adapters.mongo import MongoDatasetTransaction
from dataset_svc.adapters.mongo_exports import MongoExportRepository
from dataset_svc.adapters.storage import StorageExportFiles
from dataset_svc.app.exports import execute_export
from dataset_svc.settings import DatasetSettings
from labelstream_shared.mongo import MongoTransactionRunner, connect
from labelstream_shared.storage import ObjectStorage


async def main(database: str) -> None:
    settings = DatasetSettings()
    client = connect(settings.mongo_url)
    db = client[database]
    run = MongoTransactionRunner(
        client=client,
        db=db,
        make=lambda db, session: MongoDatasetTransaction(source="/labelstream/dataset-svc", db=db, session=session),
    )
    claim = await MongoExportRepository(db).claim_next(owner="doomed", stale_after_s=60)
    assert claim is not None, "no export to run"
    await execute_export(claim, run=run, storage=StorageExportFiles(ObjectStorage(settings)), owner="doomed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
