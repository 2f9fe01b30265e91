"""Acceptance for the launcher: `up` brings up MongoDB (replica set primary), Kafka, MinIO, the four services and
the gateway, whose /readyz reports them all; a second `up` reuses what runs; `down` leaves no process behind.
Runs a whole second platform on free ports with its own run folder, so the suite's platform is untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import free_port

pytestmark = pytest.mark.integration

PORT_VARIABLES = (
    "LS_MONGO_PORT",
    "LS_KAFKA_PORT",
    "LS_KAFKA_CONTROLLER_PORT",
    "LS_MINIO_PORT",
    "LS_MINIO_CONSOLE_PORT",
    "LS_GATEWAY_PORT",
    "LS_DATASET_SVC_PORT",
    "LS_LABELING_SVC_PORT",
    "LS_MEDIA_SVC_PORT",
    "LS_SYNC_SVC_PORT",
    "LS_WEBHOOK_SVC_PORT",
)


def launcher(command: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "labelstream_deploy", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def our_processes(run_dir: Path) -> list[str]:
    """Command lines of live processes that mention this platform's run folder or ports."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(run_dir) in cmdline or str(run_dir).encode() in environ:
            found.append(cmdline)
    return found


def test_up_is_idempotent_reports_ready_and_down_stops_everything(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "LABELSTREAM_RUN": str(run_dir)}
    env.update({name: str(free_port()) for name in PORT_VARIABLES})
    try:
        first = launcher("up", env)
        services = ("dataset-svc", "labeling-svc", "media-svc", "sync-svc", "webhook-svc")
        for name in ("mongodb", "kafka", "minio", *services, "gateway"):
            assert f"{name}" in first
        assert f"http://127.0.0.1:{env['LS_GATEWAY_PORT']}/" in first

        with urllib.request.urlopen(f"http://127.0.0.1:{env['LS_GATEWAY_PORT']}/readyz", timeout=10) as response:
            report = json.load(response)
        assert report["status"] == "ready", report
        assert {name for name, check in report["checks"].items() if check["ok"]} == {
            "mongodb",
            "kafka",
            "object_storage",
            "dataset-svc",
            "labeling-svc",
            "media-svc",
            "sync-svc",
            "webhook-svc",
        }
        assert report["checks"]["mongodb"]["detail"] == "primary of rs0"

        second = launcher("up", env)
        assert second.count("already running") == 9, second
    finally:
        launcher("down", env)
    deadline = time.monotonic() + 20
    while our_processes(run_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert our_processes(run_dir) == []
    for service in ("dataset-svc", "labeling-svc", "gateway"):  # SIGTERM ran the graceful shutdown
        assert "Application shutdown complete" in (run_dir / "logs" / f"{service}.log").read_text()
