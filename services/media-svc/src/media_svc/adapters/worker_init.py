"""What runs in a decoding process before its first task, and the trampoline that runs tasks by name: the service
process never imports the decoders (PyAV, OpenCV, Pillow), which keeps its memory small."""

from __future__ import annotations

import importlib
import os
import resource
from typing import Any

NICENESS = 5


def init_worker(memory_limit_bytes: int) -> None:
    """Bound a decoding process's memory: a hostile file gets MemoryError here, not the machine's OOM killer."""
    if memory_limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.nice(NICENESS)  # decoding yields the CPU to the service's event loop (API, consumers) and its neighbours


def run_named(target: str, /, *args: Any, **kwargs: Any) -> Any:
    """Call `module:function` (imported here, in the worker process)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)
