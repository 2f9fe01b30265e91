"""docker-compose.yml for real: on our dockerd (Debian's docker.io), with the images built locally FROM the project's
debootstrap base image (the first run builds them, later runs reuse them), every published port moved by +10000 and
a project name of its own, so that it runs next to the platform `make test` started. Up → the gateway's /readyz
answers 200 → the end-to-end smoke through the gateway (a bucket of the stack's MinIO, a dataset on it, sync, media
processed with thumbnails, an annotation saved, its LabelChanged read from the stack's Kafka by an outside consumer)
→ down, and nothing of the stack is left; dockerd is stopped (and its traces removed) when this test started it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from labelstream_deploy.config import moved_ports
from labelstream_deploy.containers.compose import ComposeStack
from labelstream_deploy.containers.engine import EXEC_ROOT, DockerEngine
from labelstream_deploy.waiting import port_open

from tests.deployed import end_to_end_smoke

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(3600)]

PORTS = moved_ports(10000)
PROJECT = "labelstream-compose-test"


@contextmanager
def compose_stack() -> Iterator[ComposeStack]:
    """The stack up (dockerd started first when it is not running); then down with its volumes, and dockerd stopped
    and cleaned up if this started it."""
    engine = DockerEngine.default()
    busy = [p for p in (PORTS.gateway, PORTS.kafka, PORTS.minio, PORTS.mongo) if port_open(p)]
    assert not busy, f"ports {busy} are taken: the compose test publishes on them"
    started_engine = engine.ensure_running()
    stack = ComposeStack(engine, project=PROJECT, ports=PORTS)
    try:
        begin = time.monotonic()
        stack.up(timeout=600)
        print(f"compose stack up (images built or reused) in {time.monotonic() - begin:.0f}s")
        yield stack
    finally:
        begin = time.monotonic()
        stack.down(volumes=True)
        print(f"compose stack down in {time.monotonic() - begin:.0f}s")
        assert stack.containers() == [], "containers of the stack are left after down"
        assert stack.networks() == [], "networks of the stack are left after down"
        if started_engine:
            engine.stop()


def test_the_compose_stack_runs_the_end_to_end_smoke_and_leaves_nothing() -> None:
    engine = DockerEngine.default()
    was_running = engine.running()
    with compose_stack() as stack:
        asyncio.run(_smoke(stack))
    assert [p for p in (PORTS.gateway, PORTS.kafka, PORTS.minio, PORTS.mongo) if port_open(p)] == []
    if not was_running:
        assert engine.process.pid() is None, "dockerd still runs"
        assert not EXEC_ROOT.exists(), f"{EXEC_ROOT} is left"
        mounts = Path("/proc/mounts").read_text()
        assert str(EXEC_ROOT) not in mounts and str(engine.home) not in mounts, "mounts are left"
        assert not Path("/sys/class/net/docker0").exists()


async def _smoke(stack: ComposeStack) -> None:
    await end_to_end_smoke(
        gateway_url=stack.gateway_url,
        minio=f"127.0.0.1:{stack.ports.minio}",
        kafka=f"127.0.0.1:{stack.ports.kafka}",
        name="compose",
    )
