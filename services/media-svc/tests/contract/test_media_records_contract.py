"""One contract, two implementations: media-svc's in-memory fakes must behave like its MongoDB adapters
(records as a newest-first job queue, transcode jobs, frame indexes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import AddedSample, MediaMetadata
from labelstream_shared.mongo import Document
from labelstream_testing.media_fakes import (
    InMemoryFrameIndexes,
    InMemoryMediaDatasets,
    InMemoryMediaPurges,
    InMemoryMediaRecords,
    InMemoryTranscodes,
)
from labelstream_testing.uow import InMemoryState
from media_svc.adapters.mongo import (
    MongoFrameIndexes,
    MongoMediaDatasets,
    MongoMediaPurges,
    MongoMediaRecords,
    MongoTranscodes,
    ensure_indexes,
)
from media_svc.app.ports import FrameIndexes, MediaDatasets, MediaPurges, MediaRecords, Transcodes
from media_svc.domain.frames import FrameIndex
from media_svc.domain.records import DerivedFiles, MediaRecord
from pymongo.asynchronous.database import AsyncDatabase


@dataclass
class Backend:
    datasets: MediaDatasets
    records: MediaRecords
    transcodes: Transcodes
    indexes: FrameIndexes
    purges: MediaPurges


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        state = InMemoryState()
        return Backend(
            InMemoryMediaDatasets(state),
            InMemoryMediaRecords(state),
            InMemoryTranscodes(state),
            InMemoryFrameIndexes(state),
            InMemoryMediaPurges(state),
        )
    db = request.getfixturevalue("indexed_db")
    return Backend(
        MongoMediaDatasets(db), MongoMediaRecords(db), MongoTranscodes(db), MongoFrameIndexes(db), MongoMediaPurges(db)
    )


def record(
    sample_id: str, *, dataset_id: str = "d1", etag: str = "e1", age_s: float = 0, held: bool = False
) -> MediaRecord:
    added = AddedSample(sample_id=sample_id, bucket="b", key=f"{sample_id}.jpg", size=1, etag=etag, media_kind="image")
    return MediaRecord.queued(added, dataset_id=dataset_id, at=utc_now() - timedelta(seconds=age_s), held=held)


async def test_held_records_wait_for_their_dataset(backend: Backend) -> None:
    assert not await backend.datasets.seen("d1")
    await backend.records.queue([record("a", held=True), record("b", dataset_id="d2", held=True)])
    assert await backend.records.claim_next(owner="w", stale_after_s=-1) is None
    await backend.datasets.created("d1")
    await backend.records.release("d1")
    assert await backend.datasets.seen("d1")
    claim = await backend.records.claim_next(owner="w", stale_after_s=60)
    assert claim is not None and claim.job_id == "a"
    assert await backend.records.claim_next(owner="w", stale_after_s=60) is None
    await backend.datasets.deleted("d1")
    assert not await backend.datasets.seen("d1")


async def test_jobs_are_claimed_newest_first_once(backend: Backend) -> None:
    await backend.records.queue([record("old", age_s=10), record("new"), record("middle", age_s=5)])
    claims = [await backend.records.claim_next(owner="w", stale_after_s=60) for _ in range(4)]
    assert [c.job_id if c else None for c in claims] == ["new", "middle", "old", None]
    assert claims[0] is not None and claims[0].attempts == 1
    claimed = await backend.records.get("new")
    assert claimed is not None and claimed.status == "running"
    assert await backend.records.heartbeat("new", owner="w")
    assert not await backend.records.heartbeat("new", owner="someone else")


async def test_a_job_of_a_silent_worker_is_claimed_again(backend: Backend) -> None:
    await backend.records.queue([record("a")])
    assert await backend.records.claim_next(owner="w1", stale_after_s=60) is not None
    assert await backend.records.claim_next(owner="w2", stale_after_s=60) is None
    again = await backend.records.claim_next(owner="w2", stale_after_s=-1)
    assert again is not None and (again.job_id, again.attempts) == ("a", 2)


async def test_saving_a_result_keeps_it_and_releases_the_job(backend: Backend) -> None:
    await backend.records.queue([record("a"), record("b", dataset_id="d2")])
    await backend.records.claim_next(owner="w", stale_after_s=60)
    current = await backend.records.get("b")
    assert current is not None
    derived = DerivedFiles(bucket="derived", thumbnail_key="t.jpg")
    done = current.succeeded(
        metadata=MediaMetadata(kind="image", width=3), derived=derived, playback=None, at=utc_now()
    )
    await backend.records.save(done)
    assert await backend.records.get("b") == done
    assert await backend.records.claim_next(owner="w", stale_after_s=-1) is not None  # "a" is still queued
    assert set(await backend.records.get_many(["a", "b", "x"])) == {"a", "b"}
    assert await backend.records.ids_of_dataset("d1", limit=10) == ["a"]
    await backend.records.delete(["a"])
    assert set(await backend.records.get_many(["a", "b"])) == {"b"}
    await backend.records.delete(["b"])
    assert await backend.records.get("b") is None


async def test_requeueing_a_new_version_replaces_the_record(backend: Backend) -> None:
    await backend.records.queue([record("a")])
    await backend.records.claim_next(owner="w", stale_after_s=60)
    await backend.records.queue([record("a", etag="e2")])
    again = await backend.records.get("a")
    assert again is not None and (again.etag, again.status, again.attempts) == ("e2", "queued", 0)


async def test_a_batch_shares_out_the_datasets_newest_first(backend: Backend) -> None:
    big = [record(f"big-{n:02}", dataset_id="big", age_s=100 - n) for n in range(20)]
    await backend.records.queue(
        [*big, record("small-old", dataset_id="small", age_s=200), record("small-new", dataset_id="small", age_s=150)]
    )
    claims = await backend.records.claim_batch(owner="w", stale_after_s=60, limit=4)
    assert sorted(c.job_id for c in claims) == ["big-18", "big-19", "small-new", "small-old"]
    assert {c.attempts for c in claims} == {1}
    claimed = await backend.records.get("small-old")
    assert claimed is not None and claimed.status == "running"
    rest = await backend.records.claim_batch(owner="w", stale_after_s=60, limit=100)
    assert sorted(c.job_id for c in rest) == [f"big-{n:02}" for n in range(18)]
    assert await backend.records.claim_batch(owner="w2", stale_after_s=60, limit=100) == []


async def test_a_batch_takes_over_silent_jobs_and_skips_datasets_being_purged(backend: Backend) -> None:
    await backend.records.queue([record("a"), record("b"), record("gone", dataset_id="deleted")])
    await backend.purges.add("deleted")
    first = await backend.records.claim_batch(owner="w1", stale_after_s=60, limit=10)
    assert sorted(c.job_id for c in first) == ["a", "b"]
    await backend.records.heartbeat_many(["a"], owner="w1")
    again = await backend.records.claim_batch(owner="w2", stale_after_s=-1, limit=10)
    assert sorted((c.job_id, c.attempts) for c in again) == [("a", 2), ("b", 2)]
    assert not await backend.records.heartbeat("a", owner="w1")
    await backend.purges.finish("deleted")
    last = await backend.records.claim_batch(owner="w2", stale_after_s=60, limit=10)
    assert [c.job_id for c in last] == ["gone"]


async def test_results_are_saved_together(backend: Backend) -> None:
    await backend.records.queue([record("a"), record("b")])
    await backend.records.claim_batch(owner="w", stale_after_s=60, limit=10)
    derived = DerivedFiles(bucket="derived", thumbnail_key="t.jpg")
    metadata = MediaMetadata(kind="image", width=3)
    done = [
        r.succeeded(metadata=metadata, derived=derived, playback=None, at=utc_now()) for r in (record("a"), record("b"))
    ]
    await backend.records.save_many(done)
    assert await backend.records.get_many(["a", "b"]) == {r.id: r for r in done}
    assert await backend.records.claim_batch(owner="w", stale_after_s=-1, limit=10) == []


async def test_purge_jobs(backend: Backend) -> None:
    await backend.purges.add("d1")
    claim = await backend.purges.claim_next(owner="w", stale_after_s=60)
    assert claim is not None and (claim.job_id, claim.attempts) == ("d1", 1)
    await backend.purges.add("d1")  # the event again: the running purge keeps its owner
    assert await backend.purges.heartbeat("d1", owner="w")
    assert await backend.purges.claim_next(owner="w2", stale_after_s=60) is None
    taken_over = await backend.purges.claim_next(owner="w2", stale_after_s=-1)
    assert taken_over is not None and taken_over.attempts == 2
    await backend.purges.finish("d1")
    assert await backend.purges.claim_next(owner="w2", stale_after_s=-1) is None


async def test_transcode_jobs(backend: Backend) -> None:
    await backend.transcodes.queue("a", etag="e1")
    assert await backend.transcodes.etag_of("a") == "e1"
    claim = await backend.transcodes.claim_next(owner="w", stale_after_s=60)
    assert claim is not None and claim.job_id == "a"
    assert await backend.transcodes.claim_next(owner="w", stale_after_s=60) is None
    await backend.transcodes.done("a")
    assert await backend.transcodes.etag_of("a") is None
    await backend.transcodes.queue("b", etag="e1")
    await backend.transcodes.delete(["b", "c"])
    assert await backend.transcodes.etag_of("b") is None


async def test_frame_indexes_round_trip_per_source_version(backend: Backend) -> None:
    pts = (0, 512, 1024, 1700, 2048, 99_999_999_999)
    index = FrameIndex(time_base_num=1, time_base_den=12800, frame_pts=pts, keyframe_pts=(0, 1700), duration_s=9.5)
    await backend.indexes.save("a", etag="e1", index=index)
    assert await backend.indexes.get("a", etag="e1") == index
    assert await backend.indexes.get("a", etag="e2") is None
    await backend.indexes.delete(["a"])
    assert await backend.indexes.get("a", etag="e1") is None
