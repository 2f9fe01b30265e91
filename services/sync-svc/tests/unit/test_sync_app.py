from __future__ import annotations

import httpx
from sync_svc.bootstrap import create_app
from sync_svc.settings import SyncSettings


async def test_app_is_built_without_connecting_and_exposes_health() -> None:
    app = create_app(SyncSettings(kafka_bootstrap_servers="unreachable.invalid:1"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/metrics")).status_code == 200
    assert SyncSettings().http_port == 8004
