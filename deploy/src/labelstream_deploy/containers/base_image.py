"""The project's base image, made with debootstrap (no registry is reachable): Debian bookworm minbase plus the
machine's extra CA certificates (pip, uv and npm inside builds go through a TLS proxy that needs them).

The root filesystem is tarred once into the cache and imported once; its tag carries a hash of the recipe
(this module's settings and the certificates), so a changed recipe makes a new image and an unchanged one is reused."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from labelstream_deploy.containers.engine import DockerEngine
from labelstream_deploy.paths import cache_dir

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
INCLUDE = ["ca-certificates"]
EXTRA_CERTS = Path("/usr/local/share/ca-certificates")
BASE_REPOSITORY = "labelstream/base"
# an image's environment; `docker import` sets none
CHANGES = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["/bin/bash"]']
# apt inside builds: no recommends, no caches left in layers
APT_CONF = 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'


def recipe_hash() -> str:
    digest = hashlib.sha256()
    for part in (SUITE, MIRROR, *INCLUDE, *CHANGES, APT_CONF):
        digest.update(part.encode() + b"\0")
    for cert in _extra_certs():
        digest.update(cert.name.encode() + b"\0" + cert.read_bytes())
    return digest.hexdigest()[:12]


def base_image_tag() -> str:
    return f"{BASE_REPOSITORY}:{SUITE}-{recipe_hash()}"


def ensure_base_image(engine: DockerEngine) -> str:
    """The base image's tag; debootstraps and imports only what the cache lacks."""
    tag = base_image_tag()
    if _image_exists(engine, tag):
        return tag
    tarball = cache_dir() / "images" / f"base-{SUITE}-{recipe_hash()}.tar"
    if not tarball.exists():
        _debootstrap_into(tarball)
    print(f"  importing {tarball.name} as {tag}", flush=True)
    changes = [arg for change in CHANGES for arg in ("--change", change)]
    with tarball.open("rb") as source:
        imported = engine.docker("import", *changes, "-", tag)
        subprocess.run(imported, stdin=source, env=engine.env, check=True, stdout=subprocess.DEVNULL)
    return tag


def _debootstrap_into(tarball: Path) -> None:
    print(f"  debootstrap {SUITE} (minbase; once, about a minute)", flush=True)
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent) as work:
        rootfs = Path(work) / "rootfs"
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", SUITE, str(rootfs), MIRROR],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for cert in _extra_certs():
            shutil.copy2(cert, rootfs / "usr/local/share/ca-certificates" / cert.name)
        subprocess.run(
            ["chroot", str(rootfs), "update-ca-certificates"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        (rootfs / "etc/apt/apt.conf.d/90labelstream").write_text(APT_CONF)
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / cache).glob("*"):
                if item.is_file():
                    item.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
        partial.rename(tarball)


def _extra_certs() -> list[Path]:
    return sorted(EXTRA_CERTS.glob("*.crt")) if EXTRA_CERTS.is_dir() else []


def _image_exists(engine: DockerEngine, tag: str) -> bool:
    probe = subprocess.run(engine.docker("image", "inspect", tag), env=engine.env, capture_output=True)
    return probe.returncode == 0
