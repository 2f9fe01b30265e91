"""The Labelstream services and the gateway, each a FastAPI process started from the repository's venv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from labelstream_deploy.component import Component, LaunchError
from labelstream_deploy.config import Ports, service_env
from labelstream_deploy.waiting import http_ok, wait_until


class AppService(Component):
    """One service; `module` is run with `python -m` and listens on `port` (LS_HTTP_PORT)."""

    def __init__(self, *, run_dir: Path, name: str, module: str, port: int, ports: Ports) -> None:
        self.name = name
        super().__init__(run_dir=run_dir)
        self.module = module
        self.port = port
        self.ports = ports

    def start(self) -> None:
        env = {
            **os.environ,
            **service_env(self.ports),
            "LS_HTTP_HOST": "127.0.0.1",
            "LS_HTTP_PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
        }
        self.process.start([sys.executable, "-m", self.module], env=env)

    def wait_ready(self) -> None:
        def answers() -> bool:
            if self.process.exited_early():
                raise LaunchError(f"{self.name} exited\n{self.process.log_tail()}")
            return http_ok(f"http://127.0.0.1:{self.port}/readyz")

        wait_until(answers, what=self.name, timeout=60, interval=0.3)


def app_services(run_dir: Path, ports: Ports) -> list[AppService]:
    specs = [
        ("dataset-svc", "dataset_svc", ports.dataset_svc),
        ("labeling-svc", "labeling_svc", ports.labeling_svc),
        ("media-svc", "media_svc", ports.media_svc),
        ("sync-svc", "sync_svc", ports.sync_svc),
        ("webhook-svc", "webhook_svc", ports.webhook_svc),
        ("gateway", "labelstream_gateway", ports.gateway),
    ]
    return [AppService(run_dir=run_dir, name=n, module=m, port=p, ports=ports) for n, m, p in specs]
