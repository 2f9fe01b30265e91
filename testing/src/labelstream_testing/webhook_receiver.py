"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that records what it gets."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """An HTTP receiver on 127.0.0.1 that answers 500 to its first `failures` requests of events of `dataset` (the
    endpoint may also get other tests' events); it can stop and start again on its port."""

    port: int
    dataset: str
    failures: int = 0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        ours = json.loads(body).get("data", {}).get("dataset_id") == self.dataset
        status = 500 if ours and self.failures > 0 else 204
        self.failures -= 1 if ours else 0
        self.requests.append((dict(request.headers), body, status))
        return web.Response(status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[dict[str, Any]]:
        """The events of the dataset answered 2xx, in the order they arrived (other tests' events left out)."""
        events = [json.loads(body) for _, body, status in self.requests if status < 300]
        return [e for e in events if e.get("data", {}).get("dataset_id") == self.dataset]
