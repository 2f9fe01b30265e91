"""Issue 11 (point 6), through the running gateway: a cursor that no listing gave is a 422 naming the cursor on
every listing ordered by id (datasets, labeling datasets, jobs, history, sync runs, imports), as it already was on
samples and versions; the next_cursor a listing gives is taken."""

from __future__ import annotations

import pytest

from tests.support import admin_headers, gateway_client

pytestmark = pytest.mark.e2e

D, S = "0" * 32, "1" * 32
LISTINGS = [
    "/api/datasets",
    "/api/labeling/datasets",
    "/api/labeling/jobs",
    f"/api/labeling/datasets/{D}/samples/{S}/annotation/history",
    f"/api/sync/datasets/{D}/runs",
    f"/api/sync/datasets/{D}/imports",
]


@pytest.mark.parametrize("path", LISTINGS)
async def test_a_cursor_no_listing_gave_is_422(path: str) -> None:
    async with gateway_client(await admin_headers()) as api:
        for garbage in ("garbage", "ZZZZZZZZZZ", "'; drop", "0" * 65):
            answer = await api.get(path, params={"cursor": garbage})
            assert answer.status_code == 422, (path, garbage, answer.status_code, answer.text)
            assert "cursor" in answer.json()["message"], answer.text


async def test_the_next_cursor_of_a_listing_is_taken() -> None:
    async with gateway_client(await admin_headers()) as api:
        for path in ("/api/datasets", "/api/labeling/datasets", "/api/labeling/jobs"):
            first = (await api.get(path, params={"limit": 1})).json()
            if first["next_cursor"]:
                second = await api.get(path, params={"limit": 1, "cursor": first["next_cursor"]})
                assert second.status_code == 200, (path, second.text)
