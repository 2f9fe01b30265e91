"""The load generator's HTTP client: aiohttp with a pooled connector. The benches' clients run on the same cores as
the platform they measure, so they must cost little: httpx spent about 3.5 ms of CPU per save, as much as the gateway
and labeling-svc together; aiohttp about a fifth of that. Setup calls keep httpx."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LoadClient:
    """`async with LoadClient(base_url, headers) as client: await client.request("PUT", path, json=..., ...)`."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, connections: int = 64) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LoadClient:
        connector = aiohttp.TCPConnector(limit=self._connections)
        timeout = aiohttp.ClientTimeout(total=600)
        self._session = aiohttp.ClientSession(connector=connector, headers=self._headers, timeout=timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self, method: str, path: str, *, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        assert self._session is not None, "use LoadClient as an async context manager"
        async with self._session.request(method, self._base_url + path, json=json, headers=headers) as response:
            return Answer(response.status, await response.read())
