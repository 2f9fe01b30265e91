"""Where the launcher keeps downloads (a cache outside the clone) and runtime state (inside it, git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def cache_dir() -> Path:
    """Downloads and builds, reused by every clone on the machine (CI's fresh clone included)."""
    path = Path(os.environ.get("LABELSTREAM_CACHE", Path.home() / ".cache" / "labelstream"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir() -> Path:
    """Runtime data, logs and pid files of this clone."""
    path = Path(os.environ.get("LABELSTREAM_RUN", REPO_ROOT / ".run"))
    for sub in ("data", "logs", "pids", "conf"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path
