"""A component the launcher installs, starts, checks and stops."""

from __future__ import annotations

import subprocess
from abc import ABC, abstractmethod
from pathlib import Path

from labelstream_deploy.process import ManagedProcess
from labelstream_deploy.waiting import port_open


class LaunchError(RuntimeError):
    """A component could not be installed or started; the message says why and where its log is."""


class Component(ABC):
    """Subclasses say how to install, start and probe one server; this class makes `up` idempotent."""

    name: str
    port: int

    def __init__(self, *, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.process = ManagedProcess(self.name, run_dir)

    def install(self) -> None:  # noqa: B027 - optional step; most components override it
        """Fetch or build what is missing into the cache; a no-op when already there."""

    @abstractmethod
    def start(self) -> None:
        """Start the server in the background (it is known not to be running)."""

    @abstractmethod
    def wait_ready(self) -> None:
        """Block until the server serves requests, or raise NotReadyError."""

    def ensure_running(self) -> bool:
        """Start the component unless it runs already. Returns True when this call started it."""
        if self.process.pid() is not None:
            self.wait_ready()
            return False
        if port_open(self.port):
            raise LaunchError(
                f"{self.name}: port {self.port} is in use by a process this launcher did not start; "
                f"stop it or set another port (see README, 'Ports')"
            )
        try:
            self.install()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise LaunchError(f"{self.name}: installing failed: {exc}") from exc
        self.start()
        try:
            self.wait_ready()
        except Exception as exc:
            raise LaunchError(
                f"{self.name} did not become ready: {exc}\n--- {self.process.log_file} ---\n{self.process.log_tail()}"
            ) from exc
        return True

    def stop(self) -> bool:
        return self.process.stop()
