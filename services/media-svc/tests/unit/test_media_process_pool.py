"""The bounded pool of decoding processes: a crash or an overrun costs the pool its processes, never the service,
and the next task runs in fresh ones."""

from __future__ import annotations

import pytest
from labelstream_testing.media import crash_process, sleep_in_process
from media_svc.adapters.pool import ProcessPool
from media_svc.domain.limits import DecoderFailedError


async def test_a_crashing_or_hanging_decoder_is_survived() -> None:
    pool = ProcessPool(name="test", workers=1, memory_limit_bytes=1024**3)
    try:
        with pytest.raises(DecoderFailedError, match="crashed"):
            await pool.run(crash_process, timeout=60)
        assert await pool.run(sleep_in_process, 0, timeout=60) == "slept"
        with pytest.raises(DecoderFailedError, match="longer than"):
            await pool.run(sleep_in_process, 30, timeout=1)
        assert await pool.run(sleep_in_process, 0, timeout=60) == "slept"
    finally:
        await pool.close()
