"""Issue 11 (points 4 and 6), through the running gateway: login throttling answers 429 with Retry-After, a JSON body
over its route's limit 413 naming the limit, a malformed id 422 and an unknown one 404 on every route, a video frame
past the end 422 naming the frame count, a failed media's reason carries no server path, and an annotation whose
event Kafka could not carry 413 (nothing saved, the relay goes on)."""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from labelstream_testing.labeling import LabelingPlatform, box, started_producer
from labelstream_testing.media_samples import make_video

from conftest import KAFKA_BOOTSTRAP
from tests.storage import ensure_bucket, minio_client
from tests.support import admin_headers, dataset_known_to_sync, eventually, gateway_client, read_topic

pytestmark = pytest.mark.e2e


@pytest.fixture
async def admin() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(), timeout=60) as client:
        yield client


async def test_logins_are_throttled_per_user_name_with_429_and_retry_after(
    admin: httpx.AsyncClient, unique: str
) -> None:
    name = f"slow-{unique}"
    made = await admin.post("/api/auth/users", json={"username": name, "password": "pw-12345", "role": "viewer"})
    assert made.status_code == 201, made.text
    async with gateway_client({}) as anyone:
        for _ in range(5):
            wrong = await anyone.post("/api/auth/login", json={"username": name, "password": "wrong"})
            assert wrong.status_code == 401, wrong.text
        throttled = await anyone.post("/api/auth/login", json={"username": name, "password": "pw-12345"})
        assert throttled.status_code == 429, throttled.text
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert throttled.json()["error"] == "too_many_attempts"
        assert "try again in" in throttled.json()["message"] and "UTC" in throttled.json()["message"]


async def test_a_json_body_over_the_limit_is_413_naming_it(admin: httpx.AsyncClient) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    declared = await admin.post("/api/datasets", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413, declared.text
    assert "limit of 1 MiB" in declared.json()["message"]

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = await admin.post("/api/datasets", content=chunked(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["details"] == {"limit_bytes": 1024 * 1024}


async def test_a_malformed_id_is_422_and_an_unknown_one_404_on_every_route(admin: httpx.AsyncClient) -> None:
    unknown, malformed = "0" * 32, "no such id!"
    routes = [
        ("GET", "/api/datasets/{id}"),
        ("DELETE", "/api/datasets/{id}"),
        ("GET", "/api/datasets/{id}/samples"),
        ("GET", "/api/datasets/{id}/versions/{id}"),
        ("GET", "/api/labeling/jobs/{id}"),
        ("GET", "/api/labeling/datasets/{id}/samples/{id}/annotation"),
        ("PUT", "/api/labeling/datasets/{id}/samples/{id}/annotation"),
        ("GET", "/api/media/datasets/{id}/samples/{id}"),
        ("GET", "/api/sync/runs/{id}"),
        ("GET", "/api/sync/imports/{id}"),
        ("POST", "/api/sync/datasets/{id}/runs"),
        ("GET", "/api/files/datasets/{id}/samples/{id}"),
    ]
    for method, route in routes:
        bad = await admin.request(method, route.replace("{id}", malformed), json={"shapes": []})
        assert bad.status_code == 422, (method, route, bad.text)
        assert "not an id" in bad.json()["message"], (method, route, bad.text)
        if method == "GET":
            missing = await admin.get(route.replace("{id}", unknown))
            assert missing.status_code == 404, (method, route, missing.text)


async def test_a_frame_past_the_videos_end_is_422_and_a_failed_medias_reason_has_no_path(
    admin: httpx.AsyncClient, unique: str
) -> None:
    bucket, prefix = f"e2e-door-{unique}", f"door-{unique}/"
    await asyncio.to_thread(ensure_bucket, minio_client(), bucket)
    clip = Path(tempfile.mkdtemp(prefix="e2e-door-")) / "clip.mp4"
    make_video(clip, frames=40)
    for name, content in {"clip.mp4": clip.read_bytes(), "broken.mp4": b"not a video at all " * 100}.items():
        await asyncio.to_thread(minio_client().put_object, bucket, f"{prefix}{name}", io.BytesIO(content), len(content))
    dataset_id = await dataset_known_to_sync(
        admin, name=f"door {unique}", bucket=bucket, prefix=prefix, labeling_type="video_labeling"
    )
    assert (await admin.post(f"/api/sync/datasets/{dataset_id}/runs")).status_code == 202
    samples: dict[str, dict[str, object]] = {}

    async def processed() -> bool:
        page = (await admin.get(f"/api/datasets/{dataset_id}/samples")).json()
        samples.update({s["file_name"]: s for s in page["items"]})
        return len(samples) == 2 and all(s["media_status"] != "pending" for s in samples.values())

    await eventually(processed, timeout=120, what="both samples processed")
    broken = samples["broken.mp4"]
    reason = str(broken["media_failure_reason"])
    assert broken["media_status"] == "failed" and reason, broken
    assert "/tmp" not in reason and "media-job" not in reason and "Errno" not in reason, reason
    record = (await admin.get(f"/api/media/datasets/{dataset_id}/samples/{broken['id']}")).json()
    assert record["failure_reason"] == reason

    frames = f"/api/labeling/datasets/{dataset_id}/samples/{samples['clip.mp4']['id']}/annotation/frames"
    past_the_end: list[httpx.Response] = []

    async def refused() -> bool:  # once labeling has learnt the video's frame count
        past_the_end[:] = [await admin.get(f"{frames}/999")]
        return past_the_end[0].status_code == 422

    await eventually(refused, timeout=30, what="frame 999 refused")
    assert "frame 999 is outside the video (40 frames: 0 to 39)" in past_the_end[0].json()["message"]
    last = await admin.get(f"{frames}/39")
    assert (last.status_code, last.json()) == (200, [])


def _zigzag(row: int) -> dict[str, Any]:
    """A valid polygon of 6,000 integer points (a band with zigzag edges) in a 4000 x 3000 image."""
    top, bottom = 100 + row * 200, 200 + row * 200
    lower = [[10 + x, top + x % 2] for x in range(3000)]
    upper = [[10 + x, bottom + x % 2] for x in reversed(range(3000))]
    return {"shape_id": f"band{row}", "kind": "polygon", "label": "cat", "points": lower + upper}


async def test_an_annotation_whose_event_kafka_cannot_carry_is_413_and_the_relay_goes_on(
    unique: str, platform_buckets: tuple[str, ...]
) -> None:
    """Under the gateway's limit, but its LabelChanged (every point as a float) is over the 1,000,000 bytes an event
    may carry: refused with nothing saved, instead of a 200 whose event then stops labeling-svc's outbox relay."""
    producer = await started_producer(KAFKA_BOOTSTRAP)
    try:
        async with gateway_client(await admin_headers(), timeout=120) as gateway:
            platform = LabelingPlatform(gateway, producer)
            dataset_id = await platform.create_dataset(f"door-{unique}")
            (sample_id,) = await platform.add_images(dataset_id, ["big.png"], width=4000, height=3000)
            body = json.dumps({"shapes": [_zigzag(row) for row in range(14)]}, separators=(",", ":")).encode()
            assert 900_000 < len(body) < 1024 * 1024
            url = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
            headers = {"If-Match": '"0"', "Content-Type": "application/json"}
            refused = await gateway.put(url, content=body, headers=headers)
            assert refused.status_code == 413, refused.text[:300]
            assert "LabelChanged" in refused.json()["message"] and "nothing was saved" in refused.json()["message"]
            assert (await platform.annotation(dataset_id, sample_id))["revision"] == 0
            saved = await platform.save(dataset_id, sample_id, [box("cat", 10, 10, 20, 20)], revision=0)
            assert saved.status_code == 200, saved.text
    finally:
        await producer.stop()

    async def announced() -> bool:
        events = await read_topic(KAFKA_BOOTSTRAP, "labelstream.labels", timeout_ms=2000)
        return any(e.get("subject") == sample_id for e in events)

    await eventually(announced, timeout=30, what="the small save's LabelChanged published")
