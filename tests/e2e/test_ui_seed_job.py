"""The image-segmentation seed's steps outside the labeling page, in headless Chromium with 150 ms of latency:
create a labeling job in the UI, its page opens on Unlabeled; several labels in the Label filter, the Labeled By
picker, tab and filters kept in the URL across reload and back/forward; delete a file's labels from the Labeled tab;
select ticks, "Select images on current page" and Delete; Add data, Synchronize new data and Import history."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from labelstream_testing.gateway import chromium, logged_in, png, screenshot, synced_dataset, ui_gateway_url, wait_for
from playwright.async_api import Page

from tests.e2e.test_ui_image_labeling import until_cards
from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, ensure_user, gateway_client, login_token

pytestmark = pytest.mark.e2e


def box(label: str) -> dict[str, object]:
    return {"kind": "rectangle", "label": label, "points": [[10, 10], [60, 50]]}


def hash_query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).fragment.partition("?")[2])


async def cards(page: Page, count: int) -> None:
    await page.wait_for_function(f"document.querySelectorAll('[data-testid=grid] .sample').length === {count}")


async def pick_labels(page: Page, *names: str) -> None:
    for name in names:
        before = page.url
        await page.click("[data-testid=label-filter] summary")
        await page.check(f"[data-testid=label-filter] input[value='{name}']")
        await page.wait_for_function("before => location.href !== before", arg=before)


async def test_job_page_steps_of_the_segmentation_seed(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-seed-job-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    for folder, n in (("in", 4), ("more", 2)):
        for i in range(n):
            data = png(320, 240, (40 * i, 120, 90), text=f"{folder} {i}")
            await asyncio.to_thread(
                storage.put_object, bucket, f"{folder}/{folder}-{i}.png", io.BytesIO(data), len(data)
            )
    base = ui_gateway_url()
    annotator = f"ann-{unique}"
    await ensure_user(annotator, "annotator", "annotator-pw", base_url=base)
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        dataset_id = await synced_dataset(
            api, name=f"seed job {unique}", labeling_type="image_segmentation", bucket=bucket, prefix="in/", samples=4
        )
        samples = sorted((await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"], key=lambda s: s["key"])
        ids = [s["id"] for s in samples]
        for name, color in (("cat", "#aa0000"), ("dog", "#00aa00"), ("owl", "#0000aa")):
            assert (
                await api.post(f"/api/labeling/datasets/{dataset_id}/labels", json={"name": name, "color": color})
            ).is_success
        ann = {"Authorization": f"Bearer {await login_token(annotator, 'annotator-pw', base_url=base)}"}
        for sample_id, label, headers in ((ids[0], "cat", {}), (ids[1], "dog", ann)):
            path = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
            saved = await api.put(path, json={"shapes": [box(label)]}, headers={"If-Match": '"0"', **headers})
            assert saved.status_code == 200, saved.text

        async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (context, page):
            cdp = await context.new_cdp_session(page)
            await cdp.send(
                "Network.emulateNetworkConditions",
                {"offline": False, "latency": 150, "downloadThroughput": -1, "uploadThroughput": -1},
            )
            # create a labeling job: name, dataset; the labeling type is the dataset's
            await page.goto("/#/jobs")
            await page.click("[data-testid=create-job]")
            await page.fill("dialog input[name=name]", f"job {unique}")
            await page.select_option("dialog select[name=dataset]", dataset_id)
            await page.wait_for_selector("dialog [data-testid=job-type]:has-text('Image segmentation')")
            await page.click("dialog button:has-text('Create')")
            await page.wait_for_function("/^#\\/jobs\\/[^/?]+$/.test(location.hash)")
            job_id = urlsplit(page.url).fragment.split("/")[2]
            jobs = (await api.get("/api/labeling/jobs", params={"dataset_id": dataset_id})).json()["items"]
            assert [(j["id"], j["name"], j["labeling_type"]) for j in jobs] == [
                (job_id, f"job {unique}", "image_segmentation")
            ]

            # the job's page opens on Unlabeled
            await page.wait_for_selector("[data-tab=unlabeled][aria-selected=true]")
            await cards(page, 2)
            assert await page.inner_text("[data-count=labeled]") == "2"

            # Labeled tab, several labels, the Labeled By picker: each a history entry in the URL
            await page.click("[data-tab=labeled]")
            await cards(page, 2)
            await pick_labels(page, "cat")
            await cards(page, 1)
            await pick_labels(page, "owl")
            await cards(page, 1)
            await pick_labels(page, "dog")
            await cards(page, 2)
            assert hash_query(page)["label"] == ["cat", "dog", "owl"]  # in the label set's order
            options = await page.locator("[data-testid=labeled-by] option").all_inner_texts()
            assert options == ["Labeled by anyone", f"{GATEWAY_ADMIN} (1)", f"{annotator} (1)"]
            await page.select_option("[data-testid=labeled-by]", annotator)
            await page.wait_for_function(f"location.hash.includes('labeled_by={annotator}')")
            await cards(page, 1)
            assert await page.get_attribute("[data-testid=grid] .sample", "data-sample") == ids[1]
            await screenshot(page, "seed-job-filters")

            # reload keeps tab and filters; back and forward walk the states
            await page.reload()
            await page.wait_for_selector("[data-tab=labeled][aria-selected=true]")
            await cards(page, 1)
            assert await page.input_value("[data-testid=labeled-by]") == annotator
            assert "cat, dog, owl" in await page.inner_text("[data-testid=label-filter] summary")
            await page.go_back()
            await page.wait_for_function(f"!location.hash.includes('labeled_by={annotator}')")
            await cards(page, 2)
            assert await page.input_value("[data-testid=labeled-by]") == ""
            await page.go_forward()
            await page.wait_for_function(f"location.hash.includes('labeled_by={annotator}')")
            await cards(page, 1)
            await page.go_back()
            await cards(page, 2)

            # a card's link to the labeling page keeps tab and job, and says where to return
            href = await page.get_attribute(f"[data-sample='{ids[0]}'] a.thumb", "href")
            assert href is not None
            link = parse_qs(href.partition("?")[2])
            assert (link["tab"], link["job"]) == (["labeled"], [job_id])
            list_hash = urlsplit(page.url).fragment
            assert link["from"] == [list_hash]
            await page.click(f"[data-sample='{ids[0]}'] a.thumb")  # the labeling page's Back returns to this list
            await page.click("[data-testid=back]")
            await page.wait_for_function("h => location.hash === '#' + h", arg=list_hash)
            await cards(page, 2)

            # delete a file's labels (the x on its card, OK): it moves to Unlabeled
            await page.click(f"[data-sample='{ids[0]}'] [data-testid=delete-labels]")
            await page.click("dialog button:has-text('OK')")
            await cards(page, 1)
            annotation = (await api.get(f"/api/labeling/datasets/{dataset_id}/samples/{ids[0]}/annotation")).json()
            assert (annotation["status"], annotation["shapes"]) == ("unlabeled", [])
            await page.goto(f"/#/jobs/{job_id}?tab=unlabeled")
            await cards(page, 3)
            assert await page.inner_text("[data-count=labeled]") == "1"

            # ticks, "Select images on current page", Delete with its preview
            await page.click("[data-testid=select-page]")
            assert await page.locator("input.tick:checked").count() == 3
            assert await page.inner_text("[data-testid=delete]") == "Delete (3)"
            await page.click("[data-testid=select-page]")
            assert await page.locator("input.tick:checked").count() == 0
            assert await page.is_disabled("[data-testid=delete]")
            await page.check(f"[data-sample='{ids[3]}'] input.tick")
            await page.click("[data-testid=delete]")
            await page.wait_for_selector("dialog [data-testid=reference-warning]")
            await page.click("dialog button:has-text('Yes')")
            await cards(page, 2)

            async def deleted() -> bool:
                listed = (await api.get(f"/api/labeling/jobs/{job_id}/samples", params={"tab": "all"})).json()
                return ids[3] not in [s["id"] for s in listed["items"]]

            await wait_for(deleted, timeout=60, what="the sample left the job")

            # Add data (another bucket path), Synchronize new data, Import history
            await page.click("[data-testid=add-data]")
            await page.select_option("dialog select[name=source]", "bucket")
            await page.fill("dialog input[name=path]", f"{bucket}/more/")
            await page.click("dialog button:has-text('OK')")

            async def imported() -> bool:
                tasks = (await api.get(f"/api/sync/datasets/{dataset_id}/imports")).json()["items"]
                return bool(tasks) and tasks[0]["status"] == "succeeded"

            await wait_for(imported, timeout=90, what="import succeeded")
            await page.click("[data-tab=all]")
            await until_cards(page, "all", 5)
            await page.click("[data-testid=sync]")
            await page.wait_for_selector("[data-testid=sync-progress][data-status=succeeded]")
            await page.click("[data-testid=import-history]")
            await page.wait_for_selector("[data-testid=import-history-table] td:has-text('succeeded')")
            await page.click("dialog button:has-text('Close')")


async def test_labelers_answer_viewers_too(unique: str) -> None:
    """The Labeled By choices are a read: a viewer may list them (an unknown dataset is a 404)."""
    base = ui_gateway_url()
    viewer = f"viewer-{unique}"
    await ensure_user(viewer, "viewer", "viewer-pw", base_url=base)
    token = await login_token(viewer, "viewer-pw", base_url=base)
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        assert (await client.get(f"/api/labeling/datasets/nope-{unique}/labelers")).status_code == 404
