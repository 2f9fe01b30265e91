"""A client whose close waits on a server that no longer answers does not hold the shutdown: its close is given up
after CLOSE_TIMEOUT_S and logged (a pod would otherwise outlive its termination grace)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from labelstream_shared import runtime
from labelstream_shared.runtime import closed_within


async def test_a_close_that_hangs_is_given_up_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime, "CLOSE_TIMEOUT_S", 0.05)
    closed: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def closes() -> None:
        closed.append("quick")

    with caplog.at_level(logging.WARNING, logger=runtime.__name__):
        await asyncio.wait_for(closed_within(hangs, "the stuck client"), timeout=5)
        await closed_within(closes, "the quick client")
    assert closed == ["quick"]
    assert [r.getMessage() for r in caplog.records] == [
        "shutdown: the stuck client did not close within 0.05 s; left to the process's exit"
    ]
