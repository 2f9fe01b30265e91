"""Acceptance (issue 6), video in headless Chromium: open a video, play and pause (the exact frame is shown), draw a
box, save and see the time point listed (and marked on the timeline); label a second time point; delete a label at
a time point."""

from __future__ import annotations

import asyncio
import io

import pytest
from labelstream_testing.gateway import (
    chromium,
    drag_in_editor,
    logged_in,
    mp4,
    screenshot,
    synced_dataset,
    ui_gateway_url,
)

from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, gateway_client

pytestmark = pytest.mark.e2e


async def test_label_a_video_at_paused_time_points(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-vid-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    clip = mp4(seconds=4.0, fps=25)
    await asyncio.to_thread(storage.put_object, bucket, "in/clip.mp4", io.BytesIO(clip), len(clip))
    async with gateway_client(await admin_headers(base_url=ui_gateway_url()), base_url=ui_gateway_url()) as api:
        dataset_id = await synced_dataset(
            api, name=f"ui video {unique}", labeling_type="video_labeling", bucket=bucket, prefix="in/", samples=1
        )
        sample = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"][0]
        assert sample["media"]["fps"] == 25, sample
        label = f"person-{unique[:4]}"

        async with chromium() as browser:
            async with logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_context, page):
                await page.goto(f"/#/datasets/{dataset_id}/label/{sample['id']}")
                await page.wait_for_selector(".video-stage[data-frame='0']")
                assert "active" in (await page.get_attribute("[data-testid=tool-rectangle]", "class") or "")

                # play, then pause: the exact frame at the pause is shown in the editor
                await page.click("[data-testid=play]")
                await asyncio.sleep(0.6)
                await page.click("[data-testid=play]")
                await page.wait_for_selector("canvas.surface:visible")
                shown_at_pause = (
                    "(() => { const v = document.querySelector('video'); const n = Math.round(v.currentTime * 25);"
                    " return v.paused && document.querySelector('.video-stage').dataset.frame === String(n); })()"
                )
                await page.wait_for_function(shown_at_pause)
                frame = int(await page.get_attribute(".video-stage", "data-frame") or "-1")
                await page.wait_for_function("window.labelstreamEditor.width === 320")
                # on a busy machine the pause can land late (or the clip play to its end): step back so the three
                # time points below (paused + 10, + 15, + 20) stay inside the 100-frame clip
                while frame > 40:
                    await page.click("[data-testid=frame-back]")
                    frame -= 1
                await page.wait_for_selector(f".video-stage[data-frame='{frame}']")
                # step to a known frame: 10 frames forward from the paused one
                for _ in range(10):
                    await page.click("[data-testid=frame-forward]")
                first = frame + 10
                await page.wait_for_selector(f".video-stage[data-frame='{first}']")

                await drag_in_editor(page, (40, 60), (160, 180))
                await page.fill("dialog input[name=new_label]", label)
                await page.click("dialog button:has-text('Add')")
                await page.wait_for_selector("dialog", state="detached")  # the shape is added when it closes
                await page.wait_for_function("window.labelstreamEditor.shapes.length === 1")
                await page.click("[data-testid=save]")
                await page.wait_for_selector("[data-testid=status]:has-text('Saved')")
                await page.wait_for_selector(f"[data-testid=time-points] li[data-frame='{first}']")
                assert await page.locator("[data-testid=timeline] .marker").count() == 1

                # a second time point, with the existing label
                for _ in range(5):
                    await page.click("[data-testid=frame-forward]")
                second = first + 5
                await page.wait_for_selector(f".video-stage[data-frame='{second}']")
                await drag_in_editor(page, (150, 80), (260, 200))
                await page.select_option("dialog select[name=label]", label)
                await page.click("dialog button:has-text('Add')")
                await page.wait_for_selector("dialog", state="detached")  # the shape is added when it closes
                await page.click("[data-testid=save]")
                await page.wait_for_selector("[data-testid=status]:has-text('revision 2')")
                await page.wait_for_selector(f"[data-testid=time-points] li[data-frame='{second}']")
                assert await page.locator("[data-testid=timeline] .marker").count() == 2
                await page.click(f"[data-testid=time-points] li[data-frame='{first}'] button[aria-expanded]")
                await screenshot(page, "video-editor")

                points = (
                    await api.get(f"/api/labeling/datasets/{dataset_id}/samples/{sample['id']}/annotation/time-points")
                ).json()
                assert [p["frame_index"] for p in points] == [first, second]

                # delete the label at the first time point: expand it, delete, confirm
                await page.click(
                    f"[data-testid=time-points] li[data-frame='{first}'] button[aria-label='Delete {label}']"
                )
                await page.click("dialog button:has-text('OK')")
                await page.wait_for_selector(f"[data-testid=time-points] li[data-frame='{first}']", state="detached")
                await page.wait_for_selector("[data-testid=status]:has-text('revision 3')")

                path = f"/api/labeling/datasets/{dataset_id}/samples/{sample['id']}/annotation/time-points"
                points = (await api.get(path)).json()
                assert [p["frame_index"] for p in points] == [second]

                # label a third time point and leave: "Back to data labeling preview" asks to save; Yes saves
                for _ in range(5):
                    await page.click("[data-testid=frame-forward]")
                third = second + 5
                await page.wait_for_selector(f".video-stage[data-frame='{third}']")
                await drag_in_editor(page, (20, 20), (90, 90))
                await page.select_option("dialog select[name=label]", label)
                await page.click("dialog button:has-text('Add')")
                await page.wait_for_selector("dialog", state="detached")  # the shape is added when it closes
                await page.click("[data-testid=back]")
                await page.click("dialog:has-text('Save the labeling') button:has-text('Yes')")
                await page.wait_for_url("**/samples*")
                points = (await api.get(path)).json()
                assert [p["frame_index"] for p in points] == [second, third]
