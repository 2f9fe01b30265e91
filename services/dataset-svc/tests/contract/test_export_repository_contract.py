"""One contract, two implementations: the in-memory export repository behaves like the MongoDB one (add, get, save,
newest-first listing with a cursor and a version filter, claims of queued and running exports, removal by dataset)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from dataset_svc.adapters.mongo import ensure_indexes
from dataset_svc.adapters.mongo_exports import MongoExportRepository
from dataset_svc.app.ports import ExportRepository
from dataset_svc.domain.exports import Export, ExportArchive, ExportOutcome
from dataset_svc.domain.labels import LabelStatistics
from dataset_svc.domain.versions import ObjectLocation, Version
from labelstream_formats.model import ExportOptions
from labelstream_shared.events.contracts import BucketPath
from labelstream_shared.mongo import Document
from labelstream_testing.dataset_fakes_versions import InMemoryExportRepository
from labelstream_testing.uow import InMemoryState
from pymongo.asynchronous.database import AsyncDatabase

OUT = BucketPath(bucket="out-data", prefix="cats")


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def exports(request: pytest.FixtureRequest) -> ExportRepository:
    if request.param == "memory":
        return InMemoryExportRepository(InMemoryState())
    return MongoExportRepository(request.getfixturevalue("indexed_db"))


def version(dataset_id: str, number: int) -> Version:
    created = Version.create(dataset_id=dataset_id, number=number, output_path=OUT)
    return created.published(statistics=LabelStatistics(samples=5), label_set=("cat",))


def export(v: Version, seconds: int, format: str = "coco") -> Export:
    made = Export.create(version=v, format=format, options=ExportOptions())
    return made.model_copy(update={"created_at": made.created_at.replace(microsecond=0) + timedelta(seconds=seconds)})


async def test_exports_are_listed_newest_first_by_version_with_a_cursor(exports: ExportRepository) -> None:
    v1, v2, other = version("d1", 1), version("d1", 2), version("d2", 1)
    made = [export(v1, 1), export(v2, 2), export(v1, 3), export(other, 4)]
    for e in made:
        await exports.add(e)
    newest = await exports.list("d1", version_id=None, limit=10)
    assert [e.id for e in newest] == [made[2].id, made[1].id, made[0].id]
    assert [e.id for e in await exports.list("d1", version_id=v1.id, limit=10)] == [made[2].id, made[0].id]
    after = (newest[0].created_at, newest[0].id)
    assert [e.id for e in await exports.list("d1", version_id=None, limit=1, before=after)] == [made[1].id]
    assert await exports.get(made[3].id) == made[3]
    assert await exports.get("missing") is None


async def test_a_queued_export_is_claimed_once_and_a_finished_one_never(exports: ExportRepository) -> None:
    v = version("d1", 1)
    first, second = export(v, 1), export(v, 2)
    await exports.add(first)
    await exports.add(second)
    claim = await exports.claim_next(owner="a", stale_after_s=60)
    assert claim is not None and claim.job_id == first.id and claim.attempts == 1
    claimed = await exports.get(first.id)
    assert claimed is not None and claimed.status == "running"
    assert await exports.heartbeat(first.id, owner="a")
    assert not await exports.heartbeat(first.id, owner="b")
    archive = ExportArchive(location=ObjectLocation(bucket="out-data", key="k.zip"), size=3, sha256="0" * 64)
    await exports.save(claimed.running(3).completed(archive, ExportOutcome(items=5)))
    assert not await exports.heartbeat(first.id, owner="a")  # finished: the claim went with it
    again = await exports.claim_next(owner="b", stale_after_s=60)
    assert again is not None and again.job_id == second.id
    assert await exports.claim_next(owner="c", stale_after_s=60) is None
    stale = await exports.claim_next(owner="c", stale_after_s=-1)  # b went silent: c takes over
    assert stale is not None and (stale.job_id, stale.attempts) == (second.id, 2)
    done = await exports.get(first.id)
    assert done is not None and (done.status, done.progress.items_done, done.archive) == ("completed", 5, archive)


async def test_the_exports_of_a_dataset_are_removed_some_at_a_time(exports: ExportRepository) -> None:
    v, other = version("d1", 1), version("d2", 1)
    for n in range(3):
        await exports.add(export(v, n))
    await exports.add(export(other, 9))
    assert await exports.remove_some("d1", limit=2) == 2
    assert await exports.remove_some("d1", limit=2) == 1
    assert await exports.remove_some("d1", limit=2) == 0
    assert len(await exports.list("d2", version_id=None, limit=10)) == 1
    (left,) = await exports.list("d2", version_id=None, limit=10)
    await exports.remove([left.id, "unknown"])
    assert await exports.list("d2", version_id=None, limit=10) == []
