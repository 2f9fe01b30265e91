"""Label Studio as the peer of the benchmarks (issue 12's export bench, issue 13's labeling bench): installed once from
PyPI (`label-studio`, LABEL_STUDIO_VERSION) into its own virtual environment under ~/.cache/labelstream/bench/
label-studio, started on loopback with a fresh data dir (SQLite), a user and a legacy API token, and stopped (its data
dir removed) afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from labelstream_deploy.config import PORTS

LABEL_STUDIO_VERSION = "1.23.2"
LABEL_STUDIO_PORT = int(os.environ.get("LS_BENCH_LABEL_STUDIO_PORT", PORTS.gateway + 80))
CACHE = Path.home() / ".cache" / "labelstream"
LABEL_STUDIO_VENV = CACHE / "bench" / "label-studio"
UV = CACHE / "tools" / "bin" / "uv"


def label_studio_installed() -> Path:
    """Label Studio's command in its own virtual environment (made once, reused)."""
    command = LABEL_STUDIO_VENV / "bin" / "label-studio"
    python = LABEL_STUDIO_VENV / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"]
    if (
        command.exists()
        and subprocess.run(check, capture_output=True, text=True).stdout.strip() == LABEL_STUDIO_VERSION
    ):
        return command
    print(f"  installing label-studio {LABEL_STUDIO_VERSION} into {LABEL_STUDIO_VENV} (once)", flush=True)
    subprocess.run([str(UV), "venv", "--python", "3.11", "--allow-existing", str(LABEL_STUDIO_VENV)], check=True)
    environment = os.environ | {"VIRTUAL_ENV": str(LABEL_STUDIO_VENV)}
    subprocess.run([str(UV), "pip", "install", f"label-studio=={LABEL_STUDIO_VERSION}"], check=True, env=environment)
    return command


class LabelStudio:
    """Label Studio on loopback with a fresh data dir (SQLite), a user and a legacy API token; stopped on exit."""

    TOKEN = "0123456789abcdef0123456789abcdef01234567"

    def __init__(self, command: Path) -> None:
        self.url = f"http://127.0.0.1:{LABEL_STUDIO_PORT}"
        self._command = command
        self._data = Path(tempfile.mkdtemp(prefix="bench-label-studio-"))
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LabelStudio:
        environment = os.environ | {
            "LABEL_STUDIO_BASE_DATA_DIR": str(self._data),
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LATEST_VERSION_CHECK": "false",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
        arguments = ["start", "--no-browser", "--internal-host", "127.0.0.1", "-p", str(LABEL_STUDIO_PORT)]
        arguments += ["--data-dir", str(self._data), "--username", "bench@labelstream.local"]
        arguments += ["--password", "bench-password", "--user-token", self.TOKEN]
        log = (self._data / "label-studio.log").open("wb")
        self._process = subprocess.Popen([str(self._command), *arguments], env=environment, stdout=log, stderr=log)
        started = time.perf_counter()
        while time.perf_counter() - started < 600:
            if self._process.poll() is not None:
                raise RuntimeError(f"Label Studio stopped: see {self._data / 'label-studio.log'}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    print(f"  Label Studio started in {time.perf_counter() - started:.0f} s", flush=True)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError("Label Studio did not start in 10 minutes")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._data, ignore_errors=True)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Token {self.TOKEN}"}, timeout=1800)
