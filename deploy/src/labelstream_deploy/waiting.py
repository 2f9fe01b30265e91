"""Polling helpers for readiness."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable


class NotReadyError(RuntimeError):
    """A component did not become ready in time."""


def wait_until(check: Callable[[], bool], *, what: str, timeout: float, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last_error = exc
        time.sleep(interval)
    raise NotReadyError(f"{what} not ready after {timeout:.0f}s" + (f": {last_error}" if last_error else ""))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URLs only
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
