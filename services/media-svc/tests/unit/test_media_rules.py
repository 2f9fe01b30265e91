"""Pure rules of media-svc: time points and frame indexes, derived keys, what a browser plays, record changes."""

from __future__ import annotations

import pytest
from labelstream_shared.clock import utc_now
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import AddedSample, MediaMetadata
from media_svc.domain import keys
from media_svc.domain.frames import FrameIndex, FrameTarget, parse_time_points
from media_svc.domain.limits import MediaRejectedError
from media_svc.domain.playback import browser_playable
from media_svc.domain.records import DerivedFiles, MediaRecord

# 25 fps in a 1/12800 time base, first frame at pts 1024, keyframes every 12 frames
CFR = FrameIndex(
    time_base_num=1,
    time_base_den=12800,
    frame_pts=tuple(1024 + 512 * i for i in range(50)),
    keyframe_pts=tuple(1024 + 512 * i for i in range(0, 50, 12)),
    duration_s=2.0,
)


def test_the_frame_shown_at_a_time_point_is_the_last_one_not_after_it() -> None:
    assert CFR.frame_at_time(0) == 0
    assert CFR.frame_at_time(0.039) == 0
    assert CFR.frame_at_time(0.04) == 1  # a frame exactly at t is the one shown at t
    assert CFR.frame_at_time(1.0) == 25
    assert CFR.frame_at_time(2.0) == 49  # the last frame stays on screen to the end


def test_time_points_and_indices_outside_the_video_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="outside the video"):
        CFR.frame_at_time(2.01)
    with pytest.raises(InvalidInputError, match="frame 50 is outside"):
        CFR.check_index(50)
    with pytest.raises(InvalidInputError, match="either times"):
        parse_time_points([0.5], [3], CFR)
    assert parse_time_points(None, [3, 0], CFR) == [3, 0]


def test_a_decoder_seeks_to_the_keyframe_before_the_frame() -> None:
    assert CFR.keyframe_before(0) == 1024
    assert CFR.keyframe_before(11) == 1024
    assert CFR.keyframe_before(12) == 1024 + 512 * 12
    assert FrameTarget.of(CFR, 30) == FrameTarget(pts=1024 + 512 * 30, keyframe_pts=1024 + 512 * 24)
    assert CFR.keyframe_interval_s() == pytest.approx(0.48)
    assert not CFR.variable_frame_rate()


def test_variable_frame_rate_time_points() -> None:
    pts = (0, 10, 40, 50, 80)  # 1/100 s
    vfr = FrameIndex(time_base_num=1, time_base_den=100, frame_pts=pts, keyframe_pts=(0,), duration_s=0.9)
    assert [vfr.frame_at_time(t) for t in (0.05, 0.1, 0.39, 0.4, 0.85)] == [0, 1, 1, 2, 4]
    assert vfr.variable_frame_rate()


def test_derived_keys_are_deterministic_per_source_version() -> None:
    prefix = keys.derived_prefix(dataset_id="d1", sample_id="s1", etag='"abc/1"')
    assert prefix == "d1/s1/_abc_1_/"
    assert keys.thumbnail_key(prefix) == "d1/s1/_abc_1_/thumb.jpg"
    assert keys.derived_prefix(dataset_id="d1", sample_id="s1", etag="other") != prefix


def test_what_chromium_plays_as_it_is() -> None:
    assert browser_playable(container="mov,mp4,m4a,3gp,3g2,mj2", codec="h264")
    assert browser_playable(container="matroska,webm", codec="vp9")
    assert not browser_playable(container="mov,mp4,m4a,3gp,3g2,mj2", codec="hevc")
    assert not browser_playable(container="avi", codec="h264")
    assert not browser_playable(container=None, codec="h264")


def test_a_record_announces_its_result_with_its_source_version() -> None:
    added = AddedSample(sample_id="s1", bucket="b", key="k.mp4", size=10, etag="e1", media_kind="video")
    record = MediaRecord.queued(added, dataset_id="d1", at=utc_now())
    with pytest.raises(ValueError, match="nothing to announce"):
        record.event()
    failed = record.failed("the file is empty (0 bytes)", at=utc_now())
    event = failed.event()
    assert (event.status, event.failure_reason, event.etag, event.thumbnail_key) == (
        "failed",
        "the file is empty (0 bytes)",
        "e1",
        None,
    )
    derived = DerivedFiles(bucket="derived", thumbnail_key="t.jpg", poster_key="p.jpg", timeline_key="l.jpg")
    ready = record.succeeded(metadata=MediaMetadata(kind="video"), derived=derived, playback=None, at=utc_now())
    assert (ready.event().status, ready.event().poster_key, ready.event().derived_bucket) == (
        "ready",
        "p.jpg",
        "derived",
    )
    assert record.is_same_source(added)
    assert not record.is_same_source(added.model_copy(update={"etag": "e2"}))


def test_a_failure_reason_keeps_the_decoders_words_and_drops_the_servers_paths() -> None:
    raw = "[Errno 1094995529] Invalid data found when processing input: '/tmp/media-job-x1/source'"
    rejected = MediaRejectedError(f"not a video we can read: {raw}")
    assert rejected.reason == "not a video we can read: Invalid data found when processing input"
    assert str(rejected) == rejected.reason
    bare = MediaRejectedError("corrupt or truncated image: cannot identify image file /var/tmp/media-job-a_b/source")
    assert bare.reason == "corrupt or truncated image: cannot identify image file"
    kept = "the video stream (h264/avc) has frames of 1/25 s"
    assert MediaRejectedError(kept).reason == kept
