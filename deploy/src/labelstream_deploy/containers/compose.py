"""docker-compose.yml on our dockerd: up (images built or reused, then wait for the gateway's /readyz) and down."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from labelstream_deploy.component import LaunchError
from labelstream_deploy.config import PORTS, Ports, port_variables
from labelstream_deploy.containers.engine import DockerEngine
from labelstream_deploy.containers.images import build_all
from labelstream_deploy.paths import REPO_ROOT
from labelstream_deploy.waiting import NotReadyError, http_ok, wait_until

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DEFAULT_PROJECT = "labelstream"


@dataclass(frozen=True)
class ComposeStack:
    """One compose project of docker-compose.yml; its published ports come from the LS_*_PORT variables."""

    engine: DockerEngine
    project: str = DEFAULT_PROJECT
    ports: Ports = PORTS

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def env(self) -> dict[str, str]:
        return {**self.engine.env, **port_variables(self.ports)}

    def compose(self, *args: str, check: bool = True, capture: bool = False) -> str:
        argv = ["docker-compose", "--ansi", "never", "-p", self.project, "-f", str(COMPOSE_FILE), *args]
        done = subprocess.run(argv, env=self.env, capture_output=capture, text=True, cwd=REPO_ROOT)
        if check and done.returncode != 0:
            raise LaunchError(f"docker-compose {' '.join(args)} failed:\n{done.stderr if capture else ''}")
        return done.stdout if capture else ""

    def up(self, *, build: bool = True, timeout: float = 300) -> None:
        """Start dockerd if needed, build or reuse the images, start the stack and wait for /readyz (200)."""
        self.engine.ensure_running()
        if build:
            build_all(self.engine)
        self.compose("up", "-d", "--no-build", "--remove-orphans")
        try:
            wait_until(lambda: http_ok(f"{self.gateway_url}/readyz"), what="the gateway", timeout=timeout, interval=1)
        except NotReadyError as exc:
            state = self.compose("ps", check=False, capture=True)
            logs = self.compose("logs", "--no-color", "--tail", "15", check=False, capture=True)
            raise LaunchError(f"{exc}\n{state}\n{logs}") from exc

    def down(self, *, volumes: bool = False) -> None:
        """Stop the stack, remove its containers and networks (and its volumes with `volumes`)."""
        if not self.engine.running():
            return
        self.compose("down", "--remove-orphans", "--timeout", "20", *(["--volumes"] if volumes else []))

    def containers(self) -> list[str]:
        """Ids of this project's containers, running or not."""
        label = f"label=com.docker.compose.project={self.project}"
        listed = subprocess.run(
            self.engine.docker("ps", "-aq", "--filter", label), env=self.engine.env, capture_output=True, text=True
        )
        return listed.stdout.split()

    def networks(self) -> list[str]:
        label = f"label=com.docker.compose.project={self.project}"
        listed = subprocess.run(
            self.engine.docker("network", "ls", "-q", "--filter", label),
            env=self.engine.env,
            capture_output=True,
            text=True,
        )
        return listed.stdout.split()


def project_from_env() -> str:
    return os.environ.get("COMPOSE_PROJECT_NAME", DEFAULT_PROJECT)
