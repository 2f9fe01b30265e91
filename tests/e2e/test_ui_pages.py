"""The rest of issue 6's pages in headless Chromium: login, labeling jobs filtered by labeling type and a job's
details, "Add data" and its import history, publishing a version and setting it current on the dashboard, a stale
save offered a reload (409), a broken polygon marked on the shape at fault (422), and a viewer who only reads."""

from __future__ import annotations

import asyncio
import io

import pytest
from labelstream_testing.gateway import (
    chromium,
    click_in_editor,
    logged_in,
    png,
    screenshot,
    synced_dataset,
    ui_gateway_url,
    wait_for,
)

from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, ensure_user, gateway_client

pytestmark = pytest.mark.e2e


async def test_jobs_add_data_versions_conflicts_and_a_viewer(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-pages-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    for i in range(2):
        data = png(400, 300, (120, 40 * i, 90))
        await asyncio.to_thread(storage.put_object, bucket, f"in/p-{i}.png", io.BytesIO(data), len(data))
        await asyncio.to_thread(storage.put_object, bucket, f"more/m-{i}.png", io.BytesIO(data), len(data))
    base = ui_gateway_url()
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        dataset_id = await synced_dataset(
            api,
            name=f"ui pages {unique}",
            labeling_type="image_segmentation",
            bucket=bucket,
            prefix="in/",
            samples=2,
            processed=False,
        )
        job_name = f"job {unique}"

        async def job_created() -> bool:
            created = await api.post("/api/labeling/jobs", json={"dataset_id": dataset_id, "name": job_name})
            return created.status_code == 201

        await wait_for(job_created, timeout=30, what="labeling job created")
        samples = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"]
        first = samples[0]["id"]

        async with chromium() as browser:
            context = await browser.new_context(base_url=base, viewport={"width": 1440, "height": 900}, bypass_csp=True)
            page = await context.new_page()
            await page.goto("/")
            await page.wait_for_selector("form.login")
            await screenshot(page, "login")
            await context.close()

            async with logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_context, page):
                # labeling jobs, filtered by labeling type
                await page.goto("/#/jobs?type=image_segmentation")
                await page.wait_for_selector(f"[data-testid=jobs] a:has-text('{job_name}')")
                await screenshot(page, "jobs")
                await page.goto("/#/jobs?type=video_labeling")
                await page.wait_for_selector("[data-testid=jobs]")
                await asyncio.sleep(0.5)
                assert await page.locator(f"[data-testid=jobs] a:has-text('{job_name}')").count() == 0
                await page.goto("/#/jobs?type=image_segmentation")
                await page.click(f"[data-testid=jobs] a:has-text('{job_name}')")
                await page.wait_for_selector("[data-count=unlabeled]")
                await page.click("[data-tab=all]")
                await page.wait_for_function("document.querySelectorAll('[data-testid=grid] .sample').length === 2")
                assert await page.locator("[data-count=all]").inner_text() == "2"
                await page.click("text=Synchronize new data")
                await screenshot(page, "job-details")

                # Add data from another bucket path, then its history
                await page.goto(f"/#/datasets/{dataset_id}/samples?tab=all")
                await page.wait_for_selector("[data-testid=grid] .sample")
                await page.click("button:has-text('Add data')")
                await page.select_option("dialog select[name=source]", "bucket")
                await page.fill("dialog input[name=path]", f"{bucket}/more/")
                await screenshot(page, "add-data")
                await page.click("dialog button:has-text('OK')")

                async def imported() -> bool:
                    tasks = (await api.get(f"/api/sync/datasets/{dataset_id}/imports")).json()["items"]
                    return bool(tasks) and tasks[0]["status"] == "succeeded"

                await wait_for(imported, timeout=60, what="import succeeded")
                await page.click("button:has-text('Import history')")
                await page.wait_for_selector("dialog td:has-text('succeeded')")
                await screenshot(page, "import-history")
                await page.click("dialog button:has-text('Close')")

                # publish two versions on the dashboard (the first becomes current), then set the other current
                await page.goto(f"/#/datasets/{dataset_id}")
                for name in ("V001", "V002"):
                    await page.click("button:has-text('Publish version')")
                    await page.click("dialog button:has-text('Publish')")
                    await page.wait_for_selector(f"[data-testid=versions] td:has-text('{name}')")

                async def published() -> bool:
                    versions = (await api.get(f"/api/datasets/{dataset_id}/versions")).json()["items"]
                    return len(versions) == 2 and all(v["status"] == "published" for v in versions)

                await wait_for(published, timeout=60, what="V001 and V002 published")
                await page.reload()
                versions = (await api.get(f"/api/datasets/{dataset_id}/versions")).json()["items"]
                not_current = [v["name"] for v in versions if not v["is_current"]]
                assert len(not_current) == 1
                await page.click("button:has-text('Set to current version')")
                await page.wait_for_selector(f"[data-testid=versions] tr:has-text('{not_current[0]}') .badge")
                versions = (await api.get(f"/api/datasets/{dataset_id}/versions")).json()["items"]
                assert [v["name"] for v in versions if v["is_current"]] == not_current
                await screenshot(page, "dashboard-versions")

                # a stale save: someone else saved since the page opened (another shape) -> both edits combined
                await page.goto(f"/#/datasets/{dataset_id}/label/{first}?tab=all")
                await page.wait_for_function("window.labelstreamEditor && window.labelstreamEditor.width === 400")
                path = f"/api/labeling/datasets/{dataset_id}/samples/{first}/annotation"
                other = {"kind": "rectangle", "label": "other", "points": [[10, 10], [50, 50]]}
                await api.post(
                    f"/api/labeling/datasets/{dataset_id}/labels", json={"name": "other", "color": "#00aa00"}
                )
                saved = await api.put(path, json={"shapes": [other]}, headers={"If-Match": '"0"'})
                assert saved.status_code == 200, saved.text
                await click_in_editor(page, [(100, 100), (200, 100), (200, 200), (100, 100)])
                await page.fill("dialog input[name=new_label]", "mine")
                await page.click("dialog button:has-text('Add')")
                await page.click("[data-testid=save]")
                await page.wait_for_selector("[data-testid=status]:has-text('Saved (revision 2)')")
                assert await page.locator("dialog").count() == 0
                assert sorted(s["label"] for s in (await api.get(path)).json()["shapes"]) == ["mine", "other"]
                await page.wait_for_function("window.labelstreamEditor.shapes.length === 2")

                # a self-intersecting polygon: 422, the shape at fault is marked
                await page.click("[data-testid=tool-polygon]")
                await click_in_editor(page, [(100, 100), (250, 250), (250, 100), (100, 250), (100, 100)])
                await page.select_option("dialog select[name=label]", "other")
                await page.click("dialog button:has-text('Add')")
                await page.click("[data-testid=save]")
                await page.wait_for_selector("[data-testid=file-labels] li.invalid")
                assert await page.evaluate("window.labelstreamEditor.errors.size") == 1
                await screenshot(page, "validation-error")

                # the chosen tool carries over to the next image (→; the unsaved change is not kept: "No")
                await page.click("[data-testid=tool-rectangle]")
                await page.keyboard.press("ArrowRight")
                await page.click("dialog button:has-text('No')")
                await page.wait_for_url(f"**/label/{samples[1]['id']}*")
                await page.wait_for_function("window.labelstreamEditor && window.labelstreamEditor.width === 400")
                assert "active" in (await page.get_attribute("[data-testid=tool-rectangle]", "class") or "")

        # a viewer reads, but gets no button that writes
        viewer = f"viewer-{unique}"
        await ensure_user(viewer, "viewer", "viewer-pw", base_url=base)
        async with chromium() as browser:
            async with logged_in(browser, viewer, "viewer-pw") as (_context, page):
                await page.goto(f"/#/datasets/{dataset_id}/samples?tab=all")
                await page.wait_for_selector("[data-testid=grid] .sample")
                for button in ("sync", "delete"):
                    assert await page.locator(f"[data-testid={button}]").count() == 0
                await page.goto(f"/#/datasets/{dataset_id}/label/{first}?tab=all")
                await page.wait_for_selector("canvas.surface")
                assert await page.locator("[data-testid=save]").count() == 0
