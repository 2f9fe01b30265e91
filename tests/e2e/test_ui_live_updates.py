"""Acceptance (issue 6): live updates are pushed to the browser. A page showing a dataset updates by itself when
someone else labels a sample (LabelChanged through the gateway's server-sent events), and the event stream itself
carries the change with who made it. Issue 11, point 7: the page does not poll; it reloads once dataset-svc announces
that it applied the change (SamplesProjected naming the sample at that revision), and then stays quiet."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import pytest
from labelstream_testing.gateway import chromium, logged_in, png, synced_dataset, ui_gateway_url

from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, ensure_user, gateway_client

pytestmark = pytest.mark.e2e


async def test_a_label_change_by_someone_else_reaches_the_open_page(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-live-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    data = png(320, 240, (10, 120, 160))
    await asyncio.to_thread(storage.put_object, bucket, "in/a.png", io.BytesIO(data), len(data))
    base = ui_gateway_url()
    annotator = f"live-{unique}"
    annotator_headers = await ensure_user(annotator, "annotator", "live-pw", base_url=base)
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        dataset_id = await synced_dataset(
            api,
            name=f"ui live {unique}",
            labeling_type="image_segmentation",
            bucket=bucket,
            prefix="in/",
            samples=1,
        )
        sample_id = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"][0]["id"]
        await api.post(f"/api/labeling/datasets/{dataset_id}/labels", json={"name": "tree", "color": "#118833"})

    received: list[dict[str, Any]] = []

    async def listen() -> None:
        async with gateway_client(annotator_headers, base_url=base, timeout=60) as client:
            async with client.stream("GET", "/api/events", params={"dataset_id": dataset_id}) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        if any(e["type"] == "LabelChanged" for e in received) and projected(received):
                            return

    def projected(events: list[dict[str, Any]]) -> bool:
        """dataset-svc announced that its listing holds the sample at revision 1 or later."""
        return any(
            e["type"] == "SamplesProjected"
            and e["service"] == "dataset-svc"
            and any(s["sample_id"] == sample_id and (s["revision"] or 0) >= 1 for s in e["samples"])
            for e in events
        )

    async with chromium() as browser:
        async with logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_context, page):
            listings: list[float] = []
            listing_path = f"/api/datasets/{dataset_id}/samples"
            page.on("request", lambda r: listings.append(time.monotonic()) if listing_path in r.url else None)
            await page.goto(f"/#/datasets/{dataset_id}/samples?tab=unlabeled")
            await page.wait_for_selector("[data-count=labeled]")
            assert await page.locator("[data-count=labeled]").inner_text() == "0"
            listener = asyncio.create_task(listen())
            await asyncio.sleep(1.0)  # the stream is open
            async with gateway_client(annotator_headers, base_url=base) as other:
                path = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
                shape = {"kind": "rectangle", "label": "tree", "points": [[10, 10], [100, 100]]}
                saved = await other.put(path, json={"shapes": [shape]}, headers={"If-Match": '"0"'})
                assert saved.status_code == 200, saved.text
            # no click, no reload: the page's counts follow the event
            await page.wait_for_selector("[data-count=labeled]:text-is('1')", timeout=30_000)
            await asyncio.wait_for(listener, timeout=30)
            # nothing else happens to the dataset: the page asks for nothing more (it used to poll for 30 s)
            quiet_from = time.monotonic() + 1.0
            await asyncio.sleep(7.0)
            assert [t for t in listings if t > quiet_from] == []
    [change] = [e for e in received if e["type"] == "LabelChanged"]
    assert change["sample_id"] == sample_id and change["labeled_by"] == annotator and change["revision"] == 1
