"""MinIO (the local stand-in for OBS), built once from the Go module proxy into the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from labelstream_deploy.component import Component, LaunchError
from labelstream_deploy.config import (
    BUCKET_NOTIFICATION_TOPIC,
    MINIO_MODULE,
    MINIO_NOTIFY_TARGET_ID,
    MINIO_ROOT_PASSWORD,
    MINIO_ROOT_USER,
)
from labelstream_deploy.paths import cache_dir
from labelstream_deploy.waiting import http_ok, wait_until


class MinioServer(Component):
    name = "minio"

    def __init__(self, *, run_dir: Path, port: int, console_port: int, kafka_bootstrap: str) -> None:
        super().__init__(run_dir=run_dir)
        self.port = port
        self.console_port = console_port
        self.kafka_bootstrap = kafka_bootstrap
        self.binary = cache_dir() / "bin" / "minio"
        self.data_dir = run_dir / "data" / "minio"

    def install(self) -> None:
        if self.binary.exists():
            return
        if shutil.which("go") is None:
            raise LaunchError("MinIO is built with `go install`; install Go 1.24+ first")
        print("  building MinIO from source (once; about 3 minutes)...", flush=True)
        env = {**os.environ, "CGO_ENABLED": "0", "GOBIN": str(self.binary.parent)}
        subprocess.run(["go", "install", "-trimpath", MINIO_MODULE], check=True, env=env)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        target = MINIO_NOTIFY_TARGET_ID
        env = {
            **os.environ,
            "MINIO_ROOT_USER": MINIO_ROOT_USER,
            "MINIO_ROOT_PASSWORD": MINIO_ROOT_PASSWORD,
            "MINIO_BROWSER": "on",
            # the background scanner (usage, healing, lifecycle) at its slowest: on a small machine it otherwise
            # takes a tenth of a core at rest, from the services' CPU
            "MINIO_SCANNER_SPEED": "slowest",
            f"MINIO_NOTIFY_KAFKA_ENABLE_{target}": "on",
            f"MINIO_NOTIFY_KAFKA_BROKERS_{target}": self.kafka_bootstrap,
            f"MINIO_NOTIFY_KAFKA_TOPIC_{target}": BUCKET_NOTIFICATION_TOPIC,
        }
        argv = [
            str(self.binary), "server", str(self.data_dir),
            "--address", f"127.0.0.1:{self.port}",
            "--console-address", f"127.0.0.1:{self.console_port}",
            "--quiet",
        ]  # fmt: skip
        self.process.start(argv, env=env)

    def wait_ready(self) -> None:
        def answers() -> bool:
            if self.process.exited_early():
                raise LaunchError(f"minio exited\n{self.process.log_tail()}")
            return http_ok(f"http://127.0.0.1:{self.port}/minio/health/ready")

        wait_until(answers, what="minio", timeout=60)
