"""What daemons that run containers leave on the host, found and removed: mounts, cgroups, links, kernel settings."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path


def mounts_under(root: Path) -> list[str]:
    """Mount points under `root`, deepest first."""
    points = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    return sorted((p for p in points if p == str(root) or p.startswith(f"{root}/")), key=len, reverse=True)


def unmount_all_under(*roots: Path) -> None:
    for root in roots:
        for mount in mounts_under(root):
            subprocess.run(["umount", "-l", mount], check=False)


def remove_cgroups(name: str) -> None:
    """rmdir the (empty) cgroup `name` in every hierarchy, deepest first."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        group = hierarchy / name
        if not group.is_dir():
            continue
        for sub in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                sub.rmdir()
        with contextlib.suppress(OSError):
            group.rmdir()


def delete_link(name: str) -> None:
    if Path(f"/sys/class/net/{name}").exists():
        subprocess.run(["ip", "link", "del", name], check=False)


def nft_ruleset_empty() -> bool:
    if shutil.which("nft") is None:
        return True
    return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout.strip() == ""


def sysctl_path(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


def read_sysctls(names: list[str]) -> dict[str, str]:
    """The current values of those of `names` this kernel has."""
    return {name: sysctl_path(name).read_text().strip() for name in names if sysctl_path(name).exists()}


def restore_sysctls(values: dict[str, str]) -> None:
    for name, value in values.items():
        path = sysctl_path(name)
        if path.exists() and path.read_text().strip() != value:
            with contextlib.suppress(OSError):
                path.write_text(value)
