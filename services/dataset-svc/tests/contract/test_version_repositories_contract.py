"""One contract, two implementations: the in-memory repositories of labels, deletions, versions (with their
heads and used objects) and the new sample queries behave like the MongoDB ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from dataset_svc.adapters.mongo import ensure_indexes
from dataset_svc.adapters.mongo_jobs import MongoSampleDeletionRepository, MongoSampleLabelRepository
from dataset_svc.adapters.mongo_samples import MongoSampleCountRepository, MongoSampleRepository
from dataset_svc.adapters.mongo_versions import (
    MongoVersionHeadRepository,
    MongoVersionObjectRepository,
    MongoVersionRepository,
)
from dataset_svc.app.ports import (
    SampleCountRepository,
    SampleDeletionRepository,
    SampleLabelRepository,
    SampleRepository,
    VersionHeadRepository,
    VersionObjectRepository,
    VersionRepository,
)
from dataset_svc.domain.deletion import ObjectReference, SampleDeletion, SampleSelection, SourceObject
from dataset_svc.domain.labels import LabelStatistics, SampleLabels
from dataset_svc.domain.samples import SampleCounts, SampleQuery
from dataset_svc.domain.versions import Version
from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import BucketPath, LabelStatistic
from labelstream_shared.jobs import Claim
from labelstream_shared.mongo import Document
from labelstream_shared.sample_listing import SamplePosition
from labelstream_testing.dataset import OUTPUT_BUCKET, sample, shape
from labelstream_testing.dataset_fakes import InMemorySampleCountRepository, InMemorySampleRepository
from labelstream_testing.dataset_fakes_versions import (
    InMemorySampleDeletionRepository,
    InMemorySampleLabelRepository,
    InMemoryVersionHeadRepository,
    InMemoryVersionObjectRepository,
    InMemoryVersionRepository,
)
from labelstream_testing.uow import InMemoryState
from pymongo.asynchronous.database import AsyncDatabase

D, OTHER = "d1", "d2"
OUT = BucketPath(bucket=OUTPUT_BUCKET, prefix="cats")


@dataclass
class Repositories:
    samples: SampleRepository
    counters: SampleCountRepository
    labels: SampleLabelRepository
    deletions: SampleDeletionRepository
    versions: VersionRepository
    heads: VersionHeadRepository
    objects: VersionObjectRepository


@pytest.fixture
async def indexed_db(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    await ensure_indexes(mongo_db)
    yield mongo_db


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.integration)])
def repos(request: pytest.FixtureRequest) -> Repositories:
    if request.param == "memory":
        state = InMemoryState()
        return Repositories(
            InMemorySampleRepository(state),
            InMemorySampleCountRepository(state),
            InMemorySampleLabelRepository(state),
            InMemorySampleDeletionRepository(state),
            InMemoryVersionRepository(state),
            InMemoryVersionHeadRepository(state),
            InMemoryVersionObjectRepository(state),
        )
    db = request.getfixturevalue("indexed_db")
    return Repositories(
        MongoSampleRepository(db),
        MongoSampleCountRepository(db),
        MongoSampleLabelRepository(db),
        MongoSampleDeletionRepository(db),
        MongoVersionRepository(db),
        MongoVersionHeadRepository(db),
        MongoVersionObjectRepository(db),
    )


def version(number: int, *, dataset_id: str = D, status: str = "publishing") -> Version:
    created = Version.create(dataset_id=dataset_id, number=number, output_path=OUT)
    return created.model_copy(update={"status": status, "created_at": utc_now() + timedelta(milliseconds=number)})


async def test_labels_are_kept_per_sample_and_purged_per_dataset(repos: Repositories) -> None:
    labels = SampleLabels(id="s1", dataset_id=D, revision=3, shapes=(shape("cat"),), changed_at=utc_now())
    await repos.labels.save_all([labels, labels.model_copy(update={"id": "s2", "shapes": ()})])
    await repos.labels.save_all([labels.model_copy(update={"id": "s3", "dataset_id": OTHER})])
    await repos.labels.save_all([])
    newer = labels.model_copy(update={"revision": 4, "labeled_by": "bob"})
    await repos.labels.save_all([newer])
    assert await repos.labels.get("s1") == newer
    assert await repos.labels.get("nope") is None
    assert set(await repos.labels.get_many(["s1", "s2", "nope", "s1"])) == {"s1", "s2"}
    assert await repos.labels.remove_some(D, limit=1) == 1
    assert await repos.labels.remove_some(D, limit=5) == 1
    assert await repos.labels.get_many(["s1", "s2"]) == {} and await repos.labels.get("s3") is not None


async def test_version_heads_number_without_repeats_and_keep_the_current_version(repos: Repositories) -> None:
    assert [await repos.heads.next_number(D) for _ in range(3)] == [1, 2, 3]
    assert await repos.heads.next_number(OTHER) == 1
    assert await repos.heads.current(D) is None
    await repos.heads.set_current(D, "v2")
    await repos.heads.set_current(D, "v2")
    assert await repos.heads.current(D) == "v2" and await repos.heads.current(OTHER) is None
    assert await repos.heads.next_number(D) == 4  # setting the current one leaves the numbering alone
    await repos.heads.set_current(D, None)
    assert await repos.heads.current(D) is None
    await repos.heads.set_current("fresh", "v9")
    assert await repos.heads.current("fresh") == "v9" and await repos.heads.next_number("fresh") == 1
    await repos.heads.remove(D)
    assert await repos.heads.current(D) is None


async def test_versions_are_listed_newest_first_without_those_being_deleted(repos: Repositories) -> None:
    v1, v2, v3, v4 = version(1, status="published"), version(2, status="published"), version(3), version(4)
    theirs = version(1, dataset_id=OTHER, status="published")
    for v in (v2, v1, v3, theirs, v4):
        await repos.versions.add(v)
    await repos.versions.save(v4.deleting())
    assert [v.number for v in await repos.versions.list(D, limit=10)] == [3, 2, 1]
    assert [v.number for v in await repos.versions.list(D, limit=1, before=3)] == [2]
    assert await repos.versions.get(v1.id) == v1
    assert (await repos.versions.get(v4.id)) == v4.deleting()
    assert await repos.versions.latest_published(D) == v2
    assert await repos.versions.latest_published("none") is None
    assert await repos.versions.visible([v1.id, v4.id, "nope", theirs.id]) == {v1.id, theirs.id}
    statistics = LabelStatistics(samples=2, labels=(LabelStatistic(label="cat", shapes=1, samples=1),))
    published = v3.published(statistics=statistics, label_set=("cat",))
    await repos.versions.save(published)
    assert await repos.versions.get(v3.id) == published
    await repos.versions.remove(v1.id)
    assert await repos.versions.get(v1.id) is None
    assert await repos.versions.remove_some(D, limit=10) == 3
    assert await repos.versions.list(OTHER, limit=5) == [theirs]


async def test_jobs_are_claimed_oldest_first_once_and_again_only_when_their_owner_goes_silent(
    repos: Repositories,
) -> None:
    v1, v2, done = version(1), version(2), version(3, status="published")
    for v in (v2, done, v1):
        await repos.versions.add(v)
    assert await repos.versions.claim_next(owner="a", stale_after_s=60) == Claim(v1.id, attempts=1)
    assert await repos.versions.claim_next(owner="b", stale_after_s=60) == Claim(v2.id, attempts=1)
    assert await repos.versions.claim_next(owner="c", stale_after_s=60) is None
    assert await repos.versions.heartbeat(v1.id, owner="a")
    assert not await repos.versions.heartbeat(v1.id, owner="b")
    assert await repos.versions.claim_next(owner="c", stale_after_s=-1) == Claim(v1.id, attempts=2)  # "a" was silent
    assert not await repos.versions.heartbeat(v1.id, owner="a")
    await repos.versions.save(v1.published(statistics=LabelStatistics(), label_set=()))  # done: the claim goes with it
    await repos.versions.save(v1.published(statistics=LabelStatistics(), label_set=()).deleting())  # a new job
    assert await repos.versions.claim_next(owner="d", stale_after_s=60) == Claim(v1.id, attempts=1)
    await repos.versions.save(v2.failed("broken"))  # no longer active
    assert await repos.versions.claim_next(owner="e", stale_after_s=-1) == Claim(v1.id, attempts=2)


async def test_deletions_keep_their_progress_and_claim(repos: Repositories) -> None:
    selection = SampleSelection.of(sample_ids=None, query=SampleQuery(tab="labeled", labels=("a.b", "$c")))
    deletion = SampleDeletion.create(dataset_id=D, selection=selection, delete_source=True, batch_size=10)
    await repos.deletions.add(deletion)
    assert await repos.deletions.get(deletion.id) == deletion
    assert await repos.deletions.claim_next(owner="a", stale_after_s=60) == Claim(deletion.id, attempts=1)
    moved = deletion.advanced(deleted=10, position=SamplePosition(key="k", id="i"))
    await repos.deletions.save(moved)
    assert await repos.deletions.get(deletion.id) == moved
    assert await repos.deletions.heartbeat(deletion.id, owner="a")  # still claimed while running
    await repos.deletions.save(moved.succeeded())
    assert not await repos.deletions.heartbeat(deletion.id, owner="a")
    assert await repos.deletions.claim_next(owner="b", stale_after_s=-1) is None
    ids = SampleSelection.of(sample_ids=["x", "y"], query=None)
    await repos.deletions.add(SampleDeletion.create(dataset_id=OTHER, selection=ids, delete_source=False))
    assert await repos.deletions.remove_some(D, limit=10) == 1
    assert await repos.deletions.get(deletion.id) is None


async def test_versions_record_the_objects_they_use(repos: Repositories) -> None:
    a, b, c = SourceObject("raw", "a.jpg"), SourceObject("raw", "b.jpg"), SourceObject("other", "a.jpg")
    await repos.objects.add(dataset_id=D, version_id="v1", objects=[a, b])
    await repos.objects.add(dataset_id=D, version_id="v2", objects=[a, c])
    await repos.objects.add(dataset_id=OTHER, version_id="w1", objects=[b])
    await repos.objects.add(dataset_id=D, version_id="v3", objects=[])
    used = await repos.objects.users_of([a, c, SourceObject("raw", "z.jpg")])
    assert sorted(used) == sorted([ObjectReference("v1", a), ObjectReference("v2", a), ObjectReference("v2", c)])
    assert await repos.objects.remove_some(dataset_id=D, version_id="v1", limit=1) == 1
    assert await repos.objects.remove_some(dataset_id=D, version_id="v1", limit=5) == 1
    assert await repos.objects.remove_some_of_dataset(D, limit=5) == 2
    assert await repos.objects.users_of([a, b]) == [ObjectReference("w1", b)]


async def test_samples_are_removed_by_id_within_their_dataset_and_their_objects_users_found(
    repos: Repositories,
) -> None:
    mine = [sample(D, "a.jpg"), sample(D, "b.jpg"), sample(D, "c.jpg")]
    theirs = [sample(OTHER, "a.jpg"), sample(OTHER, "b.jpg"), sample("d3", "b.jpg")]
    await repos.samples.add_new([*mine, *theirs])
    objects = [SourceObject.of(s) for s in mine]
    users = await repos.samples.users_of(objects, other_than=D)
    assert sorted(users) == sorted(ObjectReference(s.dataset_id, SourceObject.of(s)) for s in theirs)
    assert await repos.samples.existing_ids(D, [mine[0].id, theirs[0].id, "nope"]) == {mine[0].id}
    await repos.samples.remove(D, [mine[0].id, theirs[0].id])
    await repos.samples.remove(D, [])
    assert [s.key for s in await repos.samples.find(D, query=SampleQuery(), limit=10)] == ["b.jpg", "c.jpg"]
    assert await repos.samples.get(OTHER, theirs[0].id) == theirs[0]


async def test_touching_the_counters_leaves_the_counts(repos: Repositories) -> None:
    await repos.counters.add(D, SampleCounts(unlabeled=2, labeled=1))
    await repos.counters.touch(D)
    await repos.counters.touch("fresh")
    assert await repos.counters.get(D) == SampleCounts(unlabeled=2, labeled=1)
    assert await repos.counters.get("fresh") == SampleCounts()
