"""The video-labeling seed's dataset details page and what every list page owes a reader, in headless Chromium: the
page opens on All; Next scrolls to the top and the pager shows the total; page and page size kept in the URL across
reload (Previous still works); thumbnails not ready are placeholders, filled in later (or "No preview"), with no 404
for a thumbnail; a favicon; and a viewer (and an annotator, for what is the admins') sees no control that writes on
these pages."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from labelstream_testing.gateway import chromium, logged_in, png, screenshot, synced_dataset, ui_gateway_url, wait_for
from playwright.async_api import Page, Response, Route

from tests.e2e.test_ui_seed_job import box, cards, hash_query
from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, ensure_user, gateway_client

pytestmark = pytest.mark.e2e


async def absent(page: Page, *selectors: str) -> None:
    for selector in selectors:
        assert await page.locator(selector).count() == 0, selector


async def test_dataset_page_pager_url_thumbnails_and_read_only_roles(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-seed-ds-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    for i in range(22):
        data = png(160, 120, (10 * i, 90, 160), text=f"{i}")
        await asyncio.to_thread(storage.put_object, bucket, f"in/f-{i:02d}.png", io.BytesIO(data), len(data))
    broken = b"not a picture at all"
    await asyncio.to_thread(storage.put_object, bucket, "in/zz-broken.png", io.BytesIO(broken), len(broken))
    base = ui_gateway_url()
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        dataset_id = await synced_dataset(
            api, name=f"seed ds {unique}", labeling_type="image_segmentation", bucket=bucket, prefix="in/", samples=23,
            processed=False,
        )  # fmt: skip
        missing: list[str] = []

        def on_response(response: Response) -> None:
            if "/thumbnail" in response.url and response.status == 404:
                missing.append(response.url)

        async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
            page.on("response", on_response)
            await page.set_viewport_size({"width": 800, "height": 600})
            icon = await page.evaluate(
                "document.querySelector('link[rel=icon]')?.getAttribute('href') ?? document.head.outerHTML"
            )
            assert icon.startswith("data:image/svg+xml"), icon
            # the dashboard's Label opens the dataset details on All
            await page.goto(f"/#/datasets/{dataset_id}")
            await page.click("[data-testid=label]")
            await page.wait_for_selector("[data-tab=all][aria-selected=true]")
            await cards(page, 23)
            # thumbnails: a placeholder until the media is processed, then the picture (or "No preview" for a file
            # that is no picture); never a 404
            await page.wait_for_function(
                "document.querySelectorAll('[data-testid=grid] .sample img').length === 22", timeout=120_000
            )
            await page.wait_for_selector("[data-testid=grid] [data-media-failed]:has-text('No preview')")
            assert missing == []

            # 20 a page: Next scrolls to the top, the pager shows the total; page and size are in the URL
            await page.select_option("[aria-label='Page size']", "20")
            await page.wait_for_function("location.hash.includes('size=20')")
            await cards(page, 20)
            assert await page.inner_text("[data-testid=page-of]") == "Page 1 of 2 · 23 file(s)"
            await page.locator("[data-testid=next-page]").scroll_into_view_if_needed()
            assert await page.evaluate("window.scrollY") > 0
            await page.click("[data-testid=next-page]")
            await cards(page, 3)
            assert await page.inner_text("[data-testid=page-of]") == "Page 2 of 2 · 23 file(s)"
            assert await page.evaluate("window.scrollY") == 0
            assert hash_query(page)["page"] == ["2"]
            await screenshot(page, "seed-dataset-page-2")
            await page.reload()
            await cards(page, 3)
            assert await page.inner_text("[data-testid=page-of]") == "Page 2 of 2 · 23 file(s)"
            await page.click("[data-testid=previous-page]")  # opened from a link: the first page's cursor is found
            await cards(page, 20)
            assert "page" not in hash_query(page)
            await page.go_back()
            await cards(page, 3)
            assert missing == []

        # one labeled file and a job, then the read-only roles
        samples = (await api.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 1})).json()["items"]
        assert (
            await api.post(f"/api/labeling/datasets/{dataset_id}/labels", json={"name": "cat", "color": "#aa0000"})
        ).is_success
        path = f"/api/labeling/datasets/{dataset_id}/samples/{samples[0]['id']}/annotation"
        assert (await api.put(path, json={"shapes": [box("cat")]}, headers={"If-Match": '"0"'})).status_code == 200
        job = (await api.post("/api/labeling/jobs", json={"dataset_id": dataset_id, "name": f"job {unique}"})).json()

        async def labeled() -> bool:
            listed = await api.get(f"/api/datasets/{dataset_id}/samples", params={"tab": "labeled"})
            return len(listed.json()["items"]) == 1

        await wait_for(labeled, timeout=60, what="dataset-svc lists the labeled file")

    for role in ("viewer", "annotator"):
        user = f"{role}-{unique}"
        await ensure_user(user, role, f"{role}-pw", base_url=base)
        async with chromium() as browser, logged_in(browser, user, f"{role}-pw") as (_c, page):
            await page.goto("/#/datasets")
            await page.wait_for_selector("[data-testid=datasets] tbody tr")
            await absent(page, "button:has-text('Create dataset')")
            await page.goto(f"/#/datasets/{dataset_id}")
            await page.wait_for_selector("[data-testid=counts] .stat")
            await absent(page, "button:has-text('Publish version')", "button:has-text('Set to current version')")
            await page.goto("/#/jobs")
            await page.wait_for_selector("[data-testid=jobs] thead")
            await absent(page, "[data-testid=create-job]")
            for list_page in (f"/#/jobs/{job['id']}?tab=labeled", f"/#/datasets/{dataset_id}/samples?tab=labeled"):
                await page.goto(list_page)
                await cards(page, 1)
                await page.wait_for_selector("[data-testid=import-history]")
                await absent(page, "input.tick", "[data-testid=select-page]", "[data-testid=delete]")
                if role == "viewer":
                    await absent(page, "[data-testid=sync]", "[data-testid=add-data]", "[data-testid=delete-labels]")
                else:
                    await page.wait_for_selector("[data-testid=sync]")
                    await page.wait_for_selector("[data-testid=add-data]")
                    await page.wait_for_selector("[data-testid=delete-labels]")

    # video seed, "Modifying Labeled Data": on the dataset's Labeled tab, the x on a labeled file, OK: its labels are
    # deleted and it moves to Unlabeled
    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        await page.goto(f"/#/datasets/{dataset_id}/samples?tab=labeled")
        await cards(page, 1)
        await page.click("[data-testid=delete-labels]")
        await page.click("dialog:has-text('Delete labels') button:has-text('OK')")
        await cards(page, 0)
        async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:

            async def unlabeled() -> bool:
                listed = await api.get(f"/api/datasets/{dataset_id}/samples", params={"tab": "labeled"})
                return not listed.json()["items"]

            await wait_for(unlabeled, timeout=60, what="dataset-svc lists no labeled file")
            annotation = (await api.get(path)).json()
            assert (annotation["status"], annotation["shapes"]) == ("unlabeled", [])
        await page.click("[data-tab=unlabeled]")
        await cards(page, 23)
        await page.wait_for_selector("[data-count=labeled]:text-is('0')")


async def test_a_thumbnail_not_ready_is_a_placeholder_until_its_media_processed_arrives(unique: str) -> None:
    """The listing says the media is pending (the response is held to that) and the live events are held back: the
    card shows a placeholder and no thumbnail is asked for; MediaProcessed arrives and the picture is filled in."""
    storage = minio_client()
    bucket = f"ui-seed-thumb-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    data = png(160, 120, (200, 90, 40), text="late")
    await asyncio.to_thread(storage.put_object, bucket, "in/late.png", io.BytesIO(data), len(data))
    base = ui_gateway_url()
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        dataset_id = await synced_dataset(
            api, name=f"seed thumb {unique}", labeling_type="image_segmentation", bucket=bucket, prefix="in/", samples=1
        )
        sample_id = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"][0]["id"]
    released = asyncio.Event()
    thumbnails: list[int] = []

    async def pending_listing(route: Route) -> None:
        response = await route.fetch()
        body = await response.json()
        for item in body["items"]:
            item["media_status"] = "pending"
        await route.fulfill(response=response, json=body)

    async def held_events(route: Route) -> None:
        await released.wait()
        event = {"type": "MediaProcessed", "dataset_id": dataset_id, "sample_id": sample_id, "status": "ready"}
        await route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"},
            body=f"event: MediaProcessed\ndata: {json.dumps(event)}\n\n",
        )

    def on_response(response: Response) -> None:
        if "/thumbnail" in response.url:
            thumbnails.append(response.status)

    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        page.on("response", on_response)
        await page.route(f"**/api/datasets/{dataset_id}/samples?*", pending_listing)
        await page.route("**/api/events?*", held_events)
        await page.goto(f"/#/datasets/{dataset_id}/samples")
        await page.wait_for_selector(f"[data-pending='{sample_id}']:has-text('Processing')")
        assert thumbnails == []
        released.set()
        await page.wait_for_function(
            f"(() => {{ const i = document.querySelector(\"[data-sample='{sample_id}'] img\");"
            " return !!i && i.complete && i.naturalWidth > 0; })()"
        )
        assert await page.locator("[data-pending]").count() == 0
        assert thumbnails and all(status == 200 for status in thumbnails)
        await page.unroute_all(behavior="ignoreErrors")
