"""Acceptance (issue 6), in headless Chromium against the running platform: log in, create a dataset on a bucket
path, synchronize, open an image, draw a polygon with the mouse, add a new label, undo and redo, save, find the
image in the Labeled tab with the label's count; delete a file with "delete source files" (the object is gone
from the bucket); an annotator is refused a delete. Screenshots of each page go to docs/screenshots/."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from labelstream_testing.gateway import (
    chromium,
    editor_point,
    known_to_labeling,
    logged_in,
    png,
    screenshot,
    synced_dataset,
    ui_gateway_url,
)
from playwright.async_api import Page

from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, ensure_user, gateway_client

pytestmark = pytest.mark.e2e


async def shape_count(page: Page) -> int:
    return int(await page.evaluate("window.labelstreamEditor.shapes.length"))


async def until_cards(page: Page, tab: str, count: int, *, timeout: float = 60) -> None:
    """Wait for `count` samples in the tab, clicking it again now and then (live updates refresh it too)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await page.locator("[data-testid=grid] .sample").count() == count:
            return
        await page.click(f"[data-tab={tab}]")
        await asyncio.sleep(1.5)
    raise AssertionError(f"{count} samples in the {tab} tab: not within {timeout:.0f}s")


async def test_label_an_image_end_to_end(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-img-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    colours = [(200, 60, 60), (60, 160, 60), (60, 60, 200)]
    for i, colour in enumerate(colours):
        data = png(640, 480, colour, text=f"image {i}")
        await asyncio.to_thread(storage.put_object, bucket, f"in/img-{i}.png", io.BytesIO(data), len(data))

    async with chromium() as browser:
        async with logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_context, page):
            # create a dataset on the bucket path
            await page.click("text=Create dataset")
            await page.fill("dialog input[name=name]", f"ui images {unique}")
            await page.select_option("dialog select[name=labeling_type]", "image_segmentation")
            await page.fill("dialog input[name=input_path]", f"{bucket}/in/")
            await page.click("dialog button:has-text('Create')")
            await page.wait_for_url("**/samples")
            dataset_id = page.url.split("/datasets/")[1].split("/")[0]

            # synchronize the data source, with progress
            await page.click("[data-testid=sync]")
            await page.wait_for_selector("[data-testid=sync-progress][data-status=succeeded]", timeout=60_000)
            await until_cards(page, "unlabeled", 3)
            await screenshot(page, "dataset-details")
            async with gateway_client(await admin_headers(base_url=ui_gateway_url()), base_url=ui_gateway_url()) as api:
                await known_to_labeling(api, dataset_id)

            # open an image: the polygon tool is chosen by default
            await page.click("[data-testid=grid] .sample >> nth=0 >> a.thumb")
            await page.wait_for_selector("canvas.surface")
            await page.wait_for_function("window.labelstreamEditor && window.labelstreamEditor.width === 640")
            assert "active" in (await page.get_attribute("[data-testid=tool-polygon]", "class") or "")

            # draw a polygon: click points, then the first point again; add a new label in the dialog
            for x, y in [(120, 100), (320, 100), (320, 290), (120, 290)]:
                await page.mouse.click(*await editor_point(page, x, y))
            await page.mouse.click(*await editor_point(page, 120, 100))
            await page.fill("dialog input[name=new_label]", f"car-{unique[:4]}")
            await page.fill("dialog input[name=color]", "#ff8800")
            await page.click("dialog button:has-text('Add')")
            await page.wait_for_function("window.labelstreamEditor.shapes.length === 1")
            label = f"car-{unique[:4]}"
            assert await page.locator(f"[data-testid=file-labels] li[data-label='{label}']").count() == 1

            # undo and redo (toolbar buttons and keyboard)
            await page.click("[data-testid=undo]")
            assert await shape_count(page) == 0
            await page.click("[data-testid=redo]")
            assert await shape_count(page) == 1
            await page.keyboard.press("Control+z")
            assert await shape_count(page) == 0
            await page.keyboard.press("Control+y")
            assert await shape_count(page) == 1
            shape = await page.evaluate("window.labelstreamEditor.shapes[0]")
            assert shape["kind"] == "polygon" and len(shape["points"]) == 4 and shape["label"] == label

            await page.click("[data-testid=save]")
            await page.wait_for_selector("[data-testid=status]:has-text('Saved')")
            await screenshot(page, "image-editor")

            # back to the preview: the image is in the Labeled tab with the label's count
            await page.click("[data-testid=back]")
            await page.wait_for_url("**/samples*")
            await until_cards(page, "labeled", 1)
            card = page.locator("[data-testid=grid] .sample").first
            assert await card.locator(f".chip:has-text('{label}') b").inner_text() == "1"
            assert await page.locator("[data-count=labeled]").inner_text() == "1"
            await screenshot(page, "labeled-tab")

            # delete a file with its source: the warning counts the other dataset on the same files, and the object
            # leaves the bucket
            async with gateway_client(await admin_headers(base_url=ui_gateway_url()), base_url=ui_gateway_url()) as api:
                await synced_dataset(
                    api, name=f"ui images too {unique}", labeling_type="image_segmentation", bucket=bucket,
                    prefix="in/", samples=3, processed=False, labeling=False,
                )  # fmt: skip
            await until_cards(page, "unlabeled", 2)
            victim = page.locator("[data-testid=grid] .sample").first
            victim_name = await victim.get_attribute("data-name")
            await victim.locator("input.tick").check()
            await page.click("[data-testid=delete]")
            warning = await page.locator("[data-testid=reference-warning]").inner_text()
            assert "used by 1 other dataset(s)" in warning, warning
            await page.check("[data-testid=delete-source]")
            await screenshot(page, "delete-dialog")
            await page.click("dialog button:has-text('Yes')")
            await until_cards(page, "unlabeled", 1)

            def gone() -> bool:
                names = [o.object_name for o in storage.list_objects(bucket, prefix="in/")]
                return f"in/{victim_name}" not in names and len(names) == 2

            for _ in range(60):
                if await asyncio.to_thread(gone):
                    break
                await asyncio.sleep(0.5)
            assert await asyncio.to_thread(gone), "the source object is still in the bucket"

            await page.goto("/#/datasets")
            await page.wait_for_selector("[data-testid=datasets] tbody tr")
            await screenshot(page, "datasets")
            await page.goto(f"/#/datasets/{dataset_id}")
            await page.wait_for_selector("[data-testid=counts] .stat")
            await screenshot(page, "dashboard")

        # an annotator labels but is refused a delete: no Delete button, and the API answers 403
        annotator = f"ann-{unique}"
        await ensure_user(annotator, "annotator", "annotator-pw", base_url=ui_gateway_url())
        async with logged_in(browser, annotator, "annotator-pw") as (_context, page):
            await page.goto(f"/#/datasets/{dataset_id}/samples")
            await page.wait_for_selector("[data-testid=grid] .sample")
            assert await page.locator("[data-testid=delete]").count() == 0
            token = await page.evaluate("JSON.parse(localStorage.getItem('labelstream.session')).token")
            async with httpx.AsyncClient(base_url=ui_gateway_url(), timeout=30) as client:
                auth = {"Authorization": f"Bearer {token}"}
                body = {"sample_ids": ["x"], "delete_source": True}
                refused = await client.post(f"/api/datasets/{dataset_id}/samples/deletions", json=body, headers=auth)
                assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
                assert (await client.delete(f"/api/datasets/{dataset_id}", headers=auth)).status_code == 403
