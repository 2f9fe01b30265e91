from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from labelstream_gateway import limits
from labelstream_gateway.auth import Auth, MemoryUserStore, Tokens, hash_password, new_user
from labelstream_gateway.auth_api import router as auth_router
from labelstream_gateway.files import router as files_router
from labelstream_gateway.proxy import GatewayDeps
from labelstream_gateway.proxy import router as proxy_router
from labelstream_gateway.routing import service_for
from labelstream_gateway.ui import router as ui_router
from labelstream_gateway.upstream import Body, UpstreamResponse, UpstreamUnavailableError
from labelstream_shared.web import create_app


def test_first_segment_picks_the_service() -> None:
    assert service_for("datasets") == "dataset-svc"
    assert service_for("datasets/abc/samples") == "dataset-svc"
    assert service_for("labeling/datasets") == "labeling-svc"
    assert service_for("nothing/here") is None


SAMPLE_LOOKUPS: list[str] = []  # the paths the files route asked dataset-svc for


class FakeServices:
    """Stands in for the services (the gateway's Upstream): echoes what reached it, the body streamed back as a real
    service's is; knows no sample (the files route's lookup); the host `down` is not reachable."""

    async def open(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, body: Body = None
    ) -> UpstreamResponse:
        parts = urlsplit(url)
        if parts.hostname == "down":
            raise UpstreamUnavailableError("ClientConnectorError")
        if method == "GET" and "/samples/" in parts.path:
            SAMPLE_LOOKUPS.append(parts.path)
            return answer(404, b'{"error": "not_found", "message": "no such sample"}', length=True)
        received = body if isinstance(body, bytes | None) else b"".join([c async for c in body])
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        echo = {
            "host": parts.hostname,
            "path": parts.path,  # as it came over the wire
            "query": parts.query,
            "body": (received or b"").decode(),
            "correlation": sent.get("x-correlation-id"),
            "user": sent.get("x-user"),
            "credentials": [h for h in ("authorization", "cookie") if h in sent],
        }
        return answer(201, json.dumps(echo).encode(), length=False)

    async def close(self) -> None:
        pass


def answer(status: int, body: bytes, *, length: bool) -> UpstreamResponse:
    async def read() -> bytes:
        return body

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    async def close() -> None:
        pass

    return UpstreamResponse(
        status=status,
        headers=[(b"content-type", b"application/json")],
        length=len(body) if length else None,
        read=read,
        chunks=chunks,
        close=close,
    )


HASHES: dict[str, str] = {}


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    upstream = FakeServices()
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

    app = create_app(service="gateway", lifespan=lifespan, routers=[ui_router, auth_router, files_router, proxy_router])
    limits.install(app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield client
    await upstream.close()


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
    assert created.status_code == 201 and created.json() == {"username": "ann2", "role": "annotator", "disabled": False}
    assert (await gateway.get("/api/auth/users", headers=viewer)).status_code == 403
    me = await gateway.get("/api/auth/me", headers=await token_of(gateway, "ann2", "pw-ann2"))
    assert me.json() == {"username": "ann2", "role": "annotator", "disabled": False}


async def test_a_demoted_or_deleted_admin_loses_the_rights_at_once(gateway: httpx.AsyncClient) -> None:
    admin = await token(gateway, "admin")
    made = await gateway.post(
        "/api/auth/users", json={"username": "boss", "password": "pw-boss", "role": "admin"}, headers=admin
    )
    assert made.status_code == 201
    boss = await token_of(gateway, "boss", "pw-boss")
    new_user = {"username": "x1", "password": "pw-x1", "role": "viewer"}
    assert (await gateway.post("/api/auth/users", json=new_user, headers=boss)).status_code == 201
    # demoted: the token (issued to an admin) is of the old generation, refused
    assert (await gateway.patch("/api/auth/users/boss", json={"role": "viewer"}, headers=admin)).status_code == 200
    again = {**new_user, "username": "x2"}
    refused = await gateway.post("/api/auth/users", json=again, headers=boss)
    assert refused.status_code == 401 and "role or password changed" in refused.json()["message"]
    assert (await gateway.post("/api/auth/refresh", headers=boss)).status_code == 401
    # logged in again: a viewer
    boss = await token_of(gateway, "boss", "pw-boss")
    assert (await gateway.get("/api/auth/me", headers=boss)).json()["role"] == "viewer"
    assert (await gateway.post("/api/auth/users", json=again, headers=boss)).status_code == 403
    assert (await gateway.post("/api/datasets/d1/things", json={}, headers=boss)).status_code == 403
    # an unchanged role bumps nothing: the token stays good
    assert (await gateway.patch("/api/auth/users/boss", json={"role": "viewer"}, headers=admin)).status_code == 200
    assert (await gateway.get("/api/auth/me", headers=boss)).status_code == 200
    # deleted: the token is refused
    assert (await gateway.delete("/api/auth/users/boss", headers=admin)).status_code == 204
    refused = await gateway.post("/api/auth/users", json=again, headers=boss)
    assert refused.status_code == 401 and "no longer exists" in refused.json()["message"]
    assert (await gateway.get("/api/datasets/d1", headers=boss)).status_code == 401


async def test_the_last_admin_keeps_the_rights(gateway: httpx.AsyncClient) -> None:
    admin = await token(gateway, "admin")
    others = [u for u in (await gateway.get("/api/auth/users", headers=admin)).json() if u["role"] == "admin"]
    assert [u["username"] for u in others] == ["admin"]
    refused = await gateway.patch("/api/auth/users/admin", json={"role": "viewer"}, headers=admin)
    assert refused.status_code == 409 and "'admin' is the last admin" in refused.json()["message"]
    assert (await gateway.get("/api/auth/me", headers=admin)).json()["role"] == "admin"
    made = {"username": "second", "password": "pw-second", "role": "admin"}
    assert (await gateway.post("/api/auth/users", json=made, headers=admin)).status_code == 201
    assert (await gateway.patch("/api/auth/users/admin", json={"role": "viewer"}, headers=admin)).status_code == 200
    second = await token_of(gateway, "second", "pw-second")
    refused = await gateway.patch("/api/auth/users/second", json={"role": "annotator"}, headers=second)
    assert refused.status_code == 409


async def test_a_disabled_user_cannot_log_in_loses_their_sessions_and_is_enabled_again(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await token(gateway, "admin")
    body = {"username": "dee", "password": "pw-dee", "role": "admin"}
    assert (await gateway.post("/api/auth/users", json=body, headers=admin)).status_code == 201
    dee = await token_of(gateway, "dee", "pw-dee")
    disabled = await gateway.patch("/api/auth/users/dee", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200 and disabled.json() == {"username": "dee", "role": "admin", "disabled": True}
    refused = await gateway.get("/api/auth/me", headers=dee)
    assert refused.status_code == 401 and "disabled" in refused.json()["message"]
    assert (await gateway.post("/api/auth/refresh", headers=dee)).status_code == 401
    login = await gateway.post("/api/auth/login", json=body)
    assert login.status_code == 403 and "'dee' is disabled" in login.json()["message"]
    wrong = await gateway.post("/api/auth/login", json={**body, "password": "nope"})
    assert wrong.status_code == 401  # the disabled state is told only to whoever knows the password
    listed = {u["username"]: u for u in (await gateway.get("/api/auth/users", headers=admin)).json()}
    assert listed["dee"]["disabled"] is True and listed["admin"]["disabled"] is False
    # a disabled admin is no admin that remains: the last enabled one can neither be demoted nor disabled
    assert (await gateway.patch("/api/auth/users/admin", json={"role": "viewer"}, headers=admin)).status_code == 409
    myself = await gateway.patch("/api/auth/users/admin", json={"disabled": True}, headers=admin)
    assert myself.status_code == 409 and "cannot disable themself" in myself.json()["message"]
    enabled = await gateway.patch("/api/auth/users/dee", json={"disabled": False}, headers=admin)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    dee = await token_of(gateway, "dee", "pw-dee")
    assert (await gateway.get("/api/auth/users", headers=dee)).status_code == 200
    # now another enabled admin remains: dee may disable admin, whose token then is refused
    assert (await gateway.patch("/api/auth/users/admin", json={"disabled": True}, headers=dee)).status_code == 200
    assert (await gateway.get("/api/auth/me", headers=admin)).status_code == 401
    last = await gateway.patch("/api/auth/users/admin", json={"disabled": False}, headers=dee)
    assert last.status_code == 200


async def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(gateway: httpx.AsyncClient) -> None:
    admin = await token(gateway, "admin")
    body = {"username": "pat", "password": "pw-pat", "role": "annotator"}
    assert (await gateway.post("/api/auth/users", json=body, headers=admin)).status_code == 201
    laptop, phone = await token_of(gateway, "pat", "pw-pat"), await token_of(gateway, "pat", "pw-pat")
    wrong = {"current_password": "nope", "new_password": "pw-new"}
    assert (await gateway.post("/api/auth/password", json=wrong, headers=laptop)).status_code == 401
    change = {"current_password": "pw-pat", "new_password": "pw-new"}
    changed = await gateway.post("/api/auth/password", json=change, headers=laptop)
    assert changed.status_code == 200, changed.text
    assert changed.cookies.get("ls_token") == changed.json()["token"]
    for old in (laptop, phone):
        assert (await gateway.get("/api/auth/me", headers=old)).status_code == 401
    laptop = {"Authorization": f"Bearer {changed.json()['token']}"}
    me = (await gateway.get("/api/auth/me", headers=laptop)).json()
    assert me == {"username": "pat", "role": "annotator", "disabled": False}
    assert (await gateway.post("/api/auth/login", json=body)).status_code == 401  # the old password
    # an admin setting it: the user's sessions end too
    assert (await gateway.patch("/api/auth/users/pat", json={"password": "pw-3"}, headers=admin)).status_code == 200
    assert (await gateway.get("/api/auth/me", headers=laptop)).status_code == 401


async def test_logins_are_throttled_per_user_name_with_retry_after(gateway: httpx.AsyncClient) -> None:
    for _ in range(5):
        wrong = await gateway.post("/api/auth/login", json={"username": "viewer", "password": "nope"})
        assert wrong.status_code == 401
    throttled = await gateway.post("/api/auth/login", json={"username": "viewer", "password": "viewer-pw"})
    assert throttled.status_code == 429, throttled.text
    assert throttled.json()["error"] == "too_many_attempts" and "try again in" in throttled.json()["message"]
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert (
        await gateway.post("/api/auth/login", json={"username": "admin", "password": "admin-pw"})
    ).status_code == 200


async def test_a_body_over_the_routes_limit_is_413_before_it_is_read(gateway: httpx.AsyncClient) -> None:
    from labelstream_gateway.limits import JSON_BODY_LIMIT

    admin = await token(gateway, "admin")
    declared = await gateway.post("/api/datasets", content=b"x" * (JSON_BODY_LIMIT + 1), headers=admin)
    assert declared.status_code == 413 and "limit of 1 MiB" in declared.json()["message"]

    async def chunks(size: int) -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(size // 65536 + 1):
            yield b"x" * 65536

    streamed = await gateway.post("/api/datasets", content=chunks(JSON_BODY_LIMIT), headers=admin)
    assert streamed.status_code == 413 and streamed.json()["details"] == {"limit_bytes": JSON_BODY_LIMIT}
    login = await gateway.post("/api/auth/login", content=chunks(JSON_BODY_LIMIT))
    assert login.status_code == 413
    fits = await gateway.post("/api/datasets", content=b"x" * JSON_BODY_LIMIT, headers=admin)
    assert fits.status_code == 201


def test_an_annotation_may_be_a_little_larger_and_uploads_keep_their_own_limits() -> None:
    from labelstream_gateway.limits import ANNOTATION_BODY_LIMIT, JSON_BODY_LIMIT, body_limit

    assert body_limit("PUT", "/api/labeling/datasets/d/samples/s/annotation") == ANNOTATION_BODY_LIMIT == 2 * 1024**2
    assert body_limit("PUT", "/api/labeling/datasets/d/samples/s/annotation/hard-example") == JSON_BODY_LIMIT
    assert body_limit("PUT", "/api/sync/datasets/d/uploads/a.jpg") is None
    assert body_limit("PUT", "/api/sync/datasets/d/uploads/street/frame 01.jpg") is None  # a name with folders
    assert body_limit("POST", "/api/auth/login") == JSON_BODY_LIMIT
    assert body_limit("GET", "/api/datasets") is None


async def test_current_users_are_read_again_after_their_time_or_when_forgotten() -> None:
    from labelstream_gateway.auth import CurrentUsers

    users, now = MemoryUserStore(), [0.0]
    await users.add(new_user("u", "admin", "x"))
    current = CurrentUsers(users, ttl_s=10.0, clock=lambda: now[0])
    first = await current.of("u")
    assert first is not None and first.role == "admin"
    user = await users.get("u")
    assert user is not None
    await users.update(user.changed(role="viewer"))  # changed by another gateway replica
    assert await current.of("u") == first
    current.forget(None)  # the change event (or a restarted stream) reached this replica
    changed = await current.of("u")
    assert changed is not None and changed.role == "viewer" and changed.generation != first.generation
    await users.delete("u")
    assert await current.of("u") == changed
    now[0] = 10.5  # the backstop: read again after ttl_s even without an event
    assert await current.of("u") is None


async def token_of(gateway: httpx.AsyncClient, name: str, password: str) -> dict[str, str]:
    response = await gateway.post("/api/auth/login", json={"username": name, "password": password})
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_serves_the_ui(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/")
    assert page.status_code == 200 and "<title>Labelstream</title>" in page.text


async def test_source_file_ids_never_make_a_server_error(gateway: httpx.AsyncClient) -> None:
    """Found by the API fuzz: a control character in an id made the upstream URL invalid (a 500), and ? or # in an
    id changed what dataset-svc was asked for. Such ids are refused (422, the shared path id check); the ids the
    route forwards are quoted path segments; a well-formed id that names no sample is a 404."""
    headers = await token(gateway, "viewer")
    SAMPLE_LOOKUPS.clear()
    for dataset_id, sample_id in (("%02x", "s"), ("d", "a%3Fb%23c")):
        answer = await gateway.get(f"/api/files/datasets/{dataset_id}/samples/{sample_id}", headers=headers)
        assert answer.status_code == 422, (dataset_id, sample_id, answer.text)
    unknown = await gateway.get("/api/files/datasets/d.1/samples/s-2", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert SAMPLE_LOOKUPS == ["/api/datasets/d.1/samples/s-2"]


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    from labelstream_gateway.auth import Principal, UnauthenticatedError

    now = [1_000_000.0]
    tokens = Tokens("a-test-secret-of-at-least-32-bytes-long", ttl_s=60, clock=lambda: now[0])
    token, expires = tokens.issue(Principal(username="u", role="viewer"), generation="g1")
    now[0] = float(expires - 30)
    assert tokens.check(token).generation == "g1"  # verified once, then remembered
    now[0] = float(expires)
    with pytest.raises(UnauthenticatedError):
        tokens.check(token)  # by the clock, even though jwt's own clock would have accepted it
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(UnauthenticatedError):
        tokens.check(forged)
