"""Wires sync-svc once, in the FastAPI lifespan. It owns the topic MinIO publishes bucket notifications to."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.events.topics import BUCKET_NOTIFICATIONS
from labelstream_shared.jobs import Claim, JobWorker
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from sync_svc.adapters.mongo import (
    MongoImportTasks,
    MongoKnownObjects,
    MongoSyncDatasets,
    MongoSyncRuns,
    MongoSyncTransaction,
    ensure_indexes,
)
from sync_svc.adapters.s3 import S3ObjectStore
from sync_svc.app.handlers import decode_notification, subscriptions
from sync_svc.app.imports import execute_import
from sync_svc.app.notifications import apply_notifications
from sync_svc.app.ports import SyncTransaction
from sync_svc.app.purge import purger
from sync_svc.app.sync_run import SyncReads, execute_sync_run
from sync_svc.domain.notifications import BucketChange
from sync_svc.entrypoints import api
from sync_svc.settings import SyncSettings

CONSUMER_GROUP = "sync-svc"
NOTIFICATION_GROUP = "sync-svc-notifications"


def create_app(settings: SyncSettings, *, fake_deps: api.SyncDeps | None = None) -> FastAPI:
    async def wire(runtime: ServiceRuntime) -> Wiring:
        await ensure_indexes(runtime.db)
        run = mongo_runner(runtime, MongoSyncTransaction)
        reads = SyncReads(
            objects=MongoKnownObjects(runtime.db),
            runs=MongoSyncRuns(runtime.db),
            imports=MongoImportTasks(runtime.db),
            datasets=MongoSyncDatasets(runtime.db),
        )
        store = S3ObjectStore(runtime.storage.client, notification_arn=settings.bucket_notification_arn)

        async def apply_notification(tx: SyncTransaction, notifications: list[list[BucketChange]]) -> None:
            await apply_notifications(tx, notifications, store=store)

        async def execute(claim: Claim, owner: str) -> None:
            await execute_sync_run(claim.job_id, run=run, reads=reads, store=store)

        async def execute_task(claim: Claim, owner: str) -> None:
            await execute_import(claim.job_id, run=run, reads=reads, store=store)

        sync_worker = JobWorker(
            name="sync-runs", jobs=reads.runs, execute=execute, max_concurrent=settings.max_concurrent_runs
        )
        import_worker = JobWorker(name="imports", jobs=reads.imports, execute=execute_task)
        return Wiring(
            deps=api.SyncDeps(run=run, reads=reads, store=store, max_upload_bytes=settings.max_upload_bytes),
            consumers=[
                runtime.consumer(group=CONSUMER_GROUP, subscriptions=subscriptions(store), run=run),
                runtime.raw_consumer(
                    group=NOTIFICATION_GROUP,
                    topic=BUCKET_NOTIFICATIONS,
                    kind="s3:notification",
                    decode=decode_notification,
                    handle=apply_notification,
                    run=run,
                ),
            ],
            extra_topics=[BUCKET_NOTIFICATIONS],
            workers=[sync_worker.run, import_worker.run, purger(run)],
        )

    return service_app(settings, routers=[api.router], wire=wire, fake_deps=fake_deps)
