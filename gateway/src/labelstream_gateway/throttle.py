"""Login throttling: failed logins are counted per user name and per client address in fixed windows; past the
limit, logins for that name or from that address answer 429 with Retry-After until the window ends. A successful
login clears its user name's count (not the address's: one address may try many names)."""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from labelstream_shared.errors import TooManyRequestsError


class TooManyLoginsError(TooManyRequestsError):
    code = "too_many_attempts"


@dataclass(frozen=True)
class ThrottleRule:
    limit: int  # failures allowed in a window; the next login is refused until the window ends
    window_s: float


class LoginFailures(Protocol):
    """Failure counts per key in fixed windows (shared by every gateway replica in the real one)."""

    async def count(self, key: str, *, now: float) -> tuple[int, float]:
        """Failures in the key's current window and when that window ends (seconds since the epoch)."""
        ...

    async def add(self, key: str, *, now: float, window_s: float) -> None:
        """One more failure; starts a new window when the last one ended."""
        ...

    async def clear(self, key: str) -> None: ...


class MemoryLoginFailures:
    def __init__(self) -> None:
        self.windows: dict[str, tuple[int, float]] = {}

    async def count(self, key: str, *, now: float) -> tuple[int, float]:
        count, ends = self.windows.get(key, (0, 0.0))
        return (count, ends) if ends > now else (0, 0.0)

    async def add(self, key: str, *, now: float, window_s: float) -> None:
        count, ends = await self.count(key, now=now)
        self.windows[key] = (count + 1, ends) if count else (1, now + window_s)

    async def clear(self, key: str) -> None:
        self.windows.pop(key, None)


class LoginThrottle:
    def __init__(
        self,
        failures: LoginFailures,
        *,
        per_user: ThrottleRule = ThrottleRule(limit=5, window_s=60),
        per_address: ThrottleRule = ThrottleRule(limit=20, window_s=60),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._failures = failures
        self._rules = {"user": per_user, "address": per_address}
        self._clock = clock

    async def check(self, *, username: str, address: str) -> None:
        """Raises 429 (Retry-After: the seconds until the window ends) when the user name or the address is over."""
        now = self._clock()
        for kind, value in (("user", username), ("address", address)):
            count, ends = await self._failures.count(f"{kind}:{value}", now=now)
            if count >= self._rules[kind].limit:
                wait = max(1, math.ceil(ends - now))
                at = datetime.fromtimestamp(ends, UTC).strftime("%H:%M:%S UTC")
                who = "this user name" if kind == "user" else "this address"
                raise TooManyLoginsError(
                    f"too many failed logins for {who}: try again in {wait} s (at {at})",
                    retry_after_s=wait,
                    details={"retry_after_s": wait},
                )

    async def failed(self, *, username: str, address: str) -> None:
        now = self._clock()
        for kind, value in (("user", username), ("address", address)):
            await self._failures.add(f"{kind}:{value}", now=now, window_s=self._rules[kind].window_s)

    async def succeeded(self, *, username: str) -> None:
        await self._failures.clear(f"user:{username}")


def client_address(peer: str | None, forwarded_for: str | None, *, trusted_proxies: Collection[str]) -> str:
    """The caller's address: the connection's peer, unless the peer is a trusted proxy (LS_AUTH_TRUSTED_PROXIES);
    then the right-most X-Forwarded-For entry that is not a trusted proxy (entries left of it are the client's own
    claims and could be forged)."""
    address = peer or "unknown"
    if address not in trusted_proxies or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if hop not in trusted_proxies:
            return hop if _is_ip(hop) else address
    return address


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
