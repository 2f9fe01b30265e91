"""media-svc's HTTP API on the in-memory fakes: frames, derived pictures, range requests, errors."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from labelstream_testing.media import Harness
from labelstream_testing.media_samples import make_image, make_video
from media_svc.bootstrap import create_app
from media_svc.settings import MediaSettings
from PIL import Image

BASE = "/api/media/datasets/d1/samples"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    harness = Harness(tmp_path)
    path = tmp_path / "clip.mp4"
    make_video(path, frames=50, rotation=90)
    video = harness.put("clip.mp4", path.read_bytes())
    image = harness.put("cat.jpg", make_image())
    await harness.add("d1", [video, image])
    await harness.work_off()
    app = create_app(MediaSettings(), fake_deps=harness.deps)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client,
    ):
        yield harness, client


async def test_frames_are_served_as_jpeg(api: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = api
    by_time = await client.get(f"{BASE}/s-clip.mp4/frame", params={"t": 1.0})
    assert by_time.status_code == 200, by_time.text
    assert (by_time.headers["content-type"], by_time.headers["x-frame-index"]) == ("image/jpeg", "25")
    assert Image.open(io.BytesIO(by_time.content)).size == (120, 160)  # rotated as a player shows it
    by_index = await client.get(f"{BASE}/s-clip.mp4/frame", params={"n": 25})
    assert by_index.content == by_time.content  # the cache answers with the same bytes


async def test_frame_errors_say_what_is_wrong(api: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = api
    outside = await client.get(f"{BASE}/s-clip.mp4/frame", params={"t": 9.5})
    assert outside.status_code == 422 and "outside the video" in outside.json()["message"]
    unknown = await client.get(f"{BASE}/nope/frame", params={"t": 0})
    assert unknown.status_code == 404
    image = await client.get(f"{BASE}/s-cat.jpg/frame", params={"t": 0})
    assert image.status_code == 422 and "image" in image.json()["message"]
    neither = await client.get(f"{BASE}/s-clip.mp4/frame")
    assert neither.status_code == 422


async def test_many_frames_in_one_request(api: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = api
    answer = await client.post(f"{BASE}/s-clip.mp4/frames", json={"times": [0, 0.5, 1.96]})
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.namelist() == ["frame_0000000.jpg", "frame_0000012.jpg", "frame_0000049.jpg"]


async def test_media_record_and_derived_pictures(api: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = api
    record = (await client.get(f"{BASE}/s-clip.mp4")).json()
    assert (record["status"], record["metadata"]["frame_count"], record["playback"]["mode"]) == ("ready", 50, "source")
    for which in ("thumbnail", "poster", "timeline"):
        picture = await client.get(f"{BASE}/s-clip.mp4/{which}")
        assert (picture.status_code, picture.headers["content-type"]) == (200, "image/jpeg"), which
    assert (await client.get(f"{BASE}/s-cat.jpg/poster")).status_code == 404


async def test_video_is_served_with_range_requests(api: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = api
    whole = harness.store.objects[("raw-data", "clip.mp4")]
    full = await client.get(f"{BASE}/s-clip.mp4/video")
    assert (full.status_code, full.content, full.headers["accept-ranges"]) == (200, whole, "bytes")
    part = await client.get(f"{BASE}/s-clip.mp4/video", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert (part.content, part.headers["content-range"]) == (whole[100:200], f"bytes 100-199/{len(whole)}")
    tail = await client.get(f"{BASE}/s-clip.mp4/video", headers={"Range": "bytes=-10"})
    assert tail.content == whole[-10:]
    beyond = await client.get(f"{BASE}/s-clip.mp4/video", headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
