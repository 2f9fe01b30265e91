"""Background processes tracked by pid file, so that `down` stops exactly what `up` started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ManagedProcess:
    """One long-running process of ours: its pid file, its log and a marker found in its command line."""

    name: str
    run_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "pids" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _is_alive(pid) else None

    def start(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> int:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def exited_early(self) -> bool:
        """True when a pid file exists but its process is gone (it crashed while starting)."""
        return self.pid_file.exists() and self.pid() is None

    def stop(self, *, timeout: float = 20.0) -> bool:
        """Terminate the process group; kill it when it ignores SIGTERM. Returns True if something was stopped."""
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _is_alive(pid):
                return True
            time.sleep(0.1)
        _signal_group(pid, signal.SIGKILL)
        return True

    def kill(self, *, timeout: float = 10.0) -> int | None:
        """`kill -9` the process group (a fault, for the chaos test): no chance to clean up. The pid file stays, so
        `up` (`ensure_running`) sees the component as stopped and starts it again. Returns the pid killed."""
        pid = self.pid()
        if pid is None:
            return None
        _signal_group(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        # a killed multi-threaded process is a zombie while its other threads still exit, holding its sockets
        while (_is_alive(pid) or _has_threads(pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pid

    def pause(self) -> None:
        """SIGSTOP the process group: it keeps its sockets but answers nothing (a stalled consumer)."""
        pid = self.pid()
        if pid is not None:
            _signal_group(pid, signal.SIGSTOP)

    def resume(self) -> None:
        pid = self.pid()
        if pid is not None:
            _signal_group(pid, signal.SIGCONT)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state != "Z"


def _has_threads(pid: int) -> bool:
    """True while threads of a (zombie) process other than its leader still exist."""
    try:
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except OSError:
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
