"""Name resolution and the HTTP client of deliveries (aiohttp).

The client connects only to addresses the SSRF guard allows: its resolver resolves every connection's host afresh
(no DNS cache) and refuses the connection when any address is refused (domain/targets.py), so a name that passed the
check before the attempt and resolves elsewhere now (DNS rebinding) is still refused. Redirects are not followed, no
proxy from the environment is used, and only the first KiB of an answer is read (for the delivery log)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from webhook_svc.domain.deliveries import AttemptResult
from webhook_svc.domain.targets import TargetRefusedError, check_addresses

RESOLVE_TIMEOUT_S = 5.0
ANSWER_EXCERPT_BYTES = 1024


class DnsResolver:
    """The system resolver (getaddrinfo), bounded in time."""

    async def resolve(self, host: str) -> list[str]:
        try:
            found = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
            )
        except (OSError, TimeoutError, UnicodeError):
            return []
        return list(dict.fromkeys(str(info[4][0]) for info in found))


class _GuardedResolver(AbstractResolver):
    def __init__(self, *, allow_private: bool) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        try:
            check_addresses(host, [r["host"] for r in found], allow_private=self._allow_private)
        except TargetRefusedError as exc:
            raise OSError(f"refused by the SSRF guard: {exc}") from exc
        return found

    async def close(self) -> None:
        await self._inner.close()


class HttpSender:
    """Two connection pools: one that allows private targets and one that does not (the admin's setting at the
    time of each attempt chooses)."""

    def __init__(self, *, timeout_s: float = 10.0, max_connections: int = 64) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_connections = max_connections
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def _session(self, allow_private: bool) -> aiohttp.ClientSession:
        if allow_private not in self._sessions:
            connector = aiohttp.TCPConnector(
                resolver=_GuardedResolver(allow_private=allow_private),
                use_dns_cache=False,
                limit=self._max_connections,
            )
            self._sessions[allow_private] = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, trust_env=False, auto_decompress=False
            )
        return self._sessions[allow_private]

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str], allow_private: bool) -> AttemptResult:
        try:
            async with self._session(allow_private).post(
                url, data=body, headers=dict(headers), allow_redirects=False
            ) as answer:
                excerpt = await answer.content.read(ANSWER_EXCERPT_BYTES)
                if 200 <= answer.status < 300:
                    return AttemptResult(status_code=answer.status)
                text = excerpt.decode(errors="replace").strip()
                return AttemptResult(status_code=answer.status, error=f"answered {answer.status}: {text}".strip(": "))
        except TimeoutError:
            return AttemptResult(status_code=None, error=f"no answer within {self._timeout.total} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return AttemptResult(status_code=None, error=f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
