"""Acceptance (issue 4): media of synced samples is probed and gets thumbnails, posters and timelines; hostile files
end as failed samples with a reason while good ones keep flowing; exact frames and the playable video are served
through the gateway."""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import cv2
import httpx
import numpy as np
import pytest
from labelstream_testing.media_samples import hostile_corpus, make_image, make_video

from conftest import GATEWAY_URL
from tests.storage import ensure_bucket, minio_client
from tests.support import admin_headers, dataset_known_to_sync, eventually, gateway_client

pytestmark = pytest.mark.e2e
DERIVED_BUCKET = "labelstream-derived"  # media-svc's LS_DERIVED_BUCKET on the platform


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(await admin_headers(base_url=GATEWAY_URL), base_url=GATEWAY_URL, timeout=60) as client:
        yield client


def put(bucket: str, key: str, content: bytes) -> None:
    minio_client().put_object(bucket, key, io.BytesIO(content), len(content))


async def dataset_on(gateway: httpx.AsyncClient, *, name: str, bucket: str, prefix: str) -> str:
    return await dataset_known_to_sync(gateway, name=name, bucket=bucket, prefix=prefix, labeling_type="video_labeling")


async def sync(gateway: httpx.AsyncClient, dataset_id: str) -> None:
    started = await gateway.post(f"/api/sync/datasets/{dataset_id}/runs")
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]

    async def done() -> bool:
        return (await gateway.get(f"/api/sync/runs/{run_id}")).json()["status"] in ("succeeded", "failed")

    await eventually(done, timeout=60, what="sync run finished")


async def processed_samples(gateway: httpx.AsyncClient, dataset_id: str, count: int) -> dict[str, dict[str, Any]]:
    """The dataset's samples by file name, once `count` of them have a media result."""
    found: dict[str, dict[str, Any]] = {}

    async def all_processed() -> bool:
        page = (await gateway.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 200})).json()
        found.clear()
        found.update({s["file_name"]: s for s in page["items"]})
        return len(found) >= count and all(s["media_status"] != "pending" for s in found.values())

    await eventually(all_processed, timeout=180, what=f"{count} samples processed")
    return found


def shown_at(path: Path, t: float) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The frame a full sequential decode shows at t."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append((float(frame.time or 0), np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)))
    first = frames[0][0]
    return [rgb for time, rgb in frames if time - first <= t + 1e-9][-1]


async def test_media_pipeline_through_the_gateway(gateway: httpx.AsyncClient, unique: str) -> None:
    bucket = f"e2e-media-{unique}"
    prefix = f"media-{unique}/"
    await asyncio.to_thread(ensure_bucket, minio_client(), bucket)
    work = Path(tempfile.mkdtemp(prefix="e2e-media-"))
    clip, old = work / "clip.mp4", work / "old.avi"
    make_video(clip, width=320, height=240, frames=75, gop=25)
    make_video(old, codec="mpeg4", frames=25)
    hostile = hostile_corpus(work)
    good = {"clip.mp4": clip.read_bytes(), "old.avi": old.read_bytes(), "photo.jpg": make_image(orientation=6)}
    for name, content in {**hostile, **good}.items():
        await asyncio.to_thread(put, bucket, f"{prefix}{name}", content)
    dataset_id = await dataset_on(gateway, bucket=bucket, prefix=prefix, name=f"media {unique}")
    await sync(gateway, dataset_id)

    # sync-svc skips what has no recognisable name or content (empty objects without a known extension)
    samples = await processed_samples(gateway, dataset_id, len(hostile) + len(good))
    for name in hostile:
        assert samples[name]["media_status"] == "failed", (name, samples[name])
        assert samples[name]["media_failure_reason"], name
    photo, video = samples["photo.jpg"], samples["clip.mp4"]
    assert (photo["media_status"], photo["media"]["width"], photo["media"]["height"]) == ("ready", 200, 320)
    assert video["media_status"] == "ready", video
    assert (video["media"]["frame_count"], video["media"]["codec"], video["playback"]["mode"]) == (75, "h264", "source")
    assert video["thumbnail_key"] and video["poster_key"] and video["timeline_key"]

    media = f"/api/media/datasets/{dataset_id}/samples/{video['id']}"
    thumbnail = await gateway.get(f"{media}/thumbnail")
    assert (thumbnail.status_code, thumbnail.headers["content-type"]) == (200, "image/jpeg")
    for t in (1.0, 2.47, 0.5):
        answer = await gateway.get(f"{media}/frame", params={"t": t})
        assert answer.status_code == 200, answer.text
        bgr = cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_COLOR)
        assert bgr is not None
        got = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        expected = shown_at(clip, t)
        assert float(np.mean(np.abs(got.astype(np.int16) - expected.astype(np.int16)))) < 4, t
    outside = await gateway.get(f"{media}/frame", params={"t": 99})
    assert outside.status_code == 422 and "outside the video" in outside.json()["message"]
    ranged = await gateway.get(f"{media}/video", headers={"Range": "bytes=0-99"})
    assert (ranged.status_code, len(ranged.content)) == (206, 100)
    assert ranged.content == good["clip.mp4"][:100]

    # good samples added after the hostile ones are processed normally
    await asyncio.to_thread(put, bucket, f"{prefix}after.jpg", make_image(width=64, height=48))
    await sync(gateway, dataset_id)
    after = await processed_samples(gateway, dataset_id, len(hostile) + len(good) + 1)
    assert after["after.jpg"]["media_status"] == "ready"

    # the AVI is not playable in Chromium: a background transcode to H.264/MP4, then the sample says so
    avi = after["old.avi"]

    async def transcoded() -> bool:
        sample = (await gateway.get(f"/api/datasets/{dataset_id}/samples/{avi['id']}")).json()
        return bool(sample["playback"] and sample["playback"]["status"] == "ready")

    await eventually(transcoded, timeout=120, what="the AVI transcoded")
    playable = await gateway.get(f"/api/media/datasets/{dataset_id}/samples/{avi['id']}/video")
    assert (playable.status_code, playable.headers["content-type"]) == (200, "video/mp4")
    assert playable.content[4:8] == b"ftyp"


def derived_files_of(dataset_id: str) -> list[str]:
    listed = minio_client().list_objects(DERIVED_BUCKET, prefix=f"{dataset_id}/", recursive=True)
    return [o.object_name for o in listed if o.object_name]


async def test_a_deleted_datasets_derived_files_are_purged(gateway: httpx.AsyncClient, unique: str) -> None:
    bucket = f"e2e-media-{unique}"
    prefix = f"purge-{unique}/"
    await asyncio.to_thread(ensure_bucket, minio_client(), bucket)
    for n in range(3):
        await asyncio.to_thread(put, bucket, f"{prefix}photo-{n}.jpg", make_image(width=64 + n))
    dataset_id = await dataset_on(gateway, bucket=bucket, prefix=prefix, name=f"purge {unique}")
    await sync(gateway, dataset_id)
    samples = await processed_samples(gateway, dataset_id, 3)
    assert {s["media_status"] for s in samples.values()} == {"ready"}
    assert len(await asyncio.to_thread(derived_files_of, dataset_id)) == 3  # a thumbnail each

    assert (await gateway.delete(f"/api/datasets/{dataset_id}")).status_code in (200, 202, 204)

    async def purged() -> bool:
        return not await asyncio.to_thread(derived_files_of, dataset_id)

    await eventually(purged, timeout=60, what="the deleted dataset's thumbnails purged")
    sources = await asyncio.to_thread(lambda: list(minio_client().list_objects(bucket, prefix=prefix, recursive=True)))
    assert len(sources) == 3  # the sources themselves stay in their bucket
