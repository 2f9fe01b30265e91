"""Issue 11 (point 4), through the running gateway: a token names the user's token generation; a role change, a
password change and a deletion end it, so a demoted, re-passworded or deleted admin's old token is refused (401) on
the very next request, whether the gateway had the user cached or not, and whether this gateway or another replica
(here: a write straight into the gateway's users collection) made the change."""

from __future__ import annotations

import secrets

import pytest
from labelstream_shared.mongo import Document
from pymongo import AsyncMongoClient

from tests.support import admin_headers, eventually, gateway_client, login_token

pytestmark = pytest.mark.e2e
BODY = {"name": "x", "labeling_type": "image_segmentation", "input_path": {"bucket": "b", "prefix": ""}}


async def _bearer(username: str, password: str = "pw-12345") -> dict[str, str]:
    return {"Authorization": f"Bearer {await login_token(username, password)}"}


async def test_a_deleted_admin_cannot_create_an_admin_and_a_demoted_one_writes_nothing(unique: str) -> None:
    async with gateway_client(await admin_headers()) as admin:
        for name in (f"boss-{unique}", f"lead-{unique}"):
            made = await admin.post("/api/auth/users", json={"username": name, "password": "pw-12345", "role": "admin"})
            assert made.status_code == 201, made.text
        boss, lead = await _bearer(f"boss-{unique}"), await _bearer(f"lead-{unique}")
        async with gateway_client(lead) as warm:  # this gateway has the user cached when the change comes
            assert (await warm.get("/api/auth/me")).json()["role"] == "admin"
        assert (await admin.delete(f"/api/auth/users/boss-{unique}")).status_code == 204
        demoted = await admin.patch(f"/api/auth/users/lead-{unique}", json={"role": "viewer"})
        assert demoted.status_code == 200, demoted.text

    async with gateway_client(boss) as deleted:
        answer = await deleted.post(
            "/api/auth/users", json={"username": f"evil-{unique}", "password": "pw-12345", "role": "admin"}
        )
        assert answer.status_code == 401, answer.text
        assert "no longer exists" in answer.json()["message"]
        assert (await deleted.get("/api/datasets")).status_code == 401
    async with gateway_client(lead) as old_token:
        refused = await old_token.post("/api/datasets", json={**BODY, "name": f"x-{unique}"})
        assert refused.status_code == 401, refused.text
        assert "role or password changed" in refused.json()["message"]
        assert (await old_token.get("/api/datasets")).status_code == 401
        assert (await old_token.post("/api/auth/refresh")).status_code == 401
    async with gateway_client(await _bearer(f"lead-{unique}")) as viewer:  # logged in again: a viewer
        assert (await viewer.get("/api/auth/me")).json()["role"] == "viewer"
        assert (await viewer.get("/api/datasets")).status_code == 200
        assert (await viewer.post("/api/datasets", json={**BODY, "name": f"x-{unique}"})).status_code == 403
        made = await viewer.post(
            "/api/auth/users", json={"username": f"x-{unique}", "password": "pw-12345", "role": "admin"}
        )
        assert made.status_code == 403


async def test_a_password_change_ends_every_other_session_and_keeps_the_changing_one(unique: str) -> None:
    name = f"pat-{unique}"
    async with gateway_client(await admin_headers()) as admin:
        made = await admin.post("/api/auth/users", json={"username": name, "password": "pw-12345", "role": "admin"})
        assert made.status_code == 201, made.text
    laptop, phone = await _bearer(name), await _bearer(name)
    async with gateway_client(phone) as other:
        assert (await other.get("/api/auth/me")).status_code == 200  # cached by the gateway
    async with gateway_client(laptop) as this:
        changed = await this.post(
            "/api/auth/password", json={"current_password": "pw-12345", "new_password": "pw-67890"}
        )
        assert changed.status_code == 200, changed.text
    async with gateway_client(phone) as other:
        refused = await other.get("/api/auth/me")
        assert refused.status_code == 401 and "role or password changed" in refused.json()["message"]
    async with gateway_client(laptop) as old:
        assert (await old.get("/api/datasets")).status_code == 401
    async with gateway_client({"Authorization": f"Bearer {changed.json()['token']}"}) as this:
        assert (await this.get("/api/auth/me")).json() == {"username": name, "role": "admin", "disabled": False}
        assert (await this.get("/api/datasets")).status_code == 200
    assert await login_token(name, "pw-67890")


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "not-cached"])
async def test_a_change_made_by_another_replica_ends_the_token_on_the_change_event(
    unique: str, cached: bool, mongo_client: AsyncMongoClient[Document]
) -> None:
    """The other replica's change reaches this gateway as a change event of the users collection, well before the
    cache's 10 s backstop."""
    name = f"far-{unique}"
    async with gateway_client(await admin_headers()) as admin:
        made = await admin.post("/api/auth/users", json={"username": name, "password": "pw-12345", "role": "admin"})
        assert made.status_code == 201, made.text
    token = await _bearer(name)
    async with gateway_client(token) as old:
        if cached:
            assert (await old.get("/api/auth/me")).status_code == 200
        # what another replica's PATCH /api/auth/users/{name} {"role": "viewer"} writes
        changed = await mongo_client["gateway"]["users"].update_one(
            {"_id": name}, {"$set": {"role": "viewer", "generation": secrets.token_hex(8)}}
        )
        assert changed.matched_count == 1

        async def refused() -> bool:
            return (await old.get("/api/auth/me")).status_code == 401

        took = await eventually(refused, timeout=5, what="the old token refused")
        assert took < 3, f"refused after {took:.1f} s: the cache's backstop, not the change event"
