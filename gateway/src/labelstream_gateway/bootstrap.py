"""Wires the gateway: an HTTP client to the services, their readiness in /readyz, the UI."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, service_app
from labelstream_shared.web import ReadinessCheck

from labelstream_gateway import proxy, ui
from labelstream_gateway.settings import GatewaySettings


def upstream_check(client: httpx.AsyncClient, base_url: str) -> ReadinessCheck:
    async def check() -> str:
        response = await client.get(f"{base_url}/readyz", timeout=2.5)
        if response.status_code != 200:
            failing = [name for name, c in response.json().get("checks", {}).items() if not c.get("ok")]
            raise RuntimeError(f"unready: {', '.join(failing) or response.status_code}")
        return "ready"

    return check


def create_app(settings: GatewaySettings) -> FastAPI:
    async def wire(runtime: ServiceRuntime) -> Wiring:
        client = httpx.AsyncClient(timeout=settings.upstream_timeout_s)
        upstreams = settings.upstreams()
        return Wiring(
            deps=proxy.GatewayDeps(client=client, upstreams=upstreams),
            extra_checks={name: upstream_check(client, url) for name, url in upstreams.items()},
            closers=[client.aclose],
        )

    return service_app(settings, routers=[ui.router, proxy.router], wire=wire)
