"""The images docker-compose.yml runs: one per Python service (deploy/docker/Dockerfile, SERVICE picks it) and Kafka,
MongoDB and MinIO (deploy/docker/infra.Dockerfile) from the binaries the launcher caches. BuildKit's layer cache
makes a rebuild of unchanged sources take seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from labelstream_deploy.component import LaunchError
from labelstream_deploy.containers.base_image import ensure_base_image
from labelstream_deploy.containers.engine import DockerEngine
from labelstream_deploy.kafka import LOG4J_CONFIG, KafkaServer
from labelstream_deploy.minio import MinioServer
from labelstream_deploy.mongo import MongoServer
from labelstream_deploy.paths import REPO_ROOT, cache_dir, run_dir

DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
REPOSITORY = "labelstream"


@dataclass(frozen=True)
class PythonService:
    name: str  # image and compose service name
    package: str  # workspace package (uv --package)
    module: str  # what `python -m` runs


PYTHON_SERVICES = [
    PythonService("dataset-svc", "dataset-svc", "dataset_svc"),
    PythonService("labeling-svc", "labeling-svc", "labeling_svc"),
    PythonService("media-svc", "media-svc", "media_svc"),
    PythonService("sync-svc", "sync-svc", "sync_svc"),
    PythonService("webhook-svc", "webhook-svc", "webhook_svc"),
    PythonService("gateway", "labelstream-gateway", "labelstream_gateway"),
]
INFRA_IMAGES = ["kafka", "mongodb", "minio"]


def image_tag() -> str:
    """The tag of every image (LS_IMAGE_TAG, default dev); docker-compose.yml reads the same variable."""
    return os.environ.get("LS_IMAGE_TAG", "dev")


def image_name(name: str, tag: str | None = None) -> str:
    return f"{REPOSITORY}/{name}:{tag or image_tag()}"


def build_all(engine: DockerEngine) -> None:
    """The base image (once), then every image; each step cached."""
    base = ensure_base_image(engine)
    context = _infra_context()
    for target in INFRA_IMAGES:
        _build(engine, target, ["-f", str(DOCKER_DIR / "infra.Dockerfile"), "--target", target], base, context)
    for service in PYTHON_SERVICES:
        args = ["-f", str(DOCKER_DIR / "Dockerfile"), "--build-arg", f"SERVICE={service.package}"]
        args += ["--build-arg", f"MODULE={service.module}"]
        if service.name == "gateway":
            args += ["--build-arg", "UI=ui-build"]
        _build(engine, service.name, args, base, REPO_ROOT)


def _build(engine: DockerEngine, name: str, args: list[str], base: str, context: Path) -> None:
    begin = time.monotonic()
    argv = engine.docker("build", "--network", "host", "--progress", "plain", "--build-arg", f"BASE={base}", *args)
    log = cache_dir() / "docker" / "logs" / f"build-{name}.log"
    with log.open("w") as out:
        built = subprocess.run([*argv, "-t", image_name(name), str(context)], env=engine.env, stdout=out, stderr=out)
    if built.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise LaunchError(f"building {image_name(name)} failed (log: {log}):\n{tail}")
    print(f"  {image_name(name):<32} built  ({time.monotonic() - begin:.1f}s)", flush=True)


def _infra_context() -> Path:
    """A build context of the launcher's cached binaries (installed first when missing), hard-linked, not copied."""
    run = run_dir()
    mongo = MongoServer(run_dir=run, port=0)
    kafka = KafkaServer(run_dir=run, port=0, controller_port=0)
    minio = MinioServer(run_dir=run, port=0, console_port=0, kafka_bootstrap="")
    for component in (mongo, kafka, minio):
        component.install()
    context = cache_dir() / "docker" / "context-infra"
    shutil.rmtree(context, ignore_errors=True)
    (context / "kafka").mkdir(parents=True)
    _link(mongo.mongod, context / "mongod")
    _link(minio.binary, context / "minio")
    shutil.copytree(kafka.libs, context / "kafka" / "libs", copy_function=_link, ignore=shutil.ignore_patterns(".*"))
    shutil.copy2(LOG4J_CONFIG, context / "kafka" / "log4j2.properties")
    shutil.copy2(DOCKER_DIR / "kafka" / "kafka-start.sh", context / "kafka" / "kafka-start.sh")
    return context


def _link(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)
