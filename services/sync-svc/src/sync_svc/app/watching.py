"""Bucket notifications are switched on per input bucket."""

from __future__ import annotations

import logging

from sync_svc.app.ports import ObjectStore

log = logging.getLogger(__name__)


async def watch_input_bucket(store: ObjectStore, bucket: str) -> None:
    """Best effort: without notifications, on-demand sync still works; a failure is logged, not raised."""
    try:
        await store.watch(bucket)
    except Exception as exc:  # noqa: BLE001 - e.g. the bucket does not exist yet
        log.warning("cannot enable notifications on bucket %s: %r", bucket, exc)
