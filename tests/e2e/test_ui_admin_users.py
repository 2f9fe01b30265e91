"""The Admin area's Users page in headless Chromium, on a slow network: an admin creates a user (a double click
creates it once; a taken name is refused next to the field with the API's message), changes their role, resets
their password, is refused deleting themself, disables the user (whose open session then ends, and whose login is
refused with the reason) and enables them again, and deletes the user; reload and Back keep the admin where they
were. The new user logs in, sees no Admin entry, and gets "Admins only" on the admin pages."""

from __future__ import annotations

import pytest
from labelstream_testing.gateway import chromium, logged_in, screenshot, ui_gateway_url
from playwright.async_api import Page

from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, admin_headers, gateway_client

pytestmark = pytest.mark.e2e
LATENCY_MS = 150  # every request of the admin's page (DevTools protocol), as on a slow network


async def create_user(page: Page, name: str, password: str, role: str) -> None:
    form = page.locator("[data-testid=create-user]")
    await form.locator("input[name=username]").fill(name)
    await form.locator("input[name=password]").fill(password)
    await form.locator("input[name=password-again]").fill(password)
    await form.locator("select[name=role]").select_option(role)
    await form.locator("button[type=submit]").dblclick()


async def test_an_admin_manages_users_and_a_non_admin_is_kept_out(unique: str) -> None:
    name = f"ui-user-{unique}"
    base = ui_gateway_url()
    async with (
        gateway_client(await admin_headers(base_url=base), base_url=base) as api,
        chromium() as browser,
        logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, latency_ms=LATENCY_MS) as (_context, page),
    ):
        await page.click("[data-testid=nav-admin]")
        await page.wait_for_selector("[data-testid=users] tr[data-user=admin]")
        assert page.url.endswith("#/admin/users")

        # a taken name: the API's refusal under the field; then a double click creates the user once
        await create_user(page, GATEWAY_ADMIN, "long-enough", "viewer")
        await page.wait_for_selector("[data-problem=username]:has-text(\"'admin' is taken\")")
        await create_user(page, name, "first-pw", "viewer")
        row = page.locator(f"tr[data-user='{name}']")
        await row.wait_for()
        assert await page.locator("[data-problem=username]").inner_text() == ""
        assert await page.locator("[data-problem=form]").inner_text() == ""
        users = (await api.get("/api/auth/users")).json()
        assert [u["role"] for u in users if u["username"] == name] == ["viewer"]

        # change the role; a reload keeps the page and shows the new role
        await row.locator("select[name=role]").select_option("annotator")
        await page.wait_for_selector(f"text={name} is now annotator")
        await page.reload()
        await row.wait_for()
        assert page.url.endswith("#/admin/users")
        assert await row.locator("select[name=role]").input_value() == "annotator"

        # reset the password
        await row.locator("button:has-text('Reset password')").click()
        await page.fill("dialog input[name=new-password]", "second-pw")
        await page.fill("dialog input[name=new-password-again]", "second-pw")
        await page.click("dialog button:has-text('Set password')")
        await page.wait_for_selector(f"text=Password of {name} changed")

        # an admin cannot delete themself: the refusal on their row
        mine = page.locator("tr[data-user=admin]")
        await mine.locator("button:has-text('Delete')").click()
        await page.click("dialog button:has-text('Delete')")
        await mine.locator("[data-problem=row]:has-text('an admin cannot delete themself')").wait_for()
        await screenshot(page, "admin-users")

        # Back returns from the Webhooks tab to Users
        await page.click("[data-tab=webhooks]")
        await page.wait_for_selector("[data-testid=webhook-settings]")
        await page.go_back()
        await row.wait_for()

        # the user (now an annotator, with the new password): no Admin entry, and the admin pages say no
        async with logged_in(browser, name, "second-pw") as (_other, theirs):
            assert await theirs.inner_text("[data-testid=who]") == f"{name} (annotator)"
            assert await theirs.locator("[data-testid=nav-admin]").count() == 0
            for path in ("/#/admin/users", "/#/admin/webhooks", "/#/admin/webhooks/new"):
                await theirs.goto(path)
                await theirs.wait_for_selector("[data-testid=admins-only]:has-text('Admins only')")
                assert await theirs.locator("[data-testid=users], [data-testid=webhooks], form").count() == 0

        # disabled while logged in: the open session ends at its next request, and a login says why it is refused
        assert await mine.locator("button[data-action=disable]").count() == 0  # not offered for oneself
        async with logged_in(browser, name, "second-pw") as (_other, theirs):
            await row.locator("button[data-action=disable]").click()
            await page.click("dialog button:has-text('Disable')")
            await row.locator("[data-testid=disabled]").wait_for()
            assert await row.get_attribute("data-disabled") == "true"
            await theirs.reload()
            await theirs.wait_for_selector("input[name=password]")
            await theirs.fill("input[name=username]", name)
            await theirs.fill("input[name=password]", "second-pw")
            await theirs.click("button[type=submit]")
            await theirs.wait_for_selector(f"p.error:has-text('The user {name} is disabled')")
            assert await theirs.locator("[data-testid=who]").count() == 0
        await screenshot(page, "admin-users-disabled")
        await row.locator("button[data-action=enable]").click()
        await row.locator("button[data-action=disable]").wait_for()
        assert await row.locator("[data-testid=disabled]").count() == 0
        async with logged_in(browser, name, "second-pw") as (_other, theirs):
            assert await theirs.inner_text("[data-testid=who]") == f"{name} (annotator)"

        # delete the user, after a confirmation
        await row.locator("button:has-text('Delete')").click()
        await page.click("dialog button:has-text('Delete')")
        await row.wait_for(state="detached")
        assert name not in [u["username"] for u in (await api.get("/api/auth/users")).json()]
