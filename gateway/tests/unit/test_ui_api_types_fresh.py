"""The committed OpenAPI documents (gateway/ui/openapi/) and the TypeScript types generated from them
(gateway/ui/src/generated/) match what the code gives now: both are written again into a temporary folder by the
same script as `npm run gen:api` and compared."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "ui"
FIX = "regenerate them: `npm run gen:api` in gateway/ui, then commit gateway/ui/openapi/ and gateway/ui/src/generated/"


def _contents(folder: Path, suffix: str) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob(f"*{suffix}"))}


def _why(name: str, committed: dict[str, str], fresh: dict[str, str]) -> str:
    if name not in committed:
        return f"{name}: not committed"
    return f"{name}: no longer generated" if name not in fresh else f"{name}: differs"


def _stale(committed: dict[str, str], fresh: dict[str, str]) -> list[str]:
    names = sorted(committed.keys() | fresh.keys())
    return [_why(name, committed, fresh) for name in names if committed.get(name) != fresh.get(name)]


def test_committed_api_documents_and_types_are_fresh(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (UI / "node_modules" / "openapi-typescript").is_dir():
        pytest.fail("gateway/ui needs node and its node_modules: run deploy/bootstrap.sh (or `npm ci` in gateway/ui)")
    subprocess.run(
        [node, str(UI / "scripts" / "gen-api.mjs"), str(tmp_path)],
        cwd=UI,
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=120,
    )
    stale = _stale(_contents(UI / "openapi", ".json"), _contents(tmp_path / "openapi", ".json"))
    stale += _stale(_contents(UI / "src" / "generated", ".ts"), _contents(tmp_path / "generated", ".ts"))
    assert not stale, f"stale API documents or types ({'; '.join(stale)}): {FIX}"
