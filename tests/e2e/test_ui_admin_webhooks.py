"""The Admin area's Webhooks page in headless Chromium, on a slow network: a receiver on 127.0.0.1 is refused next to
the URL field while private targets are off; the admin switches them on in the page, registers the receiver (a double
click registers it once) and sees its secret once; an annotation saved through the API shows up in the endpoint's
delivery log as delivered; the receiver fails a redelivery (the log shows the 500), a second redelivery goes through;
"Send test", editing, deleting. Reload and Back keep the admin where they were. The setting is restored at the end."""

from __future__ import annotations

import httpx
import pytest
from labelstream_testing.gateway import chromium, logged_in, screenshot, wait_for
from labelstream_testing.labeling import LabelingPlatform, box
from labelstream_testing.webhook_receiver import Receiver, free_port
from playwright.async_api import Page

from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e
LATENCY_MS = 150
SETTINGS = "/api/webhooks/settings"


async def register(page: Page, url: str) -> None:
    await page.click("[data-testid=register-webhook]")
    form = page.locator("[data-testid=webhook-form]")
    await form.locator("input[name=url]").fill(url)
    await form.locator("input[value=LabelChanged]").check()
    await form.locator("[data-testid=save-webhook]").dblclick()


async def test_an_admin_registers_a_receiver_and_follows_its_deliveries(
    platform: LabelingPlatform, unique: str
) -> None:
    api = platform.gateway
    dataset_id = await platform.create_dataset(f"ui-hooks-{unique}")
    (sample_id,) = await platform.add_images(dataset_id, ["a.png"])
    receiver = Receiver(port=free_port(), dataset=dataset_id)
    original = (await api.get(SETTINGS)).json()
    assert (await api.put(SETTINGS, json={"allow_private_targets": False})).status_code == 200
    await receiver.start()
    try:
        async with (
            chromium() as browser,
            logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, latency_ms=LATENCY_MS) as (_context, page),
        ):
            await page.click("[data-testid=nav-admin]")
            await page.click("[data-tab=webhooks]")
            allow = page.locator("[data-testid=webhook-settings] input[name=allow_private_targets]")
            assert not await allow.is_checked()

            # refused while private targets are off: the API's reason next to the URL
            await register(page, receiver.url)
            await page.wait_for_selector("[data-problem=url]:has-text('127.0.0.1 is a loopback address')")
            await page.go_back()  # Back to the list, where the setting is
            await allow.check()
            await page.wait_for_selector("text=Private targets allowed")
            assert (await api.get(SETTINGS)).json()["allow_private_targets"] is True

            # registered once, its secret shown once; the URL is the endpoint's log now
            await register(page, receiver.url)
            secret = await page.locator("[data-testid=webhook-secret]").input_value()
            assert secret.startswith("whsec_")
            ours = [w for w in (await api.get("/api/webhooks?limit=100")).json()["items"] if w["url"] == receiver.url]
            assert len(ours) == 1, ours
            endpoint = ours[0]["id"]
            assert page.url.endswith(f"#/admin/webhooks/{endpoint}")
            await page.reload()
            await page.wait_for_selector("[data-testid=deliveries]")
            assert await page.locator("[data-testid=webhook-secret]").count() == 0

            # an annotation saved through the API: its LabelChanged delivered, in the log
            saved = await platform.save(dataset_id, sample_id, [box("cat", 1, 1, 9, 9)], revision=0, auth={})
            assert saved.status_code == 200, saved.text
            delivery = await wait_for_delivery(api, endpoint, key=sample_id)
            await page.click("[data-testid=refresh]")
            row = page.locator(f"tr[data-delivery='{delivery}']")  # other events may reach the endpoint too
            await row.locator("text=Delivered (1 attempt)").wait_for()
            assert await row.locator("td:has-text('LabelChanged')").count() == 1
            assert await row.locator("text=HTTP 204").count() == 1
            await screenshot(page, "admin-webhook-deliveries")

            # the receiver fails the redelivery: retrying with its 500; redelivered again, it goes through
            receiver.failures = 1
            await row.locator("[data-testid=redeliver]").click()
            await row.locator("text=HTTP 500").wait_for()
            assert await row.get_attribute("data-status") == "retrying"
            await row.locator("[data-testid=redeliver]").click()
            await row.locator("text=Delivered (3 attempts)").wait_for()
            assert len(receiver.delivered()) == 2

            # Send test: a Ping delivered
            await page.click("[data-testid=ping]")
            await page.locator("tr[data-status=delivered]:has-text('Ping')").wait_for()

            # edit: paused; the list says so, with the newest delivery
            await page.click("a:has-text('Edit')")
            await page.locator("[data-testid=webhook-form] input[name=active]").uncheck()
            await page.click("[data-testid=save-webhook]")
            listed = page.locator(f"tr[data-webhook='{endpoint}']")
            await listed.locator("td:has-text('paused')").wait_for()
            await listed.locator("[data-testid=last-delivery]:has-text('Delivered, HTTP 204')").wait_for()
            await screenshot(page, "admin-webhooks")

            # delete, after a confirmation
            await listed.locator("button:has-text('Delete')").click()
            await page.click("dialog button:has-text('Delete')")
            await listed.wait_for(state="detached")
            assert (await api.get(f"/api/webhooks/{endpoint}")).status_code == 404
    finally:
        await receiver.stop()
        await api.put(SETTINGS, json=original)
        for w in (await api.get("/api/webhooks?limit=100")).json()["items"]:
            if w["url"] == receiver.url:
                await api.delete(f"/api/webhooks/{w['id']}")


async def wait_for_delivery(api: httpx.AsyncClient, endpoint: str, *, key: str) -> str:
    """The id of the endpoint's LabelChanged delivery of `key` (a sample), once it is delivered."""
    found: list[str] = []

    async def delivered() -> bool:
        items: list[dict[str, str]] = (await api.get(f"/api/webhooks/{endpoint}/deliveries?limit=100")).json()["items"]
        found[:] = [d["id"] for d in items if d["key"] == key and d["status"] == "delivered"]
        return bool(found)

    await wait_for(delivered, timeout=30, what="the LabelChanged delivered")
    return found[0]
