"""The layers of every service (style.md): domain and app code know the ports only, never a database or broker
client. Checked by importing each service's domain and app modules in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("dataset_svc", "labeling_svc", "media_svc", "sync_svc", "webhook_svc")
ADAPTER_LIBRARIES = ("pymongo", "aiokafka", "minio", "bson", "aiohttp")


def inner_modules(package: str) -> list[str]:
    src = next((ROOT / "services").glob(f"*/src/{package}"))
    return [
        f"{package}.{layer}.{module.name}"
        for layer in ("domain", "app")
        for module in pkgutil.iter_modules([str(src / layer)])
    ]


def test_domain_and_app_layers_import_no_adapter_library() -> None:
    """One fresh interpreter per service, all at once."""
    probes = {}
    for package in SERVICES:
        modules = inner_modules(package)
        assert modules, package
        probe = (
            "import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"print(','.join(sorted(m for m in {ADAPTER_LIBRARIES!r} if m in sys.modules)))\n"
        )
        probes[package] = subprocess.Popen([sys.executable, "-c", probe], stdout=subprocess.PIPE, text=True)
    loaded = {package: process.communicate()[0].strip() for package, process in probes.items()}
    assert all(process.returncode == 0 for process in probes.values()), loaded
    assert loaded == dict.fromkeys(SERVICES, ""), loaded
