"""CPU time of the platform's processes (each with its children: media-svc's decoding pool), read from /proc, so a
bench can say where a figure's CPU went: per save, per synced object. On the 2-core machine the platform's CPU per
unit of work, not waiting, is what caps its throughput."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from labelstream_deploy.paths import run_dir

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _tree_seconds(root: int) -> float:
    """utime + stime of `root` and its live descendants (and of the children they already reaped)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if (fields := _stat(pid)) is not None:
            total += sum(int(f) for f in fields[11:15]) / TICK  # utime stime cutime cstime
            todo += children.get(pid, [])
    return total


def platform_cpu() -> dict[str, float]:
    """CPU seconds so far of each component the launcher started (by its pid file) and of this process."""
    seconds = {}
    for pid_file in sorted((run_dir() / "pids").glob("*.pid")):
        seconds[pid_file.stem] = _tree_seconds(int(pid_file.read_text().strip()))
    seconds["bench client"] = _tree_seconds(os.getpid())
    return seconds


def report_cpu(before: Mapping[str, float], after: Mapping[str, float], *, units: int, unit: str) -> None:
    """Each component's CPU per `unit` between two `platform_cpu()` readings, largest first, and the sum."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    total = sum(spent.values())
    print(f"  CPU per {unit} ({units:,} {unit}s): total {total / units * 1000:.2f} ms")
    for name, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<14} {s / units * 1000:7.2f} ms  ({s:.1f} s)")
