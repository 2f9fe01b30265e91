"""Following a background task (sync run, import, version, export) until it ends, telling its progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from labelstream.errors import Failed

T = TypeVar("T")


def wait_for(
    fetch: Callable[[], T],
    *,
    ended: Callable[[T], bool],
    failure: Callable[[T], str | None],
    on_progress: Callable[[T], None] | None = None,
    poll_s: float = 0.5,
    timeout_s: float | None = None,
    what: str = "task",
) -> T:
    """Fetch until `ended`; raises `Failed` with the task's error when `failure` names one, TimeoutError past
    `timeout_s`. `on_progress` sees every state fetched (the last one included)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        state = fetch()
        if on_progress is not None:
            on_progress(state)
        if ended(state):
            problem = failure(state)
            if problem is not None:
                raise Failed(f"{what} failed: {problem}")
            return state
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not end within {timeout_s} s")
        time.sleep(poll_s)
