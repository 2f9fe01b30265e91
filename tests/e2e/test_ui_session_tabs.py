"""Issue 10: one login serves every tab of a browser while tokens stay short-lived. A tab opened after the login is
logged in; a refresh made in one tab keeps the others logged in; a logout in one tab sends the others to the login
page (the session lives in localStorage; tabs follow each other through the `storage` event). Issue 11: a password
changed in the UI keeps it logged in (a new token, taken by every tab) and ends the user's other sessions."""

from __future__ import annotations

import json

import pytest
from labelstream_testing.gateway import chromium, logged_in, ui_gateway_url

from tests.support import ensure_user, gateway_client, login_token

pytestmark = pytest.mark.e2e

STORED = "localStorage.getItem('labelstream.session')"
# What api.ts's refresh() does, run in the first tab: a fresh token, stored for every tab.
REFRESH = """async () => {
  const s = JSON.parse(localStorage.getItem('labelstream.session'));
  await new Promise((r) => setTimeout(r, 1100));  // tokens carry seconds: a new second gives a new token
  const r = await fetch('/api/auth/refresh', {method: 'POST', headers: {Authorization: 'Bearer ' + s.token}});
  localStorage.setItem('labelstream.session', JSON.stringify(await r.json()));
}"""


async def test_one_login_serves_every_tab_and_one_logout_ends_it_everywhere(unique: str) -> None:
    user = f"tabs-{unique}"
    await ensure_user(user, "viewer", "tabs-pw", base_url=ui_gateway_url())
    async with chromium() as browser, logged_in(browser, user, "tabs-pw") as (context, first):
        assert await first.evaluate("sessionStorage.length") == 0
        second = await context.new_page()
        await second.goto("/#/jobs")
        await second.wait_for_selector("[data-testid=who]")
        assert await second.inner_text("[data-testid=who]") == f"{user} (viewer)"

        before = json.loads(await first.evaluate(STORED))["token"]
        await first.evaluate(REFRESH)
        assert json.loads(await first.evaluate(STORED))["token"] != before
        await second.goto("/#/datasets")
        await second.wait_for_selector("[data-testid=who]")
        assert "#/login" not in second.url

        await first.click("text=Log out")
        await first.wait_for_url("**/#/login*")
        await second.wait_for_url("**/#/login*")
        assert await second.evaluate(STORED) is None


async def test_a_password_change_keeps_this_browser_logged_in_and_ends_the_other_sessions(unique: str) -> None:
    user = f"pw-{unique}"
    await ensure_user(user, "viewer", "old-pw", base_url=ui_gateway_url())
    other_session = {"Authorization": f"Bearer {await login_token(user, 'old-pw', base_url=ui_gateway_url())}"}
    async with chromium() as browser, logged_in(browser, user, "old-pw") as (context, first):
        second = await context.new_page()
        await second.goto("/#/jobs")
        await second.wait_for_selector("[data-testid=who]")
        await first.click("[data-testid=change-password]")
        await first.fill("input[name=current-password]", "old-pw")
        await first.fill("input[name=new-password]", "new-pw")
        await first.fill("input[name=new-password-again]", "new-pw")
        await first.click("form button[type=submit]")
        await first.wait_for_url("**/#/datasets")
        await first.wait_for_selector("[data-testid=who]")
        await second.goto("/#/datasets")  # the other tab took the new session
        await second.wait_for_selector("[data-testid=who]")
        assert "#/login" not in first.url and "#/login" not in second.url
        token = json.loads(await first.evaluate(STORED))["token"]
    async with gateway_client({"Authorization": f"Bearer {token}"}, base_url=ui_gateway_url()) as this:
        assert (await this.get("/api/auth/me")).status_code == 200
    async with gateway_client(other_session, base_url=ui_gateway_url()) as other:
        assert (await other.get("/api/auth/me")).status_code == 401
