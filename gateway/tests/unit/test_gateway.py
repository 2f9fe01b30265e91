from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from labelstream_gateway.auth import Auth, MemoryUserStore, Tokens, hash_password, new_user
from labelstream_gateway.auth_api import router as auth_router
from labelstream_gateway.proxy import GatewayDeps
from labelstream_gateway.proxy import router as proxy_router
from labelstream_gateway.routing import service_for
from labelstream_gateway.ui import router as ui_router
from labelstream_shared.web import create_app


def test_first_segment_picks_the_service() -> None:
    assert service_for("datasets") == "dataset-svc"
    assert service_for("datasets/abc/samples") == "dataset-svc"
    assert service_for("labeling/datasets") == "labeling-svc"
    assert service_for("nothing/here") is None


async def fake_services(request: httpx.Request) -> httpx.Response:
    """Stands in for the services: echoes what reached it."""
    if request.url.host == "down":
        raise httpx.ConnectError("refused")
    echo = json.dumps(
        {
            "host": request.url.host,
            "path": request.url.raw_path.split(b"?")[0].decode(),  # as it came over the wire
            "query": str(request.url.query, "ascii"),
            "body": (await request.aread()).decode(),
            "correlation": request.headers.get("x-correlation-id"),
            "user": request.headers.get("x-user"),
            "credentials": [h for h in ("authorization", "cookie") if h in request.headers],
        }
    ).encode()
    # a streamed body, as a real service's response is
    return httpx.Response(201, headers={"content-type": "application/json"}, stream=httpx.ByteStream(echo))


HASHES: dict[str, str] = {}


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(fake_services))
    users = MemoryUserStore()
    for name in ("admin", "annotator", "viewer"):
        if name not in HASHES:  # argon2 is slow on purpose: hash once per run
            HASHES[name] = await hash_password(f"{name}-pw")
        await users.add(new_user(name, name, HASHES[name]))
    deps = GatewayDeps(
        client=upstream,
        upstreams={"dataset-svc": "http://datasets", "labeling-svc": "http://down", "media-svc": "", "sync-svc": ""},
        auth=Auth(enabled=True, tokens=Tokens("a-test-secret-of-at-least-32-bytes-long", ttl_s=60), users=users),
    )

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.deps = deps
        yield

    app = create_app(service="gateway", lifespan=lifespan, routers=[ui_router, auth_router, proxy_router])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield client
    await upstream.aclose()


async def token(gateway: httpx.AsyncClient, name: str) -> dict[str, str]:
    response = await gateway.post("/api/auth/login", json={"username": name, "password": f"{name}-pw"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_forwards_method_path_query_body_and_correlation_id(gateway: httpx.AsyncClient) -> None:
    headers = {"X-Correlation-ID": "abc", "X-User": "someone-else", **await token(gateway, "admin")}
    response = await gateway.post("/api/datasets?x=1&label=a&label=b", content=b'{"a":1}', headers=headers)
    assert response.status_code == 201
    assert response.json() == {
        "host": "datasets",
        "path": "/api/datasets",
        "query": "x=1&label=a&label=b",  # a repeated parameter keeps every value
        "body": '{"a":1}',
        "correlation": "abc",
        "user": "admin",
        "credentials": [],
    }


async def test_forwards_the_path_as_the_client_encoded_it(gateway: httpx.AsyncClient) -> None:
    headers = await token(gateway, "admin")
    for name in ("q%3Fmark.jpg", "hash%23tag.jpg", "nul%00byte.jpg", "sp%20ace%2Fslash.jpg"):
        response = await gateway.put(f"/api/datasets/d1/uploads/{name}?x=1", content=b"1", headers=headers)
        assert response.status_code == 201, (name, response.text)
        echoed = response.json()
        assert echoed["path"] == f"/api/datasets/d1/uploads/{name}", echoed
        assert echoed["query"] == "x=1"


async def test_unknown_api_is_404_and_a_down_service_is_502(gateway: httpx.AsyncClient) -> None:
    headers = await token(gateway, "viewer")
    missing = await gateway.get("/api/unknown", headers=headers)
    assert missing.status_code == 404 and "no API at /api/unknown" in missing.json()["message"]
    down = await gateway.get("/api/labeling/datasets", headers=headers)
    assert down.status_code == 502 and down.json()["error"] == "upstream_unavailable"


async def test_no_token_a_bad_token_or_a_bad_password_is_401(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/datasets")).status_code == 401
    bad = await gateway.get("/api/datasets", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthenticated"
    wrong = await gateway.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    assert wrong.status_code == 401
    nobody = await gateway.post("/api/auth/login", json={"username": "nobody", "password": "nope"})
    assert nobody.status_code == 401 and nobody.json()["message"] == wrong.json()["message"]


async def test_roles_are_enforced_before_forwarding(gateway: httpx.AsyncClient) -> None:
    viewer, annotator = await token(gateway, "viewer"), await token(gateway, "annotator")
    denied = await gateway.post("/api/sync/datasets/d1/runs", headers=viewer)
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    refused = await gateway.delete("/api/datasets/d1", headers=annotator)
    assert refused.status_code == 403
    refused_deletion = await gateway.post("/api/datasets/d1/samples/deletions", json={}, headers=annotator)
    assert refused_deletion.status_code == 403
    preview = await gateway.post("/api/datasets/d1/samples/deletion-preview", json={}, headers=viewer)
    assert preview.status_code == 201  # a read that POSTs: forwarded (the fake answers 201)


async def test_the_cookie_authenticates_reads_only(gateway: httpx.AsyncClient) -> None:
    login = await gateway.post("/api/auth/login", json={"username": "admin", "password": "admin-pw"})
    cookie = login.cookies.get("ls_token")
    assert cookie
    gateway.cookies.set("ls_token", cookie)
    try:
        assert (await gateway.get("/api/datasets")).status_code == 201
        assert (await gateway.post("/api/datasets", json={})).status_code == 401  # no CSRF through the cookie
    finally:
        gateway.cookies.clear()


async def test_admins_manage_users_and_others_may_not(gateway: httpx.AsyncClient) -> None:
    admin, viewer = await token(gateway, "admin"), await token(gateway, "viewer")
    created = await gateway.post(
        "/api/auth/users", json={"username": "ann2", "password": "pw-ann2", "role": "annotator"}, headers=admin
    )
    assert created.status_code == 201 and created.json() == {"username": "ann2", "role": "annotator"}
    assert (await gateway.get("/api/auth/users", headers=viewer)).status_code == 403
    me = await gateway.get("/api/auth/me", headers=await token_of(gateway, "ann2", "pw-ann2"))
    assert me.json() == {"username": "ann2", "role": "annotator"}


async def test_a_demoted_or_deleted_admin_loses_the_rights_at_once(gateway: httpx.AsyncClient) -> None:
    admin = await token(gateway, "admin")
    made = await gateway.post(
        "/api/auth/users", json={"username": "boss", "password": "pw-boss", "role": "admin"}, headers=admin
    )
    assert made.status_code == 201
    boss = await token_of(gateway, "boss", "pw-boss")
    new_user = {"username": "x1", "password": "pw-x1", "role": "viewer"}
    assert (await gateway.post("/api/auth/users", json=new_user, headers=boss)).status_code == 201
    # demoted: the token (issued to an admin) now carries a viewer's rights
    assert (await gateway.patch("/api/auth/users/boss", json={"role": "viewer"}, headers=admin)).status_code == 200
    assert (await gateway.get("/api/auth/me", headers=boss)).json()["role"] == "viewer"
    again = {**new_user, "username": "x2"}
    assert (await gateway.post("/api/auth/users", json=again, headers=boss)).status_code == 403
    assert (await gateway.post("/api/datasets/d1/things", json={}, headers=boss)).status_code == 403
    refreshed = await gateway.post("/api/auth/refresh", headers=boss)
    assert refreshed.json()["user"]["role"] == "viewer"
    # deleted: the token is refused
    assert (await gateway.delete("/api/auth/users/boss", headers=admin)).status_code == 204
    refused = await gateway.post("/api/auth/users", json=again, headers=boss)
    assert refused.status_code == 401 and "no longer exists" in refused.json()["message"]
    assert (await gateway.get("/api/datasets/d1", headers=boss)).status_code == 401


async def test_current_roles_are_read_again_after_their_time() -> None:
    from labelstream_gateway.auth import CurrentRoles

    users, now = MemoryUserStore(), [0.0]
    await users.add(new_user("u", "admin", "x"))
    roles = CurrentRoles(users, ttl_s=2.0, clock=lambda: now[0])
    assert await roles.of("u") == "admin"
    await users.update(new_user("u", "viewer", "x"))  # changed by another gateway replica
    assert await roles.of("u") == "admin"
    now[0] = 2.5
    assert await roles.of("u") == "viewer"
    await users.delete("u")
    roles.forget("u")
    assert await roles.of("u") is None


async def token_of(gateway: httpx.AsyncClient, name: str, password: str) -> dict[str, str]:
    response = await gateway.post("/api/auth/login", json={"username": name, "password": password})
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_serves_the_ui(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/")
    assert page.status_code == 200 and "<title>Labelstream</title>" in page.text
