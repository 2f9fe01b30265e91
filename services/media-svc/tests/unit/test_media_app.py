from __future__ import annotations

import httpx
import pytest
from labelstream_shared.settings import ServiceSettings
from media_svc.bootstrap import create_app
from media_svc.settings import MediaSettings


async def test_app_is_built_without_connecting_and_exposes_health() -> None:
    """Nothing connects at import or construction: wiring happens in the lifespan."""
    app = create_app(MediaSettings(mongo_url="mongodb://unreachable.invalid:1/?replicaSet=rs0"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/metrics")).status_code == 200


def test_roles_are_validated() -> None:
    assert ServiceSettings(roles="relay, consumers").role_set == {"relay", "consumers"}
    with pytest.raises(ValueError, match="bogus"):
        _ = ServiceSettings(roles="api,bogus").role_set
