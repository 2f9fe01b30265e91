"""Acceptance (issue 5): 20 concurrent writers on one sample, 1,000 writes in all, through the gateway. Every write
either lands or gets 409; the final revision equals the number that landed; the history holds each of them; and
no landed write was lost (each revision's shapes are the ones its writer sent)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from labelstream_testing.labeling import LabelingPlatform, box, started_producer

from conftest import GATEWAY_URL, KAFKA_BOOTSTRAP
from tests.support import admin_headers, ensure_user

pytestmark = pytest.mark.e2e

WRITERS, WRITES = 20, 1000


@pytest.fixture
async def platform(platform_buckets: tuple[str, ...]) -> AsyncIterator[LabelingPlatform]:
    producer = await started_producer(KAFKA_BOOTSTRAP)
    limits = httpx.Limits(max_connections=WRITERS)
    try:
        async with httpx.AsyncClient(
            base_url=GATEWAY_URL, headers=await admin_headers(base_url=GATEWAY_URL), timeout=120, limits=limits
        ) as gateway:
            yield LabelingPlatform(gateway, producer)
    finally:
        await producer.stop()


async def test_concurrent_writers_land_or_get_409_and_nothing_is_lost(platform: LabelingPlatform, unique: str) -> None:
    dataset_id = await platform.create_dataset(f"race-{unique}")
    (sample_id,) = await platform.add_images(dataset_id, ["race.png"])
    url = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
    landed: dict[int, str] = {}  # revision -> the shape id its writer sent
    conflicts = 0
    counter = iter(range(WRITES))
    names = [f"racer{i}" for i in range(WRITERS)]
    auth = {name: await ensure_user(name, "annotator", f"{name}-password", base_url=GATEWAY_URL) for name in names}

    async def writer(name: str) -> None:
        nonlocal conflicts
        revision = 0
        for write in counter:
            shape_id = f"{name}-{write}"
            response = await platform.save(
                dataset_id, sample_id, [box("cat", 1, 1, 10, 10, shape_id=shape_id)], revision=revision, auth=auth[name]
            )
            if response.status_code == 200:
                revision = response.json()["revision"]
                assert revision not in landed, "two writes landed on the same revision"
                landed[revision] = shape_id
            else:
                assert response.status_code == 409, response.text
                conflicts += 1
                revision = response.json()["details"]["current_revision"]

    await asyncio.gather(*(writer(name) for name in names))

    assert len(landed) + conflicts == WRITES
    final = await platform.annotation(dataset_id, sample_id)
    assert final["revision"] == len(landed)
    assert sorted(landed) == list(range(1, len(landed) + 1))
    assert [s["shape_id"] for s in final["shapes"]] == [landed[len(landed)]]

    history = []
    cursor = None
    while True:
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await platform.gateway.get(f"{url}/history", params=params)).json()
        history += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [h["revision"] for h in history] == sorted(landed)
    assert all(h["change"]["added"] == [landed[h["revision"]]] for h in history)
    assert all(h["by"] == landed[h["revision"]].split("-")[0] for h in history)
