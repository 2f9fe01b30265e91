"""Rules of samples and datasets, without IO."""

from __future__ import annotations

import base64

import pytest
from dataset_svc.domain.datasets import Dataset
from dataset_svc.domain.samples import MediaResult, SampleCounts, SampleQuery, file_name_of, new_samples
from labelstream_shared.clock import utc_now
from labelstream_shared.errors import InvalidInputError
from labelstream_shared.events.contracts import LabelDefinition, MediaMetadata, MediaPlayback
from labelstream_shared.sample_listing import SamplePosition
from labelstream_testing.dataset import added_sample, dataset, sample


@pytest.mark.parametrize(
    ("key", "name"), [("a/b/cat.jpg", "cat.jpg"), ("cat.jpg", "cat.jpg"), ("dir/", ""), ("a/.hidden", ".hidden")]
)
def test_the_file_name_is_the_last_segment_of_the_key(key: str, name: str) -> None:
    assert file_name_of(key) == name


def test_new_samples_keep_one_per_sample_id() -> None:
    first, again = added_sample("d", "a.jpg", size=1), added_sample("d", "a.jpg", size=2)
    made = new_samples([first, again, added_sample("d", "b.jpg")], dataset_id="d", at=utc_now())
    assert [(s.key, s.size) for s in made] == [("a.jpg", 1), ("b.jpg", 1000)]


def test_a_query_matches_every_condition_at_once() -> None:
    labeled = sample("d", "Dir/Cat.PNG", status="labeled", labeled_by="ann", label_counts={"cat": 1, "dog": 0})
    assert SampleQuery().matches(labeled)
    assert SampleQuery(tab="labeled", labels=("bird", "cat"), name="dir/cat", labeled_by="ann").matches(labeled)
    assert not SampleQuery(tab="unlabeled").matches(labeled)
    assert not SampleQuery(labels=("dog",)).matches(labeled)  # a label without shapes does not count
    assert not SampleQuery(hard_example=True).matches(labeled)
    assert not SampleQuery(labeled_by="bob").matches(labeled)
    assert not SampleQuery(name="cat.jpg").matches(labeled)


def test_only_filters_other_than_the_tab_make_a_query_filtered() -> None:
    assert not SampleQuery(tab="labeled").is_filtered
    assert not SampleQuery(name="").is_filtered
    assert SampleQuery(hard_example=False).is_filtered
    assert SampleQuery(labels=("cat",)).is_filtered
    assert SampleQuery(tab="labeled").for_tab("all") == SampleQuery()


def test_counts_add_up_to_all() -> None:
    counts = SampleCounts.of([sample("d", "a"), sample("d", "b", status="labeled"), sample("d", "c")])
    assert (counts.all, counts.unlabeled, counts.labeled) == (3, 2, 1)


def test_cursors_round_trip_and_order_by_key_then_id() -> None:
    position = SamplePosition(key="ünïcode/ñ + spaces & = .jpg", id="abc")
    assert SamplePosition.from_cursor(position.to_cursor()) == position
    assert position.is_before(sample("d", position.key + "x"))
    assert not position.is_before(sample("d", "a"))


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'["only-one"]').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"42").decode(),
    ],
)
def test_a_cursor_that_was_not_made_here_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidInputError, match=r"^cursor: "):
        SamplePosition.from_cursor(cursor)


def test_source_and_media_changes() -> None:
    at = utc_now()
    failed = sample("d", "a.jpg").media_processed(MediaResult(status="failed", failure_reason="zero bytes"), at=at)
    assert (failed.media_status, failed.media_failure_reason) == ("failed", "zero bytes")
    replaced = failed.source_gone(at=at).source_replaced(size=9, etag="e2", at=at)
    assert (replaced.media_status, replaced.media_failure_reason, replaced.source_missing) == ("pending", None, False)
    meta = MediaMetadata(kind="image", width=1, height=1)
    result = MediaResult(status="ready", metadata=meta, failure_reason="ignored", thumbnail_key="t")
    ready = replaced.media_processed(result, at=at)
    assert (ready.media, ready.media_failure_reason, ready.thumbnail_key) == (meta, None, "t")


def test_a_media_result_of_another_source_version_is_stale() -> None:
    at = utc_now()
    replaced = sample("d", "a.mp4").source_replaced(size=9, etag="e2", at=at)
    playback = MediaPlayback(mode="transcode", status="pending", codec="h264")
    stale = MediaResult(status="ready", thumbnail_key="old", etag="e1")
    assert replaced.media_processed(stale, at=at) == replaced
    fresh = MediaResult(
        status="ready", thumbnail_key="t", poster_key="p", timeline_key="l", playback=playback, etag="e2"
    )
    ready = replaced.media_processed(fresh, at=at)
    assert (ready.media_status, ready.poster_key, ready.timeline_key, ready.playback) == ("ready", "p", "l", playback)


def test_editing_a_dataset_keeps_its_paths_and_checks_its_rules() -> None:
    d = dataset("cats", labels=("cat",))
    assert d.edited() is d and d.edited(name=" cats ") is d
    edited = d.edited(description="new", labels=d.labels)
    assert (edited.description, edited.input_path, edited.created_at) == ("new", d.input_path, d.created_at)
    assert edited.updated_at is not None and edited.labels == d.labels
    with pytest.raises(InvalidInputError, match="name: must not be blank"):
        d.edited(name="  ")
    with pytest.raises(InvalidInputError, match="owns it") as refused:
        d.edited(labels=(LabelDefinition(name="dog", color="#000000"),))
    assert refused.value.code == "label_set_owned_by_labeling"
    twice = (LabelDefinition(name="a", color="#000000"), LabelDefinition(name="A", color="#000000"))
    with pytest.raises(InvalidInputError, match="duplicate label name"):
        Dataset.create(
            name="x",
            description="",
            labeling_type="object_detection",
            input_path=d.input_path,
            output_path=d.output_path,
            labels=twice,
        )
