"""One body, two backends (the fakes and MongoDB): samples with early media, annotation saves guarded by revision,
listing filters equal to the domain's own filter, label lookups, labelers, removal, history paging."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from labeling_svc.adapters.mongo import MongoLabelingTransaction, ensure_indexes
from labeling_svc.app.ports import LabelingTransaction
from labeling_svc.domain.annotations import Annotation, HistoryEntry, Labeler, RevisionSummary
from labeling_svc.domain.imports import ImportedShapes
from labeling_svc.domain.samples import LabelingSample, MediaResult, SampleQuery
from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import AnnotationChange, Shape
from labelstream_shared.mongo import Document, MongoTransactionRunner
from labelstream_shared.sample_listing import SamplePosition
from labelstream_shared.uow import TransactionRunner
from labelstream_testing.labeling import added, image_processed
from labelstream_testing.labeling_fakes import in_memory_runner
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

LABELS = ("cat", "dog", "bird")


@pytest.fixture
async def mongo_run(
    mongo_client: AsyncMongoClient[Document], mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[TransactionRunner[LabelingTransaction]]:
    await ensure_indexes(mongo_db)
    yield MongoTransactionRunner(
        client=mongo_client,
        db=mongo_db,
        make=lambda db, session: MongoLabelingTransaction(source="/labelstream/labeling-svc", db=db, session=session),
    )


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def run(request: pytest.FixtureRequest) -> TransactionRunner[LabelingTransaction]:
    if request.param == "memory":
        return in_memory_runner()
    runner: TransactionRunner[LabelingTransaction] = request.getfixturevalue("mongo_run")
    return runner


def samples_of(dataset_id: str, keys: list[str]) -> list[LabelingSample]:
    return [LabelingSample.from_added(added(dataset_id, k), dataset_id=dataset_id, at=utc_now()) for k in keys]


def shapes(labels: list[str]) -> tuple[Shape, ...]:
    return tuple(
        Shape(shape_id=f"s{i}", kind="rectangle", label=label, points=((1, 1), (5, 5)))
        for i, label in enumerate(labels)
    )


async def test_samples_media_and_guarded_saves(run: TransactionRunner[LabelingTransaction]) -> None:
    a, b = samples_of("d1", ["a.png", "b.png"])
    media = image_processed("d1", a.id, width=10, height=20).metadata
    assert media is not None

    async def early_media(tx: LabelingTransaction) -> None:
        await tx.samples.set_media_results([MediaResult(dataset_id="d1", sample_id=a.id, media=media)])
        assert await tx.samples.get(a.id) is None  # not added yet: not listed either
        assert await tx.samples.find("d1", query=SampleQuery(), limit=10) == []

    await run(early_media)

    async def add(tx: LabelingTransaction) -> list[str]:
        return [s.id for s in await tx.samples.add_new([a, b, a])]

    assert await run(add) == [a.id, b.id]
    assert await run(add) == []

    async def save(tx: LabelingTransaction) -> tuple[bool, bool]:
        sample = await tx.samples.get(a.id)
        assert sample is not None and sample.media == media
        before = await tx.annotations.get(a.id)
        assert before is not None and before.revision == 0
        after, _ = before.replaced(shapes(["cat", "cat"]), labeled_by="ann")
        stale = after.model_copy(update={"revision": 7})
        return await tx.annotations.save(after, expected_revision=0), await tx.annotations.save(
            stale, expected_revision=0
        )

    assert await run(save) == (True, False)

    async def read(tx: LabelingTransaction) -> tuple[LabelingSample | None, Annotation | None, list[Annotation]]:
        return (
            await tx.samples.get(a.id),
            await tx.annotations.get(a.id),
            await tx.annotations.with_label("d1", "cat", limit=5),
        )

    sample, annotation, with_cat = await run(read)
    assert sample is not None and annotation is not None
    assert (sample.status, sample.labeled_by, sample.label_counts, sample.revision) == ("labeled", "ann", {"cat": 2}, 1)
    assert [x.id for x in with_cat] == [a.id]

    async def remove(tx: LabelingTransaction) -> dict[str, int]:
        removed = await tx.samples.remove("d1", [a.id, b.id, "nope"])
        assert await tx.samples.get(a.id) is None
        assert await tx.annotations.get(a.id) is None
        return removed

    assert await run(remove) == {a.id: 2, b.id: 0}  # the deletion of a labeled sample is its next revision

    async def add_again(tx: LabelingTransaction) -> tuple[int, int, tuple[Shape, ...]]:
        (again, _) = await tx.samples.add_new([a, b])
        annotation = await tx.annotations.get(a.id)
        assert annotation is not None
        return again.revision, annotation.revision, annotation.shapes

    assert await run(add_again) == (2, 2, ())

    async def purge(tx: LabelingTransaction) -> tuple[list[str], dict[str, int], dict[str, int], list[str]]:
        datasets = await tx.samples.dataset_ids()
        first, rest = await tx.samples.remove_some("d1", limit=1), await tx.samples.remove_some("d1", limit=5)
        return datasets, first, rest, await tx.samples.dataset_ids()

    datasets, first, rest, left = await run(purge)
    assert (datasets, left) == (["d1"], [])
    assert {**first, **rest} == {a.id: 2, b.id: 0}
    assert len(first) == 1


async def test_listing_filters_equal_the_domain_filter(run: TransactionRunner[LabelingTransaction]) -> None:
    rng = random.Random(3)
    keys = [f"{folder}/{n:02d}.png" for folder, n in itertools.product(("pets", "wild", "Pets2"), range(15))]
    samples = samples_of("d1", keys) + samples_of("d2", ["pets/00.png"])

    async def setup(tx: LabelingTransaction) -> None:
        await tx.samples.add_new(samples)
        for sample in samples:
            before = await tx.annotations.get(sample.id)
            assert before is not None
            after, _ = before.replaced(
                shapes([rng.choice(LABELS) for _ in range(rng.choice((0, 1, 2)))]),
                labeled_by=rng.choice(("ann", "bob")),
            )
            if rng.random() < 0.3:
                after = after.model_copy(update={"hard_example": True})
            await tx.annotations.save(after, expected_revision=0)

    await run(setup)

    async def everything(tx: LabelingTransaction) -> list[LabelingSample]:
        return await tx.samples.find("d1", query=SampleQuery(), limit=1000)

    stored = await run(everything)
    assert len(stored) == len(keys)
    queries = [
        SampleQuery(),
        SampleQuery(tab="labeled"),
        SampleQuery(tab="unlabeled", hard_example=True),
        SampleQuery(labels=("cat", "bird")),
        SampleQuery(labels=("dog",), tab="labeled", labeled_by="bob"),
        SampleQuery(name="PETS/"),
        SampleQuery(name="1", hard_example=False, labeled_by="ann"),
    ]
    for query in queries:
        expected = [s.id for s in sorted(stored, key=lambda s: (s.key, s.id)) if query.matches(s)]

        async def page_through(tx: LabelingTransaction, query: SampleQuery = query) -> tuple[list[str], int]:
            found: list[str] = []
            after = None
            while page := await tx.samples.find("d1", query=query, limit=4, after=after):
                found += [s.id for s in page]
                after = SamplePosition.of(page[-1])
            counts = await tx.samples.count("d1", query=query)
            return found, counts.all if query.tab == "all" else getattr(counts, query.tab)

        assert await run(page_through) == (expected, len(expected)), query

    async def labelers(tx: LabelingTransaction) -> tuple[list[Labeler], list[Labeler]]:
        return await tx.annotations.labelers("d1"), await tx.annotations.labelers("nope")

    by = Counter(s.labeled_by for s in stored if s.status == "labeled")
    assert await run(labelers) == ([Labeler(username=u, samples=n) for u, n in sorted(by.items())], [])


async def test_history_pages_in_revision_order(run: TransactionRunner[LabelingTransaction]) -> None:
    empty = Annotation.empty(sample_id="s1", dataset_id="d1")
    summary = RevisionSummary.of(empty)

    async def record(tx: LabelingTransaction) -> None:
        for revision in (3, 1, 2, 10):
            await tx.history.add(
                HistoryEntry(
                    id=HistoryEntry.id_for("s1", revision),
                    sample_id="s1",
                    dataset_id="d1",
                    revision=revision,
                    by="ann",
                    at=utc_now(),
                    operation="save",
                    summary="save",
                    change=AnnotationChange(),
                    before=summary,
                    after=summary,
                )
            )

    await run(record)

    async def pages(tx: LabelingTransaction) -> list[list[int]]:
        first = await tx.history.list("s1", limit=3)
        second = await tx.history.list("s1", limit=3, after=first[-1].id)
        return [[e.revision for e in first], [e.revision for e in second]]

    assert await run(pages) == [[1, 2, 3], [10]]


async def test_failed_media_and_imports_held_until_media_is_known(run: TransactionRunner[LabelingTransaction]) -> None:
    a, b = samples_of("d1", ["a.png", "b.png"])
    early = samples_of("d1", ["early.png"])[0]

    def held(sample_id: str, import_id: str, line: int) -> ImportedShapes:
        return ImportedShapes(import_id=import_id, sample_id=sample_id, shapes=shapes(["cat"]), line=line, item="x")

    async def setup(tx: LabelingTransaction) -> None:
        failed = MediaResult(dataset_id="d1", sample_id=early.id, media=None)
        await tx.samples.set_media_results([failed])  # before its DataAdded: kept
        await tx.samples.add_new([a, b, early])
        await tx.samples.hold_import(held(a.id, "i1", 1))
        await tx.samples.hold_import(held(a.id, "i2", 7))
        await tx.samples.hold_import(held("never-added", "i1", 2))  # not added: nothing to hold it on

    await run(setup)

    async def check(tx: LabelingTransaction) -> None:
        found = {s.id: s for s in await tx.samples.find("d1", query=SampleQuery(), limit=10)}
        assert [(found[i].media_failed, found[i].media_settled) for i in (a.id, early.id)] == [
            (False, False),
            (True, True),
        ]
        assert await tx.samples.holding_imports([a.id, b.id, "never-added", a.id]) == {a.id}
        assert await tx.samples.take_held_imports(a.id) == [held(a.id, "i1", 1), held(a.id, "i2", 7)]
        assert await tx.samples.holding_imports([a.id]) == set()
        assert await tx.samples.take_held_imports(a.id) == []
        assert await tx.samples.take_held_imports(b.id) == []
        assert await tx.samples.take_held_imports("never-added") == []
        media = image_processed("d1", early.id).metadata
        assert media is not None
        await tx.samples.set_media_results([MediaResult(dataset_id="d1", sample_id=early.id, media=media)])
        sample = await tx.samples.get(early.id)
        assert sample is not None and (sample.media, sample.media_failed) == (media, False)
        failed = MediaResult(dataset_id="d1", sample_id=early.id, media=None)
        await tx.samples.set_media_results([failed])  # a failed result keeps the size
        sample = await tx.samples.get(early.id)
        assert sample is not None and (sample.media, sample.media_failed) == (media, True)
        await tx.samples.hold_import(held(b.id, "i3", 3))
        await tx.samples.remove("d1", [b.id])  # a removed sample's held imports go with it
        await tx.samples.add_new([b])
        assert await tx.samples.take_held_imports(b.id) == []

    await run(check)
