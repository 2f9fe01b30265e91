"""Issue 11 (point 4), through the running gateway: a demoted or deleted admin loses the rights with the change, not
when the token expires (the gateway checks the role each user has now, not the one the token was issued with)."""

from __future__ import annotations

import pytest

from tests.support import admin_headers, gateway_client, login_token

pytestmark = pytest.mark.e2e


async def test_a_deleted_admin_cannot_create_an_admin_and_a_demoted_one_writes_nothing(unique: str) -> None:
    async with gateway_client(await admin_headers()) as admin:
        for name in (f"boss-{unique}", f"lead-{unique}"):
            made = await admin.post("/api/auth/users", json={"username": name, "password": "pw-12345", "role": "admin"})
            assert made.status_code == 201, made.text
        boss = {"Authorization": f"Bearer {await login_token(f'boss-{unique}', 'pw-12345')}"}
        lead = {"Authorization": f"Bearer {await login_token(f'lead-{unique}', 'pw-12345')}"}
        assert (await admin.delete(f"/api/auth/users/boss-{unique}")).status_code == 204
        demoted = await admin.patch(f"/api/auth/users/lead-{unique}", json={"role": "viewer"})
        assert demoted.status_code == 200, demoted.text

    async with gateway_client(boss) as deleted:
        answer = await deleted.post(
            "/api/auth/users", json={"username": f"evil-{unique}", "password": "pw-12345", "role": "admin"}
        )
        assert answer.status_code == 401, answer.text
        assert (await deleted.get("/api/datasets")).status_code == 401
    async with gateway_client(lead) as viewer:
        assert (await viewer.get("/api/auth/me")).json()["role"] == "viewer"
        assert (await viewer.get("/api/datasets")).status_code == 200
        body = {
            "name": f"x-{unique}",
            "labeling_type": "image_segmentation",
            "input_path": {"bucket": "b", "prefix": ""},
        }
        assert (await viewer.post("/api/datasets", json=body)).status_code == 403
        made = await viewer.post(
            "/api/auth/users", json={"username": f"x-{unique}", "password": "pw-12345", "role": "admin"}
        )
        assert made.status_code == 403
