"""Deleting a dataset on in-memory fakes: the handler only queues a purge (its media jobs stop being claimed); the
purge job removes records, frame indexes, transcode jobs and derived files in chunks, and resumes after a stop."""

from __future__ import annotations

from pathlib import Path

import pytest
from labelstream_shared.clock import utc_now
from labelstream_shared.events import DatasetDeleted
from labelstream_testing.media import DERIVED_BUCKET, Harness
from labelstream_testing.media_fakes import InMemoryFrameIndexes
from labelstream_testing.media_samples import make_image
from media_svc.domain.frames import FrameIndex


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def derived_keys(harness: Harness, dataset_id: str) -> list[str]:
    return [k for b, k in harness.store.objects if b == DERIVED_BUCKET and k.startswith(f"{dataset_id}/")]


async def test_a_deleted_dataset_is_purged_in_chunks_and_others_keep_their_media(harness: Harness) -> None:
    doomed = [harness.put(f"a-{n}.jpg", make_image(width=32 + n)) for n in range(5)]
    kept = harness.put("b.jpg", make_image())
    await harness.add("big", doomed)
    await harness.add("other", [kept])
    assert await harness.work_off() == 6
    index = FrameIndex(time_base_num=1, time_base_den=25, frame_pts=(0, 1), keyframe_pts=(0,), duration_s=0.1)
    frame_indexes = InMemoryFrameIndexes(harness.run.state)
    await frame_indexes.save(doomed[0].sample_id, etag=doomed[0].etag, index=index)
    await harness.transcodes.queue(doomed[1].sample_id, etag=doomed[1].etag)
    harness.store.objects[(DERIVED_BUCKET, "big/cache/frame.jpg")] = b"x"  # a cached frame: derived too
    assert len(derived_keys(harness, "big")) == 6

    await harness.deliver(DatasetDeleted(dataset_id="big", deleted_at=utc_now()))
    assert await harness.records.get(doomed[0].sample_id) is not None  # the handler only queued the purge
    assert await harness.purge_all(chunk=2) == 5
    assert await harness.records.get_many(s.sample_id for s in doomed) == {}
    assert await frame_indexes.get(doomed[0].sample_id, etag=doomed[0].etag) is None
    assert await harness.transcodes.etag_of(doomed[1].sample_id) is None
    assert derived_keys(harness, "big") == []
    assert len(derived_keys(harness, "other")) == 1
    assert await harness.records.get(kept.sample_id) is not None
    assert await harness.purges.claim_next(owner="w", stale_after_s=-1) is None


async def test_jobs_of_a_deleted_dataset_are_not_processed(harness: Harness) -> None:
    doomed = harness.put("a.jpg", make_image())
    await harness.add("big", [doomed])
    await harness.deliver(DatasetDeleted(dataset_id="big", deleted_at=utc_now()))
    fresh = harness.put("b.jpg", make_image())
    await harness.add("other", [fresh])
    assert await harness.work_off() == 1
    assert [p.sample_id for p in harness.processed()] == [fresh.sample_id]
    await harness.purge_all()
    assert await harness.records.get(doomed.sample_id) is None


async def test_a_purge_whose_worker_stopped_is_taken_over_and_finished(harness: Harness) -> None:
    samples = [harness.put(f"a-{n}.jpg", make_image(width=32 + n)) for n in range(4)]
    await harness.add("big", samples)
    await harness.work_off()
    await harness.deliver(DatasetDeleted(dataset_id="big", deleted_at=utc_now()))
    claim = await harness.purges.claim_next(owner="dies", stale_after_s=120)
    assert claim is not None

    async def store_away(bucket: str, prefix: str, *, limit: int) -> int:
        raise ConnectionError("storage away")

    inline_delete = harness.store.delete_some
    harness.store.delete_some = store_away  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await harness.purge(claim, "dies", chunk=3)
    assert await harness.records.get_many(s.sample_id for s in samples) == {}  # the records went, chunk by chunk
    harness.store.delete_some = inline_delete  # type: ignore[method-assign]
    assert await harness.purges.claim_next(owner="other", stale_after_s=120) is None  # its owner may still be alive
    again = await harness.purges.claim_next(owner="other", stale_after_s=-1)  # silent too long: taken over
    assert again is not None and again.attempts == 2
    await harness.purge(again, "other", chunk=3)
    assert derived_keys(harness, "big") == []
