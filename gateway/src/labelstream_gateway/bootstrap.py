"""Wires the gateway: an HTTP client to the services, their readiness in /readyz, users and tokens, live updates
and the UI."""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, service_app
from labelstream_shared.web import ReadinessCheck

from labelstream_gateway import auth_api, files, limits, live, proxy, ui
from labelstream_gateway.auth import Auth, Tokens, ensure_bootstrap_admin
from labelstream_gateway.settings import GatewaySettings
from labelstream_gateway.throttle import LoginThrottle, ThrottleRule
from labelstream_gateway.upstream import AiohttpUpstream, Upstream, fetch
from labelstream_gateway.users_mongo import MongoLoginFailures, MongoUserStore, signing_secret, watch_users


def upstream_check(client: Upstream, base_url: str) -> ReadinessCheck:
    async def check() -> str:
        status, body = await fetch(client, "GET", f"{base_url}/readyz", timeout_s=2.5)
        if status != 200:
            failing = [name for name, c in json.loads(body).get("checks", {}).items() if not c.get("ok")]
            raise RuntimeError(f"unready: {', '.join(failing) or status}")
        return "ready"

    return check


ROUTERS = [ui.router, auth_api.router, live.router, files.router, proxy.router]  # the proxy's catch-all comes last


def create_app(settings: GatewaySettings) -> FastAPI:
    async def wire(runtime: ServiceRuntime) -> Wiring:
        client = AiohttpUpstream(timeout_s=settings.upstream_timeout_s)
        upstreams = settings.upstreams()
        users = MongoUserStore(runtime.db)
        secret = settings.auth_secret or await signing_secret(runtime.db)
        await ensure_bootstrap_admin(
            users, username=settings.auth_bootstrap_admin, password=settings.auth_bootstrap_password
        )
        auth = Auth(
            enabled=settings.auth_enabled,
            tokens=Tokens(secret, ttl_s=settings.auth_token_ttl_s),
            users=users,
            throttle=await _throttle(runtime, settings),
            users_cache_s=settings.auth_user_cache_s,
            trusted_proxies=settings.trusted_proxies(),
        )
        hub = live.EventHub()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(watch_users(runtime.db, auth.current.forget, stop), name="users-changes")]
        if settings.live_updates:
            tasks.append(asyncio.create_task(hub.tail(settings.kafka_bootstrap_servers, stop), name="live-updates"))

        async def stop_tasks() -> None:
            stop.set()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        return Wiring(
            deps=proxy.GatewayDeps(
                client=client,
                upstreams=upstreams,
                auth=auth,
                hub=hub,
                presign=lambda bucket, key: runtime.storage.client.presigned_get_object(
                    bucket, key, expires=files.PRESIGNED_TTL
                ),
            ),
            extra_checks={name: upstream_check(client, url) for name, url in upstreams.items()},
            closers=[client.close, stop_tasks],
        )

    app = service_app(settings, routers=ROUTERS, wire=wire)
    limits.install(app)
    return app


async def _throttle(runtime: ServiceRuntime, settings: GatewaySettings) -> LoginThrottle:
    failures = MongoLoginFailures(runtime.db)
    await failures.ensure_indexes()
    window = settings.auth_login_window_s
    return LoginThrottle(
        failures,
        per_user=ThrottleRule(limit=settings.auth_login_failures_per_user, window_s=window),
        per_address=ThrottleRule(limit=settings.auth_login_failures_per_address, window_s=window),
    )
