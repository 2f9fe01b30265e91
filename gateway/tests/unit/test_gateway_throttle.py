from __future__ import annotations

import pytest
from labelstream_gateway.throttle import (
    LoginThrottle,
    MemoryLoginFailures,
    ThrottleRule,
    TooManyLoginsError,
    client_address,
)
from labelstream_shared.web import http_status


async def test_failures_past_the_limit_are_refused_until_the_window_ends_and_a_success_clears_the_name() -> None:
    now = [1000.0]
    throttle = LoginThrottle(
        MemoryLoginFailures(),
        per_user=ThrottleRule(limit=2, window_s=60),
        per_address=ThrottleRule(limit=3, window_s=60),
        clock=lambda: now[0],
    )
    for _ in range(2):
        await throttle.check(username="ann", address="10.0.0.1")
        await throttle.failed(username="ann", address="10.0.0.1")
    now[0] = 1010.0
    with pytest.raises(TooManyLoginsError, match="this user name: try again in 50 s") as refused:
        await throttle.check(username="ann", address="10.0.0.9")
    assert refused.value.retry_after_s == 50 and http_status(refused.value) == 429
    await throttle.check(username="bob", address="10.0.0.1")  # the address has one failure left
    await throttle.failed(username="bob", address="10.0.0.1")
    with pytest.raises(TooManyLoginsError, match="this address"):
        await throttle.check(username="cid", address="10.0.0.1")
    now[0] = 1060.5  # the windows ended
    await throttle.check(username="ann", address="10.0.0.1")
    await throttle.failed(username="bob", address="10.0.0.2")
    await throttle.succeeded(username="bob")
    await throttle.failed(username="bob", address="10.0.0.2")
    await throttle.check(username="bob", address="10.0.0.2")  # one failure since the success


def test_the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    proxies = frozenset({"10.0.0.5", "10.0.0.6"})
    assert client_address("203.0.113.9", "1.2.3.4", trusted_proxies=proxies) == "203.0.113.9"  # a forged header
    assert client_address("10.0.0.5", "1.2.3.4, 198.51.100.7", trusted_proxies=proxies) == "198.51.100.7"
    assert client_address("10.0.0.5", "198.51.100.7, 10.0.0.6", trusted_proxies=proxies) == "198.51.100.7"
    assert client_address("10.0.0.5", None, trusted_proxies=proxies) == "10.0.0.5"
    assert client_address("10.0.0.5", "not-an-address", trusted_proxies=proxies) == "10.0.0.5"
    assert client_address(None, None, trusted_proxies=proxies) == "unknown"
