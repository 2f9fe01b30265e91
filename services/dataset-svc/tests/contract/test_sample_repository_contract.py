"""One contract, two implementations: the in-memory sample repository must behave like the MongoDB one."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dataset_svc.adapters.mongo import ensure_indexes
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.app.ports import SampleCountRepository, SampleRepository
from dataset_svc.domain.samples import Sample, SampleCounts, SampleQuery
from labelstream_shared.mongo import Document
from labelstream_shared.sample_listing import SamplePosition
from labelstream_testing.dataset import sample
from labelstream_testing.dataset_fakes import InMemorySampleCountRepository, InMemorySampleRepository
from labelstream_testing.uow import InMemoryState
from pymongo.asynchronous.database import AsyncDatabase

D, OTHER = "d1", "d2"
SAMPLES = [
    sample(D, "a/cat1.jpg", status="labeled", labeled_by="ann", label_counts={"cat": 2}),
    sample(D, "a/Cat2.JPG", status="labeled", labeled_by="bob", label_counts={"cat": 1, "dog": 1}),
    sample(D, "a/dog1.jpg", status="labeled", labeled_by="ann", label_counts={"dog": 3}, hard_example=True),
    sample(D, "b/empty.jpg"),
    sample(D, "b/hard.mp4", hard_example=True),
    sample(D, "b/catalog.png"),
    sample(D, "c/a+b(1).jpg", status="labeled", labeled_by="ann", label_counts={"car.v2": 1, "$weird": 4}),
    sample(OTHER, "a/cat1.jpg"),
]


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def repositories(request: pytest.FixtureRequest) -> tuple[SampleRepository, SampleCountRepository]:
    if request.param == "memory":
        state = InMemoryState()
        return InMemorySampleRepository(state), InMemorySampleCountRepository(state)
    db = request.getfixturevalue("indexed_db")
    return MongoSampleRepository(db), MongoSampleCountRepository(db)


@pytest.fixture
def repository(repositories: tuple[SampleRepository, SampleCountRepository]) -> SampleRepository:
    return repositories[0]


@pytest.fixture
async def stored(repository: SampleRepository) -> SampleRepository:
    assert await repository.add_new(SAMPLES) == SAMPLES
    return repository


def keys(samples: list[Sample]) -> list[str]:
    return [s.key for s in samples]


async def test_adding_is_idempotent_per_sample_id(repository: SampleRepository) -> None:
    a, b, c = sample(D, "a.jpg"), sample(D, "b.jpg"), sample(D, "c.jpg")
    assert await repository.add_new([a, b]) == [a, b]
    b_again = b.model_copy(update={"size": 1, "source_missing": True})
    assert await repository.add_new([b_again, c, c]) == [c]
    assert await repository.get(D, b.id) == b
    assert {s.id for s in await repository.get_many([a.id, c.id, "nope", a.id])} == {a.id, c.id}
    assert await repository.add_new([]) == []


async def test_reads_stay_inside_their_dataset_but_get_many_does_not(stored: SampleRepository) -> None:
    theirs = SAMPLES[-1]
    assert await stored.get(D, theirs.id) is None
    assert await stored.get(OTHER, theirs.id) == theirs
    assert await stored.get_many([theirs.id]) == [theirs]
    found = await stored.find_objects(D, [("raw-data", "a/cat1.jpg"), ("elsewhere", "b/empty.jpg"), ("raw-data", "x")])
    assert found == [SAMPLES[0]]


async def test_save_all_replaces_stored_samples_only(stored: SampleRepository) -> None:
    changed = SAMPLES[0].model_copy(update={"source_missing": True, "label_counts": {"cat": 5}})
    await stored.save_all([changed, sample(D, "never-added.jpg")])
    await stored.save_all([])
    assert await stored.get(D, changed.id) == changed
    assert await stored.get(D, sample(D, "never-added.jpg").id) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            SampleQuery(),
            ["a/Cat2.JPG", "a/cat1.jpg", "a/dog1.jpg", "b/catalog.png", "b/empty.jpg", "b/hard.mp4", "c/a+b(1).jpg"],
        ),
        (SampleQuery(tab="unlabeled"), ["b/catalog.png", "b/empty.jpg", "b/hard.mp4"]),
        (SampleQuery(tab="labeled", hard_example=False), ["a/Cat2.JPG", "a/cat1.jpg", "c/a+b(1).jpg"]),
        (SampleQuery(hard_example=True), ["a/dog1.jpg", "b/hard.mp4"]),
        (SampleQuery(labels=("dog", "bird")), ["a/Cat2.JPG", "a/dog1.jpg"]),
        (SampleQuery(labels=("car.v2",)), ["c/a+b(1).jpg"]),
        (SampleQuery(labels=("$weird",), labeled_by="ann"), ["c/a+b(1).jpg"]),
        (SampleQuery(labeled_by="ann", tab="labeled"), ["a/cat1.jpg", "a/dog1.jpg", "c/a+b(1).jpg"]),
        (SampleQuery(labeled_by="nobody"), []),
        (SampleQuery(name="CAT"), ["a/Cat2.JPG", "a/cat1.jpg", "b/catalog.png"]),
        (SampleQuery(name="+b(1)"), ["c/a+b(1).jpg"]),  # regex characters are literal
        (SampleQuery(name="a.jpg"), []),  # '.' is not a wildcard
        (SampleQuery(name="jpg", hard_example=True, labels=("dog",), labeled_by="ann"), ["a/dog1.jpg"]),
    ],
)
async def test_tabs_and_filters_combine(stored: SampleRepository, query: SampleQuery, expected: list[str]) -> None:
    assert keys(await stored.find(D, query=query, limit=100)) == expected
    matching = [s for s in SAMPLES if s.dataset_id == D and query.for_tab("all").matches(s)]
    assert await stored.count(D, query=query) == SampleCounts.of(matching)


async def test_counts_of_each_tab_ignore_the_tab_asked_for(stored: SampleRepository) -> None:
    counts = SampleCounts(unlabeled=3, labeled=4)
    for tab in ("all", "unlabeled", "labeled"):
        assert await stored.count(D, query=SampleQuery(tab=tab)) == counts
    assert await stored.count("empty", query=SampleQuery()) == SampleCounts()


async def test_pages_have_no_gaps_or_repeats_while_samples_are_added_between_them(repository: SampleRepository) -> None:
    rng = random.Random(7)
    initial = [sample(D, f"k{rng.randrange(1000):03d}/{i}.jpg", hard_example=i % 3 == 0) for i in range(40)]
    initial += [sample(D, "k500/same.jpg").model_copy(update={"id": f"same-{i}"}) for i in range(5)]  # equal keys
    await repository.add_new(initial)
    query = SampleQuery(hard_example=False)
    seen: list[Sample] = []
    after: SamplePosition | None = None
    added_later: list[Sample] = []
    while page := await repository.find(D, query=query, limit=6, after=after):
        seen += page
        after = SamplePosition.of(page[-1])
        more = [sample(D, f"k{rng.randrange(1000):03d}/late{len(added_later) + i}.jpg") for i in range(3)]
        added_later += await repository.add_new(more)
    order = [(s.key, s.id) for s in seen]
    assert order == sorted(set(order))  # in order, no repeats
    expected = [s for s in initial if query.matches(s)]
    assert {s.id for s in expected} <= {s.id for s in seen}  # no gaps
    assert {s.id for s in seen} <= {s.id for s in expected + added_later}


async def test_removing_goes_in_batches_and_only_in_the_dataset(stored: SampleRepository) -> None:
    assert await stored.remove_some(D, limit=4) == 4
    assert await stored.remove_some(D, limit=4) == 3
    assert await stored.remove_some(D, limit=4) == 0
    assert await stored.find(D, query=SampleQuery(), limit=10) == []
    assert await stored.get(OTHER, SAMPLES[-1].id) == SAMPLES[-1]


async def test_counters_add_up_and_go_away(repositories: tuple[Any, SampleCountRepository]) -> None:
    _, counters = repositories
    assert await counters.get(D) == SampleCounts()
    await counters.add(D, SampleCounts())
    await counters.add(D, SampleCounts(unlabeled=5))
    await counters.add(D, SampleCounts(unlabeled=-1, labeled=2))
    assert await counters.get(D) == SampleCounts(unlabeled=4, labeled=2)
    await counters.remove(D)
    await counters.remove(D)
    assert await counters.get(D) == SampleCounts()


async def test_names_match_ignoring_the_case_of_accented_letters(repository: SampleRepository) -> None:
    await repository.add_new([sample(D, "été/Ärger.jpg"), sample(D, "straße.jpg"), sample(D, "other.jpg")])
    assert keys(await repository.find(D, query=SampleQuery(name="ÉTÉ/ä"), limit=10)) == ["été/Ärger.jpg"]
    assert keys(await repository.find(D, query=SampleQuery(name="STRAßE"), limit=10)) == ["straße.jpg"]


async def test_a_name_with_a_nul_character_matches_literally(repository: SampleRepository) -> None:
    """Found by the API fuzz: MongoDB refused the regex of a name holding a NUL character (a 500)."""
    await repository.add_new([sample(D, "a/cat1.jpg"), sample(D, "a/cat\x00.jpg")])
    assert keys(await repository.find(D, query=SampleQuery(name="\x00"), limit=10)) == ["a/cat\x00.jpg"]
    assert keys(await repository.find(D, query=SampleQuery(name="T\x00."), limit=10)) == ["a/cat\x00.jpg"]
