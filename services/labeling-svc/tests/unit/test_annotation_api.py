"""The annotation API and event handlers over the in-memory fakes: saves with revisions, 422 with nothing saved,
409 on stale writes, history, deletions returning a sample to Unlabeled, labels edited everywhere, tombstones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from labeling_svc.app.purge import purge_once
from labelstream_shared.clock import utc_now
from labelstream_shared.events import DatasetDeleted, DatasetUpdated, LabelSetChanged
from labelstream_shared.events.contracts import LabelDefinition
from labelstream_shared.events.topics import LABELS_LATEST
from labelstream_testing.events import dataset_created
from labelstream_testing.labeling import (
    InMemoryLabeling,
    box,
    data_added,
    image_processed,
    sample_id_of,
    samples_deleted,
)

CAT = LabelDefinition(name="cat", color="#111111")
DOG = LabelDefinition(name="dog", color="#222222")
A, B = sample_id_of("d1", "a.png"), sample_id_of("d1", "b.png")
URL = "/api/labeling/datasets/d1/samples/{}/annotation"


@pytest.fixture
async def labeling() -> InMemoryLabeling:
    labeling = InMemoryLabeling()
    await labeling.deliver(
        dataset_created("d1", labeling_type="object_detection", labels=(CAT, DOG)),
        image_processed("d1", A, width=100, height=80),  # before its DataAdded: kept for it
        data_added("d1", ["a.png", "b.png"]),
    )
    return labeling


@pytest.fixture
async def client(labeling: InMemoryLabeling) -> AsyncIterator[httpx.AsyncClient]:
    app = labeling.app()
    async with app.router.lifespan_context(app), labeling.client(app) as client:
        yield client


async def save(
    client: httpx.AsyncClient, sample_id: str, shapes: list[dict[str, Any]], revision: int, *, user: str = "tester"
) -> httpx.Response:
    headers = {"If-Match": f'"{revision}"', "X-User": user}
    return await client.put(URL.format(sample_id), json={"shapes": shapes}, headers=headers)


async def test_a_save_lands_once_and_a_stale_one_gets_409(
    client: httpx.AsyncClient, labeling: InMemoryLabeling
) -> None:
    first = await save(client, A, [box("cat", 1, 1, 50, 50, shape_id="s1")], 0)
    assert first.status_code == 200, first.text
    assert (first.json()["revision"], first.json()["bounds_checked"], first.headers["etag"]) == (1, True, '"1"')
    stale = await save(client, A, [box("dog", 1, 1, 5, 5)], 0)
    assert stale.status_code == 409
    assert stale.json()["details"] == {"current_revision": 1, "based_on_revision": 0}
    body_revision = await client.put(URL.format(A), json={"shapes": [], "base_revision": 1})
    assert body_revision.status_code == 200
    assert body_revision.json()["status"] == "unlabeled"
    assert [(t, e.revision) for t, e in labeling.label_events()][-2:] == [("labelstream.labels", 2), (LABELS_LATEST, 2)]


async def test_an_invalid_write_is_refused_whole(client: httpx.AsyncClient, labeling: InMemoryLabeling) -> None:
    assert (await save(client, A, [box("cat", 1, 1, 5, 5)], 0)).status_code == 200
    before = (await client.get(URL.format(A))).json()
    events = len(labeling.run.state.outbox)
    bad = await save(client, A, [box("cat", 1, 1, 5, 5), box("cat", 90, 70, 120, 79)], 1)
    assert bad.status_code == 422
    assert bad.json()["details"][0] | {"message": ""} == {
        "pointer": "/shapes/1",
        "shape_index": 1,
        "shape_id": bad.json()["details"][0]["shape_id"],
        "rule": "outside_frame",
        "message": "",
    }
    assert (await client.get(URL.format(A))).json() == before
    assert len(labeling.run.state.outbox) == events
    assert len((await client.get(f"{URL.format(A)}/history")).json()["items"]) == 1


async def test_without_media_the_bounds_are_not_checked_and_the_answer_says_so(client: httpx.AsyncClient) -> None:
    saved = await save(client, B, [box("cat", 1000, 1000, 2000, 2000)], 0)
    assert saved.status_code == 200
    assert saved.json()["bounds_checked"] is False


async def test_deleting_shapes_labels_and_samples(client: httpx.AsyncClient, labeling: InMemoryLabeling) -> None:
    shapes = [box("cat", 1, 1, 5, 5, shape_id="c"), box("dog", 2, 2, 6, 6, shape_id="d")]
    assert (await save(client, A, shapes, 0)).status_code == 200
    missing = await client.delete(f"{URL.format(A)}/shapes/nope", headers={"If-Match": '"1"'})
    assert missing.status_code == 404
    one = await client.delete(f"{URL.format(A)}/shapes/c", headers={"If-Match": '"1"'})
    assert [s["shape_id"] for s in one.json()["shapes"]] == ["d"]
    added = await client.post("/api/labeling/datasets/d1/labels", json={"name": "owl", "color": "#333333"})
    assert added.status_code == 201
    assert (
        await client.post("/api/labeling/datasets/d1/labels", json={"name": "owl", "color": "#333333"})
    ).status_code == 409
    renamed = await client.patch("/api/labeling/datasets/d1/labels/dog", json={"name": "hound"})
    assert renamed.json()["samples_changed"] == 1
    assert [s["label"] for s in (await client.get(URL.format(A))).json()["shapes"]] == ["hound"]
    deleted = await client.delete("/api/labeling/datasets/d1/labels/hound")
    assert deleted.json()["samples_changed"] == 1
    assert (await client.patch("/api/labeling/datasets/d1/labels/cat", json={"color": "#111111"})).status_code == 200
    assert (
        await client.post("/api/labeling/datasets/d1/labels", json={"name": " CAT", "color": "#333333"})
    ).status_code == 409
    # every edit of the set (and only an edit: the unchanged colour above is none) is announced, revision by revision
    sets = [p for p in (o.envelope.payload() for o in labeling.run.state.outbox) if isinstance(p, LabelSetChanged)]
    assert [(e.revision, [lb.name for lb in e.labels]) for e in sets] == [
        (1, ["cat", "dog", "owl"]),
        (2, ["cat", "hound", "owl"]),
        (3, ["cat", "owl"]),
    ]
    assert sets[1].change.renamed[0].model_dump() == {"old": "dog", "new": "hound"}
    assert (sets[0].change.added, sets[2].change.removed) == (("owl",), ("hound",))
    current = (await client.get("/api/labeling/datasets/d1")).json()
    assert current["label_set_revision"] == 3
    after = (await client.get(URL.format(A))).json()
    assert (after["status"], after["revision"], after["labeled_by"]) == ("unlabeled", 4, None)
    history = (await client.get(f"{URL.format(A)}/history")).json()["items"]
    assert [h["operation"] for h in history] == [
        "save",
        "shape c deleted",
        "label 'dog' renamed to 'hound'",
        "label 'hound' deleted",
    ]

    await labeling.deliver(samples_deleted("d1", [A]))
    assert (await client.get(URL.format(A))).status_code == 404
    assert [(t.topic, t.key) for t in labeling.run.state.tombstones] == [(LABELS_LATEST, A)]
    topic, last = labeling.label_events()[-1]
    assert (topic, last.revision, last.shapes, last.summary) == ("labelstream.labels", 5, (), "sample deleted")

    await labeling.deliver(data_added("d1", ["a.png"]))  # added again (a later sync): revisions go on
    again = (await client.get(URL.format(A))).json()
    assert (again["revision"], again["shapes"], again["bounds_checked"]) == (5, [], True)
    assert (await client.get(f"{URL.format(A)}/history")).json()["items"] == []
    assert (await save(client, A, [box("cat", 1, 1, 5, 5)], 5)).json()["revision"] == 6


async def test_dataset_updates_rename_only_and_deletion_tombstones_labeled_samples(
    client: httpx.AsyncClient, labeling: InMemoryLabeling
) -> None:
    assert (await save(client, B, [box("cat", 1, 1, 5, 5)], 0)).status_code == 200
    owl = LabelDefinition(name="owl", color="#444444")
    await labeling.deliver(DatasetUpdated(dataset_id="d1", name="renamed", labels=(owl,), updated_at=utc_now()))
    dataset = (await client.get("/api/labeling/datasets/d1")).json()
    # labeling owns the label set: the labels of dataset-svc's event (its projection) change nothing here
    assert (dataset["name"], [lb["name"] for lb in dataset["labels"]]) == ("renamed", ["cat", "dog"])
    await labeling.deliver(DatasetDeleted(dataset_id="d1", deleted_at=utc_now()))
    assert (await client.get("/api/labeling/datasets/d1")).status_code == 404
    assert await purge_once(labeling.run, batch=1) == 2  # in the background, a batch per transaction
    assert [t.key for t in labeling.run.state.tombstones] == [B]
    assert (await client.get(URL.format(B))).status_code == 404
    assert await purge_once(labeling.run) == 0


async def test_jobs_count_and_filter_their_samples(client: httpx.AsyncClient) -> None:
    assert (await save(client, A, [box("cat", 1, 1, 5, 5)], 0)).status_code == 200
    job = (await client.post("/api/labeling/jobs", json={"dataset_id": "d1", "name": "j"})).json()
    assert (await client.post("/api/labeling/jobs", json={"dataset_id": "nope", "name": "j"})).status_code == 404
    details = (await client.get(f"/api/labeling/jobs/{job['id']}")).json()
    assert details["counts"] == {"all": 2, "unlabeled": 1, "labeled": 1}
    assert details["labels"] == [
        {"name": "cat", "color": "#111111", "samples": 1},
        {"name": "dog", "color": "#222222", "samples": 0},
    ]
    page = (await client.get(f"/api/labeling/jobs/{job['id']}/samples", params={"tab": "unlabeled"})).json()
    assert [s["id"] for s in page["items"]] == [B]
    video_jobs = (await client.get("/api/labeling/jobs", params={"labeling_type": "video_labeling"})).json()
    assert video_jobs["items"] == []


async def test_labelers_are_who_labeled_the_labeled_samples(
    client: httpx.AsyncClient, labeling: InMemoryLabeling
) -> None:
    url = "/api/labeling/datasets/d1/labelers"
    assert (await client.get(url)).json() == {"items": []}
    await save(client, A, [box("cat", 1, 1, 5, 5)], 0, user="zoe")
    await save(client, B, [box("dog", 1, 1, 5, 5)], 0, user="amy")
    assert (await client.get(url)).json() == {
        "items": [{"username": "amy", "samples": 1}, {"username": "zoe", "samples": 1}]
    }
    await save(client, B, [box("dog", 1, 1, 5, 5)], 1, user="zoe")  # the last to change it counts
    assert (await client.get(url)).json() == {"items": [{"username": "zoe", "samples": 2}]}
    cleared = await client.delete(f"{URL.format(A)}/shapes", headers={"If-Match": '"1"', "X-User": "amy"})
    assert cleared.status_code == 200
    assert (await client.get(url)).json() == {"items": [{"username": "zoe", "samples": 1}]}  # unlabeled: not counted
    assert (await client.get("/api/labeling/datasets/nope/labelers")).status_code == 404
