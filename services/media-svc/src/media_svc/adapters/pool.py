"""A bounded pool of decoding processes. At most `workers` tasks run at once (the rest wait here, so a task's
timeout counts its run, not its wait); a task that runs too long or kills its process (a decoder crash) costs the
pool its processes, which are started afresh for the next task: the service itself never goes down with them."""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar, overload

from media_svc.adapters.worker_init import init_worker, run_named
from media_svc.domain.limits import DecoderFailedError

T = TypeVar("T")
log = logging.getLogger(__name__)


class ProcessPool:
    def __init__(self, *, name: str, workers: int, memory_limit_bytes: int) -> None:
        self.name = name
        self.workers = max(1, workers)
        self._memory_limit = memory_limit_bytes
        self._slots = asyncio.Semaphore(self.workers)
        self._executor: ProcessPoolExecutor | None = None

    def _ensure(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # fewer malloc arenas in the decoding processes (inherited at spawn): freed frame buffers go back sooner
            os.environ.setdefault("MALLOC_ARENA_MAX", "2")
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),  # no fork of a process with running threads
                initializer=init_worker,
                initargs=(self._memory_limit,),
            )
        return self._executor

    @overload
    async def run(self, fn: str, /, *args: Any, timeout: float, **kwargs: Any) -> Any: ...

    @overload
    async def run(self, fn: Callable[..., T], /, *args: Any, timeout: float, **kwargs: Any) -> T: ...

    async def run(self, fn: Callable[..., T] | str, /, *args: Any, timeout: float, **kwargs: Any) -> Any:
        """Run `fn` (or the function named "module:function", imported only in the worker) in a worker process."""
        if isinstance(fn, str):
            task: Callable[[], Any] = functools.partial(run_named, fn, *args, **kwargs)
        else:
            task = functools.partial(fn, *args, **kwargs)
        async with self._slots:
            executor = self._ensure()
            future = executor.submit(task)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
            except TimeoutError as exc:
                log.warning("%s: a task ran over %.0f s; restarting the pool", self.name, timeout)
                self._discard(executor, kill=True)
                raise DecoderFailedError(f"decoding took longer than {timeout:.0f} s") from exc
            except BrokenProcessPool as exc:
                log.warning("%s: a decoding process died; restarting the pool", self.name)
                self._discard(executor, kill=False)
                raise DecoderFailedError("the decoder crashed") from exc

    def _discard(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        if self._executor is executor:
            self._executor = None
        if kill:
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def warm_up(self) -> None:
        """Start the processes now (importing the decoders takes a moment) rather than on the first request."""
        await self.run(_noop, timeout=120)

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


def _noop() -> None:
    return None
