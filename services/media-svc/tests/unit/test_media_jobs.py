"""The pipeline on in-memory fakes: DataAdded queues media jobs, the worker processes them and emits
MediaProcessed; hostile files end failed with a reason while good ones keep flowing; stale results are dropped."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from labelstream_shared.events import SampleDeleted, SourceChanged
from labelstream_testing.media import DERIVED_BUCKET, Harness
from labelstream_testing.media_samples import hostile_corpus, make_image, make_video
from media_svc.app.processing import execute_media_batch, execute_media_job
from media_svc.domain.limits import DecoderFailedError, MediaRejectedError
from media_svc.domain.processed import Processed


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def video_bytes(tmp_path: Path, name: str = "clip.mp4", **options: object) -> bytes:
    path = tmp_path / name
    make_video(path, **options)  # type: ignore[arg-type]
    return path.read_bytes()


async def test_added_samples_are_processed_and_announced(harness: Harness, tmp_path: Path) -> None:
    image = harness.put("cat.jpg", make_image(width=640, height=480))
    video = harness.put("clip.mp4", video_bytes(tmp_path))
    await harness.add("d1", [image, video])
    assert await harness.work_off() == 2
    photo = harness.latest(image.sample_id)
    assert (photo.status, photo.etag, photo.derived_bucket) == ("ready", image.etag, DERIVED_BUCKET)
    assert photo.metadata is not None and (photo.metadata.width, photo.metadata.size) == (640, image.size)
    assert photo.thumbnail_key and (DERIVED_BUCKET, photo.thumbnail_key) in harness.store.objects
    clip = harness.latest(video.sample_id)
    assert clip.metadata is not None and (clip.metadata.frame_count, clip.metadata.codec) == (50, "h264")
    assert clip.poster_key and clip.timeline_key
    assert clip.playback is not None and (clip.playback.mode, clip.playback.key) == ("source", "clip.mp4")


async def test_readding_an_unchanged_sample_does_not_process_it_again(harness: Harness) -> None:
    image = harness.put("cat.jpg", make_image())
    await harness.add("d1", [image])
    await harness.work_off()
    await harness.add("d1", [image])
    assert await harness.work_off() == 0
    assert len(harness.processed()) == 1


async def test_a_changed_source_is_processed_again_and_the_stale_result_is_dropped(harness: Harness) -> None:
    first = harness.put("cat.jpg", make_image(width=300, height=200))
    await harness.add("d1", [first])
    claim = await harness.records.claim_next(owner="slow", stale_after_s=120)
    assert claim is not None
    second = harness.put("cat.jpg", make_image(width=500, height=200))
    await harness.deliver(SourceChanged(dataset_id="d1", samples=(second,)))
    await execute_media_job(claim, "slow", jobs=harness.jobs)  # the job of the old version finds a newer one queued
    assert harness.processed() == []
    await harness.work_off()
    result = harness.latest(first.sample_id)
    assert (result.etag, result.metadata and result.metadata.width) == (second.etag, 500)


async def test_hostile_media_fail_with_reasons_and_good_media_keep_flowing(harness: Harness, tmp_path: Path) -> None:
    hostile = [harness.put(name, content) for name, content in hostile_corpus(tmp_path).items()]
    await harness.add("d1", hostile)
    assert await harness.work_off() == len(hostile)
    results = {r.sample_id: r for r in harness.processed()}
    assert {s.sample_id for s in hostile} == set(results)
    for sample in hostile:
        result = results[sample.sample_id]
        assert (result.status, bool(result.failure_reason)) == ("failed", True), sample.key
    good = [harness.put("after.jpg", make_image()), harness.put("after.mp4", video_bytes(tmp_path, "after.mp4"))]
    await harness.add("d1", good)
    await harness.work_off()
    assert [harness.latest(s.sample_id).status for s in good] == ["ready", "ready"]


async def test_a_missing_source_object_fails_the_sample(harness: Harness) -> None:
    gone = harness.put("gone.jpg", make_image())
    del harness.store.objects[("raw-data", "gone.jpg")]
    await harness.add("d1", [gone])
    await harness.work_off()
    assert harness.latest(gone.sample_id).failure_reason == "the source object is not in the bucket"


def crash_on(harness: Harness, poison: bytes) -> None:
    """The decoder crashes on a source holding `poison` (and a task with such a source crashes as a whole)."""
    inline_one, inline_many = harness.decoder.process, harness.decoder.process_many

    def poisoned(path: str) -> bool:
        return Path(path).read_bytes() == poison

    async def process(path: str, *, kind: str) -> Processed:
        if poisoned(path):
            raise DecoderFailedError("the decoder crashed")
        return await inline_one(path, kind=kind)

    async def process_many(sources: Sequence[tuple[str, str]]) -> list[Processed | MediaRejectedError]:
        if any(poisoned(path) for path, _ in sources):
            raise DecoderFailedError("the decoder crashed")
        return await inline_many(sources)

    harness.decoder.process = process  # type: ignore[method-assign]
    harness.decoder.process_many = process_many  # type: ignore[method-assign]


async def test_a_decoder_crash_is_retried_then_fails_the_sample(harness: Harness) -> None:
    crash_on(harness, b"poison")
    sample = harness.put("crash.jpg", b"poison")
    await harness.add("d1", [sample])
    assert await harness.work_off() == 3  # three attempts
    assert harness.latest(sample.sample_id).failure_reason == "the decoder crashed"


async def test_a_source_crashing_the_decoder_does_not_fail_its_batch(harness: Harness) -> None:
    crash_on(harness, b"poison")
    good = [harness.put(f"good-{n}.jpg", make_image(width=64 + n)) for n in range(5)]
    bad = harness.put("crash.jpg", b"poison")
    await harness.add("d1", [*good[:3], bad, *good[3:]])
    claims = await harness.records.claim_batch(owner="w", stale_after_s=60, limit=10)
    assert len(claims) == 6
    assert await execute_media_batch(claims, "w", jobs=harness.jobs) == 5  # one task crashed: each decoded alone
    assert {p.sample_id: p.status for p in harness.processed()} == {s.sample_id: "ready" for s in good}
    retried = await harness.records.get(bad.sample_id)
    assert retried is not None and (retried.status, retried.attempts) == ("queued", 1)
    assert await harness.work_off() == 2
    assert harness.latest(bad.sample_id).failure_reason == "the decoder crashed"


async def test_an_unplayable_video_gets_a_transcode(harness: Harness, tmp_path: Path) -> None:
    sample = harness.put("old.avi", video_bytes(tmp_path, "old.avi", codec="mpeg4", frames=20))
    await harness.add("d1", [sample])
    await harness.work_off()
    first, second = [r for r in harness.processed() if r.sample_id == sample.sample_id]
    assert first.playback is not None and (first.playback.mode, first.playback.status) == ("transcode", "pending")
    assert second.playback is not None and (second.playback.status, second.playback.codec) == ("ready", "h264")
    assert second.playback.key and (DERIVED_BUCKET, second.playback.key) in harness.store.objects


async def test_deleted_samples_are_forgotten(harness: Harness) -> None:
    sample = harness.put("cat.jpg", make_image())
    await harness.add("d1", [sample])
    await harness.deliver(SampleDeleted(dataset_id="d1", sample_ids=(sample.sample_id,)))
    assert await harness.work_off() == 0
    assert await harness.records.get(sample.sample_id) is None


async def test_samples_of_a_dataset_not_created_yet_wait_for_it(harness: Harness) -> None:
    early = harness.put("early.jpg", make_image())
    await harness.add("d9", [early], create=False)  # DataAdded read before DatasetCreated (another topic)
    assert await harness.work_off() == 0
    held = await harness.records.get(early.sample_id)
    assert held is not None and held.status == "held"
    await harness.create("d9")
    assert await harness.work_off() == 1
    assert harness.latest(early.sample_id).status == "ready"
