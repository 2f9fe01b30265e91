"""Issue 11, point 7: the labeling page of a file the services do not know yet (a link opened before dataset-svc and
labeling-svc consumed its DataAdded, e.g. right after an upload) says that it waits, and loads once the services
announce the file (SamplesProjected on the live stream). No retry loop: it reads again only when an announcement
names the file, never on a timer."""

from __future__ import annotations

import asyncio

import pytest
from labelstream_testing.gateway import chromium, logged_in, png, synced_dataset, ui_gateway_url
from playwright.async_api import Request
from sync_svc.domain.objects import sample_id_for

from tests.storage import ensure_bucket, minio_client, put_objects
from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, gateway_client

pytestmark = pytest.mark.e2e


async def test_the_label_page_of_a_file_not_arrived_yet_waits_for_it_without_polling(unique: str) -> None:
    storage = minio_client()
    bucket = f"ui-arrival-{unique}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    await asyncio.to_thread(put_objects, storage, bucket, ["in/first.png"], png(400, 300, (200, 80, 40)))
    base = ui_gateway_url()
    async with gateway_client(await admin_headers(base_url=base), base_url=base) as api:
        dataset_id = await synced_dataset(
            api, name=f"ui arrival {unique}", labeling_type="object_detection", bucket=bucket, prefix="in/", samples=1
        )
        sample_id = sample_id_for(dataset_id, "in/new.png")  # the file is not there yet: nobody knows the sample
        sample_path = f"/api/datasets/{dataset_id}/samples/{sample_id}"
        annotation_path = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
        reads = {"sample": 0, "annotation": 0}

        def count(request: Request) -> None:
            path = request.url.split("?")[0]
            if path.endswith(sample_path):
                reads["sample"] += 1
            elif path.endswith(annotation_path):
                reads["annotation"] += 1

        async with chromium() as browser:
            async with logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_context, page):
                page.on("request", count)
                await page.goto(f"/#/datasets/{dataset_id}/label/{sample_id}")
                await page.wait_for_selector("[data-testid=waiting-for-sample]")
                await asyncio.sleep(3.0)
                assert reads == {"sample": 1, "annotation": 1}  # nothing announced: nothing asked again

                data = png(400, 300, (40, 80, 200))
                uploaded = await api.put(f"/api/sync/datasets/{dataset_id}/uploads/new.png", content=data)
                assert uploaded.status_code == 201, uploaded.text
                await page.wait_for_function("window.labelstreamEditor && window.labelstreamEditor.width === 400")
                assert await page.locator("[data-testid=waiting-for-sample]").count() == 0
                # one more read per service, after the announcement naming the file (a few at most: an announcement
                # may come while a read is under way)
                assert 2 <= reads["sample"] <= 3 and 2 <= reads["annotation"] <= 3, reads
