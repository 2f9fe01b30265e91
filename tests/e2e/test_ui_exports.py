"""Acceptance (issue 12), the UI of exports in headless Chromium on a slow network (150 ms per request through the
DevTools protocol): a viewer opens a dataset's dashboard, presses Export on a published version, picks COCO with the
pictures and double-clicks Export (one export, not two), follows the progress to completed in the history, and
downloads an archive whose SHA-256 is the one the export resource states; an admin adds an exported archive to a new
dataset through "Add data", labeled; a labeling job's page exports what it lists."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from labelstream_testing.gateway import chromium, logged_in, screenshot
from labelstream_testing.labeling import LabelingPlatform
from playwright.async_api import FilePayload

from tests.exports import export, is_, labeled_version
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, ensure_user

pytestmark = pytest.mark.e2e


async def test_a_viewer_exports_a_version_follows_it_and_downloads_the_archive(
    platform: LabelingPlatform, tmp_path: Path
) -> None:
    dataset_id, version_id, _ = await labeled_version(platform, f"uiexp-{uuid.uuid4().hex[:8]}")
    viewer, password = f"viewer-{uuid.uuid4().hex[:6]}", "viewer-password-1"
    await ensure_user(viewer, "viewer", password)
    async with chromium() as browser, logged_in(browser, viewer, password, latency_ms=150) as (_c, page):
        await page.goto(f"/#/datasets/{dataset_id}")
        await page.click(f"[data-testid=versions] tr[data-version='{version_id}'] [data-testid=export]")
        await page.wait_for_selector("[data-testid=export-dialog]")
        yolo_task = page.locator("dialog select[name=yolo_task]")
        await page.select_option("dialog select[name=format]", "yolo")
        await yolo_task.wait_for(state="visible")  # offered for YOLO only
        await page.select_option("dialog select[name=format]", "coco")
        await yolo_task.wait_for(state="hidden")
        await page.check("dialog input[name=include_media]")
        await page.dblclick("dialog button:has-text('Export')")
        await page.wait_for_selector("[data-testid=exports] tr[data-status=completed]", timeout=60_000)
        await screenshot(page, "exports")
        rows = page.locator("[data-testid=exports] tr[data-export]")
        assert await rows.count() == 1  # the double click made one export
        export_id = await rows.first.get_attribute("data-export")
        assert "100%" in (await rows.first.text_content() or "")
        async with page.expect_download() as waiting:
            await page.click("[data-testid=exports] [data-testid=download]")
        download = await waiting.value
        saved = tmp_path / "export.zip"
        await download.save_as(saved)
    stated = (await platform.gateway.get(f"/api/datasets/{dataset_id}/exports/{export_id}")).json()
    assert stated["requested_by"] == viewer
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == stated["archive"]["sha256"]


async def test_add_data_imports_an_annotated_archive_with_its_labels(platform: LabelingPlatform) -> None:
    """Add data → "Annotated archive", a zip chosen on this computer, the format picked and Labeled: the archive's
    pictures become samples and the labeled one shows in the Labeled tab with its shapes."""
    dataset_id, version_id, _ = await labeled_version(platform, f"uiimp-{uuid.uuid4().hex[:8]}")
    queued = await export(platform, dataset_id, version_id, format="voc", options={"include_media": True})
    done = await platform.wait_for(
        f"/api/datasets/{dataset_id}/exports/{queued['id']}", what="export", check=is_("completed")
    )
    archive = (await platform.gateway.get(done["archive"]["download"])).content
    target = await platform.create_dataset(f"uiback-{uuid.uuid4().hex[:6]}", labels=("cat", "dog"))
    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        await page.goto(f"/#/datasets/{target}/samples?tab=all")
        await page.click("button:has-text('Add data')")
        await page.select_option("dialog select[name=source]", "archive")
        await page.wait_for_selector("dialog select[name=format] option[value=voc]", state="attached")
        await page.select_option("dialog select[name=format]", "voc")
        await page.set_input_files(
            "dialog input[name=files]", files=FilePayload(name="export.zip", mimeType="application/zip", buffer=archive)
        )
        await page.select_option("dialog select[name=labeled]", "true")
        await screenshot(page, "add-data-archive")
        await page.click("dialog button:has-text('OK')")
        await page.wait_for_function("document.querySelectorAll('[data-testid=grid] .sample').length === 3")
        await page.wait_for_selector("[data-count=labeled]:has-text('1')")


async def test_a_labeling_job_exports_what_its_page_lists(platform: LabelingPlatform) -> None:
    """On a labeling job's page, on its Labeled tab, Export writes the files the page lists as they are now."""
    dataset_id, _, _ = await labeled_version(platform, f"uijob-{uuid.uuid4().hex[:8]}")
    created = await platform.gateway.post("/api/labeling/jobs", json={"name": "export me", "dataset_id": dataset_id})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        await page.goto(f"/#/jobs/{job_id}?tab=labeled")
        await page.wait_for_selector("[data-testid=grid] .sample")
        await page.click("[data-testid=export-job]")
        await page.select_option("dialog select[name=format]", "manifest")
        await page.click("dialog button:has-text('Export')")
        await page.wait_for_selector("[data-testid=exports] tr[data-status=completed]", timeout=60_000)
        export_id = await page.locator("[data-testid=exports] tr[data-export]").first.get_attribute("data-export")
    done = (await platform.gateway.get(f"/api/datasets/{dataset_id}/exports/{export_id}")).json()
    assert (done["version_name"], done["selection"]["tab"]) == ("current", "labeled")
    archive = (await platform.gateway.get(done["archive"]["download"])).content
    lines = zipfile.ZipFile(io.BytesIO(archive)).read("manifest.jsonl").splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["street/0.png"]
