"""A media-svc purge worker in a process of its own, which a test kills half-way: claims the next purge of the given
database and runs it with the real adapters (MongoDB, MinIO). It prints `committed` after each transaction and waits
a second, so that the test's kill -9 lands between two chunks: killed inside one, its open transaction would hold
the chunk's records until MongoDB's transaction lifetime (60 s) runs out, and the takeover would wait that long.
Usage: python purge_worker.py <database> <bucket>"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from labelstream_shared.mongo import connect
from labelstream_shared.settings import ServiceSettings
from labelstream_shared.storage import ObjectStorage
from labelstream_testing.media_real import media_runner
from media_svc.adapters.mongo import MongoMediaPurges, MongoMediaTransaction
from media_svc.adapters.storage import S3MediaStore
from media_svc.app.purge import execute_purge

T = TypeVar("T")


async def main(database: str, derived_bucket: str) -> None:
    settings = ServiceSettings()
    client = connect(settings.mongo_url)
    db = client[database]
    purges = MongoMediaPurges(db)
    claim = await purges.claim_next(owner="doomed", stale_after_s=60)
    assert claim is not None, "no purge to run"
    store = S3MediaStore(ObjectStorage(settings).client)
    runner = media_runner(client, db)

    async def run(work: Callable[[MongoMediaTransaction], Awaitable[T]]) -> T:
        result = await runner(work)
        print("committed", flush=True)
        await asyncio.sleep(1.0)
        return result

    await execute_purge(claim, "doomed", run=run, store=store, derived_bucket=derived_bucket, purges=purges)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
