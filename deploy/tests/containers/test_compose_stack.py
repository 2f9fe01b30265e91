"""docker-compose.yml for real: on our dockerd (Debian's docker.io), with the images built locally FROM the project's
debootstrap base image (the first run builds them, later runs reuse them), every published port moved by +10000 and
a project name of its own, so that it runs next to the platform `make test` started. Up → the gateway's /readyz
answers 200 → the end-to-end smoke through the gateway (a bucket of the stack's MinIO, a dataset on it, sync, media
processed with thumbnails, an annotation saved, its LabelChanged read from the stack's Kafka by an outside consumer)
→ down, and nothing of the stack is left; dockerd is stopped (and its traces removed) when this test started it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from labelstream_deploy.config import moved_ports
from labelstream_deploy.containers.compose import ComposeStack
from labelstream_deploy.containers.engine import EXEC_ROOT, DockerEngine
from labelstream_deploy.waiting import port_open
from labelstream_testing.gateway import png, synced_dataset
from labelstream_testing.labeling import box

from tests.storage import ensure_bucket, minio_client, put_objects
from tests.support import admin_headers, eventually, gateway_client, read_topic

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
    unique = uuid.uuid4().hex[:10]
    bucket, prefix = f"compose-{unique}", "images/"
    storage = minio_client(f"127.0.0.1:{stack.ports.minio}")
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    for i, color in enumerate([(200, 40, 40), (40, 160, 60)]):
        content = png(160, 120, color, text=str(i))
        await asyncio.to_thread(put_objects, storage, bucket, [f"{prefix}{i}.png"], content)

    headers = await admin_headers(base_url=stack.gateway_url)
    async with gateway_client(headers, base_url=stack.gateway_url, timeout=60) as api:
        dataset_id = await synced_dataset(
            api,
            name=f"compose-{unique}",
            labeling_type="object_detection",
            bucket=bucket,
            prefix=prefix,
            samples=2,
            labels=["cat", "dog"],
        )
        samples = (await api.get(f"/api/datasets/{dataset_id}/samples")).json()["items"]
        assert [s["media_status"] for s in samples] == ["ready", "ready"], samples
        sample_id = samples[0]["id"]
        thumbnail = await api.get(f"/api/media/datasets/{dataset_id}/samples/{sample_id}/thumbnail")
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"].startswith("image/"), thumbnail.text
        saved = await api.put(
            f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation",
            json={"shapes": [box("cat", 10, 10, 60, 50)]},
            headers={"If-Match": '"0"'},
        )
        assert saved.status_code == 200, saved.text

    async def label_changed() -> bool:
        events = await read_topic(f"127.0.0.1:{stack.ports.kafka}", "labelstream.labels", timeout_ms=2000)
        return any(e["type"].endswith(".LabelChanged.v1") and e.get("subject") == sample_id for e in events)

    await eventually(label_changed, timeout=60, what="the LabelChanged at an outside consumer of the stack's Kafka")
