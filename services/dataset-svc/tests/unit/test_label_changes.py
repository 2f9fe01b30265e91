"""LabelChanged on the in-memory fakes: a sample's status, labeled-by and per-label counts follow its labels,
with the tab counters; stale revisions are ignored; labels read before their sample wait for it."""

from __future__ import annotations

import pytest
from dataset_svc.domain.labels import LabelTally
from dataset_svc.domain.samples import Sample, SampleCounts
from labelstream_shared.clock import utc_now
from labelstream_shared.events import LabelSetChanged, SamplesProjected
from labelstream_shared.events.contracts import LabelDefinition, LabelSetChange, LabelStatistic
from labelstream_testing.dataset import data_added, dataset, deliver, label_changed, sample, sample_id, shape
from labelstream_testing.dataset_fakes import (
    InMemoryDatasetRepository,
    InMemoryDatasetTransaction,
    InMemorySampleCountRepository,
    InMemorySampleRepository,
    in_memory_runner,
)
from labelstream_testing.dataset_fakes_versions import InMemorySampleLabelRepository
from labelstream_testing.events import event_bytes
from labelstream_testing.uow import InMemoryTransactionRunner

Runner = InMemoryTransactionRunner[InMemoryDatasetTransaction]


@pytest.fixture
async def run() -> Runner:
    return in_memory_runner()


async def add_dataset(run: Runner, name: str = "cats") -> str:
    d = dataset(name, labels=("cat", "dog"))

    async def work(tx: InMemoryDatasetTransaction) -> None:
        await tx.datasets.add(d)

    await run(work)
    return d.id


async def one(run: Runner, dataset_id: str, key: str) -> Sample:
    found = await InMemorySampleRepository(run.state).get(dataset_id, sample_id(dataset_id, key))
    assert found is not None
    return found


async def counts(run: Runner, dataset_id: str) -> SampleCounts:
    return await InMemorySampleCountRepository(run.state).get(dataset_id)


async def test_a_sample_with_shapes_is_labeled_and_returns_to_unlabeled_when_its_last_label_goes(run: Runner) -> None:
    d = await add_dataset(run)
    await deliver(run, data_added(d, ["a.jpg", "b.jpg"]))
    assert await deliver(run, label_changed(d, "a.jpg", revision=1, labels=["cat", "cat", "dog"])) == "applied"
    a = await one(run, d, "a.jpg")
    assert (a.status, a.labeled_by, a.label_counts, a.label_revision) == ("labeled", "ann", {"cat": 2, "dog": 1}, 1)
    assert await counts(run, d) == SampleCounts(unlabeled=1, labeled=1)

    await deliver(run, label_changed(d, "a.jpg", revision=2, labels=["dog"], labeled_by="bob"))
    a = await one(run, d, "a.jpg")
    assert (a.status, a.labeled_by, a.label_counts) == ("labeled", "bob", {"dog": 1})
    assert await counts(run, d) == SampleCounts(unlabeled=1, labeled=1)

    await deliver(run, label_changed(d, "a.jpg", revision=3, labels=[], labeled_by="bob"))
    a = await one(run, d, "a.jpg")
    assert (a.status, a.labeled_by, a.label_counts, a.label_revision) == ("unlabeled", None, {}, 3)
    assert await counts(run, d) == SampleCounts(unlabeled=2)


async def test_a_revision_not_newer_than_the_one_applied_is_ignored(run: Runner) -> None:
    d = await add_dataset(run)
    await deliver(run, data_added(d, ["a.jpg"]))
    await deliver(run, label_changed(d, "a.jpg", revision=5, labels=["cat"]))
    for stale in (label_changed(d, "a.jpg", revision=4, labels=[]), label_changed(d, "a.jpg", revision=5, labels=[])):
        assert await deliver(run, stale) == "applied"  # consumed, without effect
    a = await one(run, d, "a.jpg")
    assert (a.status, a.label_counts, a.label_revision) == ("labeled", {"cat": 1}, 5)
    kept = await InMemorySampleLabelRepository(run.state).get(a.id)
    assert kept is not None and kept.revision == 5 and [s.label for s in kept.shapes] == ["cat"]
    assert await counts(run, d) == SampleCounts(labeled=1)


async def test_the_same_change_twice_counts_once(run: Runner) -> None:
    d = await add_dataset(run)
    await deliver(run, data_added(d, ["a.jpg"]))
    change = label_changed(d, "a.jpg", revision=1, labels=["cat"])
    raw = event_bytes(change)
    assert [await deliver(run, raw), await deliver(run, raw)] == ["applied", "duplicate"]  # the ledger
    assert await deliver(run, change) == "applied"  # the same change in a new envelope: same revision, no effect
    assert await counts(run, d) == SampleCounts(labeled=1)


async def test_labels_read_before_their_sample_are_applied_when_it_is_added(run: Runner) -> None:
    d = await add_dataset(run)
    await deliver(run, label_changed(d, "a.jpg", revision=1, labels=["cat"]))
    await deliver(run, label_changed(d, "a.jpg", revision=2, labels=["cat", "dog"], labeled_by="bob"))
    await deliver(run, label_changed(d, "a.jpg", revision=1, labels=[]))  # late and stale
    assert await counts(run, d) == SampleCounts()
    await deliver(run, data_added(d, ["a.jpg", "b.jpg"]))
    a = await one(run, d, "a.jpg")
    assert (a.status, a.labeled_by, a.label_counts, a.label_revision) == ("labeled", "bob", {"cat": 1, "dog": 1}, 2)
    assert await counts(run, d) == SampleCounts(unlabeled=1, labeled=1)


async def test_labels_of_unknown_datasets_are_ignored(run: Runner) -> None:
    assert await deliver(run, label_changed("gone", "a.jpg", revision=1, labels=["cat"])) == "applied"
    assert run.state.collection("sample_labels") == {}


def test_counts_change_with_the_status_of_samples() -> None:
    before = [sample("d", "a.jpg"), sample("d", "b.jpg", status="labeled")]
    after = [sample("d", "a.jpg", status="labeled"), sample("d", "b.jpg", status="labeled")]
    assert SampleCounts.change(before, after) == SampleCounts(unlabeled=-1, labeled=1)
    assert SampleCounts.change(before, []) == SampleCounts(unlabeled=-1, labeled=-1)
    assert SampleCounts.change(after, after).is_zero


def test_the_label_tally_counts_shapes_and_samples_per_label_and_lists_unused_labels_of_the_set() -> None:
    tally = LabelTally(["cat", "dog", "bird"])
    tally.add([shape("cat"), shape("cat"), shape("dog")])
    tally.add([shape("cat"), shape("car")])
    tally.add([])
    result = tally.result()
    assert (result.samples, result.labeled_samples, result.shapes) == (3, 2, 5)
    assert result.labels == (
        LabelStatistic(label="bird", shapes=0, samples=0),
        LabelStatistic(label="car", shapes=1, samples=1),
        LabelStatistic(label="cat", shapes=3, samples=2),
        LabelStatistic(label="dog", shapes=1, samples=1),
    )


async def test_the_hard_example_flag_follows_labeling_and_an_event_without_it_keeps_it(run: Runner) -> None:
    d = await add_dataset(run)
    await deliver(run, data_added(d, ["a.jpg"]))
    await deliver(run, label_changed(d, "a.jpg", revision=1, labels=["cat"], hard_example=True))
    assert (await one(run, d, "a.jpg")).hard_example is True
    await deliver(run, label_changed(d, "a.jpg", revision=2, labels=["cat"]))
    assert (await one(run, d, "a.jpg")).hard_example is True
    await deliver(run, label_changed(d, "a.jpg", revision=3, labels=[], hard_example=False))
    a = await one(run, d, "a.jpg")
    assert (a.hard_example, a.status) == (False, "unlabeled")


async def test_the_label_set_follows_labelings_revisions_and_ignores_stale_ones(run: Runner) -> None:
    dataset_id = await add_dataset(run)

    def label_set(revision: int, *names: str) -> LabelSetChanged:
        labels = tuple(LabelDefinition(name=n, color="#123456") for n in names)
        return LabelSetChanged(
            dataset_id=dataset_id, revision=revision, labels=labels, change=LabelSetChange(), changed_at=utc_now()
        )

    await deliver(run, label_set(2, "feline", "zebra"))
    await deliver(run, label_set(1, "feline", "dog"))  # older: ignored
    await deliver(run, label_set(2, "cat"))  # the same revision again: ignored
    stored = await InMemoryDatasetRepository(run.state).get(dataset_id)
    assert stored is not None
    assert ([lb.name for lb in stored.labels], stored.label_set_revision) == (["feline", "zebra"], 2)
    await deliver(run, label_set(3, "zebra"))
    stored = await InMemoryDatasetRepository(run.state).get(dataset_id)
    assert stored is not None and [lb.name for lb in stored.labels] == ["zebra"]


def announced(run: Runner) -> list[list[tuple[str, int | None]]]:
    """The samples of each SamplesProjected in the outbox, in order; the outbox is emptied."""
    found = [
        [(s.sample_id, s.revision) for s in SamplesProjected.model_validate(e.envelope.data).samples]
        for e in run.state.outbox
        if e.envelope.type == SamplesProjected.event_type()
    ]
    run.state.outbox.clear()
    return found


async def test_what_the_listing_shows_now_is_announced_with_the_label_revision_it_holds(run: Runner) -> None:
    d = await add_dataset(run)
    a, b = sample_id(d, "a.jpg"), sample_id(d, "b.jpg")
    await deliver(run, label_changed(d, "b.jpg", revision=3, labels=["cat"]))
    assert announced(run) == []  # held for a sample the listing does not show yet
    await deliver(run, data_added(d, ["a.jpg", "b.jpg"]))
    assert announced(run) == [[(a, None), (b, 3)]]  # one announcement for the whole event
    await deliver(run, label_changed(d, "a.jpg", revision=1, labels=["dog"]))
    assert announced(run) == [[(a, 1)]]
    await deliver(run, label_changed(d, "b.jpg", revision=2, labels=["dog"]))
    assert announced(run) == []  # stale: the listing holds revision 3, announced before
