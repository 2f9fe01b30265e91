"""Acceptance (issue 5), through the gateway: annotations with revisions and history, video time points and
keyframe interpolation, labels edited everywhere, jobs with counts, and dataset-svc following LabelChanged."""

from __future__ import annotations

from typing import Any

import pytest
from labelstream_testing.labeling import LabelingPlatform, box

from conftest import GATEWAY_URL
from tests.support import ensure_user, eventually

pytestmark = pytest.mark.e2e


async def test_save_with_revisions_history_and_hard_example(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"ann-{unique}")
    (sample_id,) = await platform.add_images(dataset_id, ["a/cat.png"])
    base = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"

    first = await platform.save(dataset_id, sample_id, [box("cat", 1, 1, 50, 50, shape_id="s1")], revision=0)
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"1"'
    assert first.json()["status"] == "labeled"
    stale = await platform.save(dataset_id, sample_id, [box("dog", 1, 1, 5, 5)], revision=0)
    assert stale.status_code == 409
    assert stale.json()["details"]["current_revision"] == 1
    missing = await platform.gateway.put(base, json={"shapes": []})
    assert missing.status_code == 428

    flagged = await platform.gateway.put(
        f"{base}/hard-example", json={"hard_example": True}, headers={"If-Match": '"1"'}
    )
    assert flagged.status_code == 200, flagged.text
    assert flagged.json()["hard_example"] is True
    eve = await ensure_user("eve", "annotator", "eve-password-1", base_url=GATEWAY_URL)  # who: from the token
    gone = await platform.gateway.delete(f"{base}/shapes/s1", headers={"If-Match": '"2"', **eve})
    assert gone.status_code == 200, gone.text
    assert (gone.json()["revision"], gone.json()["status"], gone.json()["shapes"]) == (3, "unlabeled", [])

    history = (await platform.gateway.get(f"{base}/history")).json()["items"]
    assert [(h["revision"], h["by"], h["operation"]) for h in history] == [
        (1, "admin", "save"),
        (2, "admin", "hard_example_set"),
        (3, "eve", "shape s1 deleted"),
    ]
    assert history[0]["after"]["labels"] == {"cat": 1}
    assert history[2]["before"]["shapes"] == 1

    async def dataset_svc_follows() -> bool:
        sample = (await platform.gateway.get(f"/api/datasets/{dataset_id}/samples/{sample_id}")).json()
        return bool(sample.get("hard_example") is True and sample.get("status") == "unlabeled")

    await eventually(dataset_svc_follows, timeout=90, what="dataset-svc follows the hard-example flag")


async def test_video_time_points_and_interpolation(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"vid-{unique}", labeling_type="video_labeling")
    sample_id = await platform.add_video(dataset_id, "clips/run.mp4", duration_s=10.0, fps=25.0)
    base = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
    shapes = [
        box("cat", 0, 0, 100, 100, time_point_s=1.0, frame_index=25, object_id="o1"),
        box("cat", 100, 200, 300, 400, time_point_s=3.0, frame_index=75, object_id="o1"),
        box("dog", 10, 10, 20, 20, time_point_s=3.0, frame_index=75),
    ]
    saved = await platform.save(dataset_id, sample_id, shapes, revision=0)
    assert saved.status_code == 200, saved.text
    points = (await platform.gateway.get(f"{base}/time-points")).json()
    assert [(p["time_point_s"], p["frame_index"], p["shapes"]) for p in points] == [(1.0, 25, 1), (3.0, 75, 2)]

    middle = (await platform.gateway.get(f"{base}/frames/50")).json()
    assert len(middle) == 1 and middle[0]["interpolated"] is True
    assert middle[0]["shape"]["points"] == [[50.0, 100.0], [200.0, 250.0]]
    assert (await platform.gateway.get(f"{base}/frames/10")).json() == []

    past_end = await platform.save(dataset_id, sample_id, [box("cat", 0, 0, 5, 5, time_point_s=12.5)], revision=1)
    assert past_end.status_code == 422
    assert past_end.json()["details"][0]["rule"] == "time_point_outside_video"
    cleared = await platform.gateway.delete(f"{base}/shapes", params={"time_point_s": 3.0}, headers={"If-Match": '"1"'})
    assert cleared.status_code == 200, cleared.text
    assert [s["time_point_s"] for s in cleared.json()["shapes"]] == [1.0]


async def test_labels_added_renamed_and_deleted_everywhere(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"lbl-{unique}", labels=("cat",))
    ids = await platform.add_images(dataset_id, ["one.png", "two.png"])
    added = await platform.gateway.post(
        f"/api/labeling/datasets/{dataset_id}/labels", json={"name": "bird", "color": "#123456"}
    )
    assert added.status_code == 201, added.text
    for sample_id in ids:
        saved = await platform.save(
            dataset_id, sample_id, [box("cat", 1, 1, 9, 9), box("bird", 2, 2, 8, 8)], revision=0
        )
        assert saved.status_code == 200, saved.text

    renamed = await platform.gateway.patch(
        f"/api/labeling/datasets/{dataset_id}/labels/bird", json={"name": "parrot", "color": "#654321"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["samples_changed"] == 2
    for sample_id in ids:
        labels = sorted(s["label"] for s in (await platform.annotation(dataset_id, sample_id))["shapes"])
        assert labels == ["cat", "parrot"]

    deleted = await platform.gateway.delete(f"/api/labeling/datasets/{dataset_id}/labels/cat")
    assert deleted.status_code == 200, deleted.text
    assert [lb["name"] for lb in deleted.json()["dataset"]["labels"]] == ["parrot"]
    for sample_id in ids:
        body = await platform.annotation(dataset_id, sample_id)
        assert ([s["label"] for s in body["shapes"]], body["revision"]) == (["parrot"], 3)


async def test_jobs_with_counts_and_synchronization(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"job-{unique}")
    ids = await platform.add_images(dataset_id, ["x/1.png", "x/2.png", "x/3.png"])
    created = await platform.gateway.post("/api/labeling/jobs", json={"dataset_id": dataset_id, "name": "first pass"})
    assert created.status_code == 201, created.text
    job: dict[str, Any] = created.json()
    assert job["labeling_type"] == "object_detection"
    listed = (await platform.gateway.get("/api/labeling/jobs", params={"dataset_id": dataset_id})).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    of_type = (await platform.gateway.get("/api/labeling/jobs", params={"labeling_type": "video_labeling"})).json()
    assert job["id"] not in [j["id"] for j in of_type["items"]]

    saved = await platform.save(dataset_id, ids[0], [box("cat", 1, 1, 9, 9), box("cat", 3, 3, 5, 5)], revision=0)
    assert saved.status_code == 200, saved.text
    details = (await platform.gateway.get(f"/api/labeling/jobs/{job['id']}")).json()
    assert details["counts"] == {"all": 3, "unlabeled": 2, "labeled": 1}
    assert {lb["name"]: lb["samples"] for lb in details["labels"]} == {"cat": 1, "dog": 0}

    await platform.add_images(dataset_id, ["x/4.png"])
    synced = await platform.gateway.post(f"/api/labeling/jobs/{job['id']}/synchronize")
    assert synced.status_code == 200, synced.text
    assert synced.json()["new_samples"] == 1  # the job started with the first three
    again = await platform.gateway.post(f"/api/labeling/jobs/{job['id']}/synchronize")
    assert again.json()["new_samples"] == 0
