from __future__ import annotations

import os
import sys
from pathlib import Path

from labelstream_deploy.config import Ports, service_env
from labelstream_deploy.process import ManagedProcess


def test_starts_tracks_and_stops_a_process_group(tmp_path: Path) -> None:
    for sub in ("pids", "logs"):
        (tmp_path / sub).mkdir()
    proc = ManagedProcess("sleeper", tmp_path)
    assert proc.pid() is None
    child = "import time; time.sleep(60)"
    code = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(60)"
    pid = proc.start([sys.executable, "-c", code], env=dict(os.environ))
    assert proc.pid() == pid
    assert proc.stop(timeout=5) is True
    assert proc.pid() is None and not proc.pid_file.exists()
    assert proc.stop() is False


def test_a_killed_process_is_seen_as_stopped_and_starts_again(tmp_path: Path) -> None:
    for sub in ("pids", "logs"):
        (tmp_path / sub).mkdir()
    proc = ManagedProcess("victim", tmp_path)
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    pid = proc.start(argv, env=dict(os.environ))
    proc.pause()
    assert proc.pid() == pid  # a stopped process is still there
    proc.resume()
    assert proc.kill() == pid
    assert proc.pid() is None and proc.pid_file.exists()  # as after a crash: `up` starts it again
    os.waitpid(pid, 0)
    assert proc.kill() is None
    again = proc.start(argv, env=dict(os.environ))
    assert proc.pid() == again != pid
    assert proc.stop(timeout=5) is True


def test_a_crashed_process_is_reported(tmp_path: Path) -> None:
    for sub in ("pids", "logs"):
        (tmp_path / sub).mkdir()
    proc = ManagedProcess("crasher", tmp_path)
    started = proc.start([sys.executable, "-c", "print('bad config'); raise SystemExit(3)"], env=dict(os.environ))
    os.waitpid(started, 0)
    assert proc.exited_early()
    assert "bad config" in proc.log_tail()


def test_service_env_uses_the_configured_ports() -> None:
    env = service_env(Ports(mongo=1111, kafka=2222, minio=3333, dataset_svc=4444))
    assert env["LS_MONGO_URL"] == "mongodb://127.0.0.1:1111/?replicaSet=rs0"
    assert env["LS_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:2222"
    assert env["LS_S3_ENDPOINT"] == "127.0.0.1:3333"
    assert env["LS_DATASET_SVC_URL"] == "http://127.0.0.1:4444"
