"""The images on the cluster's node, with no registry: built (or reused) on our dockerd, exported with `docker save`
and imported into the cluster's containerd (`ctr -n k8s.io images import`). An image whose docker id was imported
before is not exported again (containerd's root is in the cache, so imports outlive `down`). The pause image is
built from the module's pause.c."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from labelstream_deploy.component import LaunchError
from labelstream_deploy.containers.engine import DockerEngine
from labelstream_deploy.containers.images import INFRA_IMAGES, PYTHON_SERVICES, build_all, image_name
from labelstream_deploy.k8s.binaries import build_pause
from labelstream_deploy.k8s.cluster import Cluster
from labelstream_deploy.k8s.config_files import PAUSE_IMAGE


def chart_images(tag: str | None = None) -> list[str]:
    return [image_name(name, tag) for name in [*INFRA_IMAGES, *(s.name for s in PYTHON_SERVICES)]]


def load_images(cluster: Cluster, *, build: bool = True) -> None:
    """Build or reuse the images on our dockerd (started for this and stopped again if it was not running), then
    import those the node lacks."""
    engine = DockerEngine.default()
    started = engine.ensure_running()
    try:
        if build:
            build_all(engine)
        _ensure_pause(engine)
        wanted = [PAUSE_IMAGE, *chart_images()]
        ids = {name: _docker_id(engine, name) for name in wanted}
        imported = _imported(cluster)
        stale = [name for name in wanted if imported.get(name) != ids[name] or not _on_node(cluster, name)]
        if stale:
            begin = time.monotonic()
            _import(engine, cluster, stale)
            imported.update({name: ids[name] for name in stale})
            _imported_file(cluster).write_text(json.dumps(imported, indent=1))
            print(f"  imported {len(stale)} image(s) into the node in {time.monotonic() - begin:.0f}s", flush=True)
    finally:
        if started:
            engine.stop()


def tag_on_node(cluster: Cluster, *, source_tag: str, new_tag: str) -> None:
    """A second tag of every chart image on the node (an upgrade to a new tag, without exporting anything)."""
    for source, target in zip(chart_images(source_tag), chart_images(new_tag), strict=True):
        ctr(cluster, "images", "tag", "--force", _ref(source), _ref(target))


def untag_on_node(cluster: Cluster, tag: str) -> None:
    for name in chart_images(tag):
        ctr(cluster, "images", "rm", _ref(name), check=False)


def ctr(cluster: Cluster, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["ctr", "-a", str(cluster.socket), "-n", "k8s.io", *args], capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise LaunchError(f"ctr {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def _ref(name: str) -> str:
    """containerd's full reference of a docker image name."""
    return name if name.split("/")[0].count(".") else f"docker.io/{name}"


def _on_node(cluster: Cluster, name: str) -> bool:
    return _ref(name) in ctr(cluster, "images", "ls", "-q", check=False).split()


def _imported_file(cluster: Cluster) -> Path:
    return cluster.containerd_root.parent / "imported-images.json"


def _imported(cluster: Cluster) -> dict[str, str]:
    try:
        loaded: dict[str, str] = json.loads(_imported_file(cluster).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return loaded


def _docker_id(engine: DockerEngine, name: str) -> str:
    done = subprocess.run(
        engine.docker("image", "inspect", "--format", "{{.Id}}", name), env=engine.env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise LaunchError(f"image {name} is not on our dockerd: {done.stderr}")
    return done.stdout.strip()


def _import(engine: DockerEngine, cluster: Cluster, names: list[str]) -> None:
    save = subprocess.Popen(engine.docker("save", *names), env=engine.env, stdout=subprocess.PIPE)
    done = subprocess.run(
        ["ctr", "-a", str(cluster.socket), "-n", "k8s.io", "images", "import", "-"],
        stdin=save.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    if save.stdout is not None:
        save.stdout.close()
    if save.wait() != 0 or done.returncode != 0:
        raise LaunchError(f"importing {', '.join(names)} failed: {done.stderr}")


def _ensure_pause(engine: DockerEngine) -> None:
    probe = subprocess.run(engine.docker("image", "inspect", PAUSE_IMAGE), env=engine.env, capture_output=True)
    if probe.returncode == 0:
        return
    with tempfile.TemporaryDirectory() as work:
        context = Path(work)
        build_pause(context / "pause")
        dockerfile = 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n'
        (context / "Dockerfile").write_text(dockerfile)
        subprocess.run(
            engine.docker("build", "-q", "-t", PAUSE_IMAGE, str(context)),
            env=engine.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
