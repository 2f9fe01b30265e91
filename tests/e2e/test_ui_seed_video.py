"""The video-labeling seed's steps outside the labeling page, in headless Chromium: on a dataset's Dashboard, Label
opens the details page on All; Synchronize Data Source on the Unlabeled tab brings the videos in;
"Modifying Labeled Data": the x on a labeled video on the Labeled tab, OK, and it is unlabeled again; "Deleting a
Video File": Select Images on Current Page, Delete with Delete source files: the files leave the dataset and the
bucket."""

from __future__ import annotations

import asyncio
import io

import pytest
from labelstream_testing.gateway import chromium, known_to_labeling, logged_in, mp4, ui_gateway_url, wait_for

from tests.e2e.test_ui_image_labeling import until_cards
from tests.e2e.test_ui_seed_job import cards
from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, dataset_known_to_sync, gateway_client

pytestmark = pytest.mark.e2e


async def test_dataset_page_steps_of_the_video_seed(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-seed-video-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    clip = mp4(seconds=2.0)
    for i in range(2):
        await asyncio.to_thread(storage.put_object, bucket, f"in/clip-{i}.mp4", io.BytesIO(clip), len(clip))
    base = ui_gateway_url()
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        name = f"seed video {unique}"
        dataset_id = await dataset_known_to_sync(
            api, name=name, bucket=bucket, prefix="in/", labeling_type="video_labeling"
        )

        async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
            # the dataset's Dashboard -> Label: the details page shows all data
            await page.goto(f"/#/datasets/{dataset_id}")
            await page.click("[data-testid=label]")
            await page.wait_for_selector("[data-tab=all][aria-selected=true]")
            # Synchronize Data Source on the Unlabeled tab
            await page.click("[data-tab=unlabeled]")
            await page.wait_for_selector("[data-tab=unlabeled][aria-selected=true]")
            await page.click("[data-testid=sync]")
            await page.wait_for_selector("[data-testid=sync-progress][data-status=succeeded]", timeout=60_000)
            await until_cards(page, "unlabeled", 2)
            assert await page.locator("[data-testid=grid] .sample .kind:has-text('video')").count() == 2

            async def processed() -> bool:
                items = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"]
                return len(items) == 2 and all(s["media_status"] == "ready" for s in items)

            await wait_for(processed, timeout=180, what="both videos processed")
            await known_to_labeling(api, dataset_id)
            samples = sorted(
                (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"], key=lambda s: s["key"]
            )
            labeled = samples[0]["id"]
            added = await api.post(
                f"/api/labeling/datasets/{dataset_id}/labels", json={"name": "car", "color": "#aa5500"}
            )
            assert added.is_success, added.text
            shapes = [
                {
                    "kind": "rectangle",
                    "label": "car",
                    "points": [[10, 10], [60, 50]],
                    "time_point_s": t,
                    "frame_index": f,
                }
                for t, f in ((0.4, 10), (1.2, 30))
            ]
            path = f"/api/labeling/datasets/{dataset_id}/samples/{labeled}/annotation"
            saved = await api.put(path, json={"shapes": shapes}, headers={"If-Match": '"0"'})
            assert saved.status_code == 200, saved.text

            # Modifying Labeled Data: the x above the labeled video, OK
            await until_cards(page, "labeled", 1)
            await page.click(f"[data-sample='{labeled}'] [data-testid=delete-labels]")
            await page.click("dialog:has-text('Delete labels') button:has-text('OK')")
            await cards(page, 0)
            annotation = (await api.get(path)).json()
            assert (annotation["status"], annotation["shapes"]) == ("unlabeled", [])
            await until_cards(page, "unlabeled", 2)

            # Deleting a Video File: select the page, Delete with the source files
            await page.click("[data-tab=all]")
            await cards(page, 2)
            await page.click("[data-testid=select-page]")
            assert await page.inner_text("[data-testid=delete]") == "Delete (2)"
            await page.click("[data-testid=delete]")
            await page.check("[data-testid=delete-source]")
            await page.click("dialog button:has-text('Yes')")
            await cards(page, 0)

            def bucket_empty() -> bool:
                return not [o.object_name for o in storage.list_objects(bucket, prefix="in/")]

            async def sources_gone() -> bool:
                return await asyncio.to_thread(bucket_empty)

            await wait_for(sources_gone, timeout=60, what="the source videos left the bucket")
            await until_cards(page, "all", 0)
