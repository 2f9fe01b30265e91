"""The Helm chart on a real single-node Kubernetes that labelstream_deploy.k8s builds and starts on this machine
(binaries cached in ~/.cache/labelstream/k8s; the first run builds them, about 7 min). In order:
helm install -> every pod Ready -> the end-to-end smoke through the gateway's Service (port-forwarded) -> a consumer
pod deleted while 2,000 events flow, every event applied exactly once -> dataset-svc's consumers scaled to 3 share
the partitions -> `helm upgrade` to a new image tag rolls every pod without losing an event -> `helm uninstall`
leaves nothing -> the cluster stopped (when this test started it) and nothing of it left on the host."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from labelstream_deploy.config import MINIO_ROOT_PASSWORD, MINIO_ROOT_USER
from labelstream_deploy.containers.images import image_tag
from labelstream_deploy.host import mounts_under
from labelstream_deploy.k8s.cluster import RUN_ROOT, VAR_ROOT, Cluster
from labelstream_deploy.k8s.config_files import APISERVER_PORT, CNI_BRIDGE, ETCD_CLIENT_PORT
from labelstream_deploy.k8s.images import load_images, tag_on_node, untag_on_node
from labelstream_deploy.k8s.release import Release
from labelstream_deploy.waiting import port_open, wait_until

from tests.chaos import Saver
from tests.deployed import end_to_end_smoke
from tests.k8s_flow import (
    every_save_applied_once,
    group_assignment,
    kept_forwarded,
    labeling_samples,
    save_until,
)
from tests.support import GATEWAY_ADMIN_PASSWORD, admin_headers, eventually, gateway_client

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(5400)]

GATEWAY, MINIO, KAFKA, MONGO = 28000, 29000, 29092, 29017
VALUES = [
    f"kafka.externalAdvertised=127.0.0.1:{KAFKA}",
    f"auth.bootstrapPassword={GATEWAY_ADMIN_PASSWORD}",
    # the S3 keys tests/storage.py's client uses (those of `make up`)
    f"s3.accessKey={MINIO_ROOT_USER}",
    f"s3.secretKey={MINIO_ROOT_PASSWORD}",
]
EVENTS = 2000
ROLLOUT_TAG = "rollout"


def say(line: str) -> None:
    print(f"\n[k8s] {line}", flush=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster.default()
    busy = [p for p in (GATEWAY, MINIO, KAFKA, MONGO) if port_open(p)]
    assert not busy, f"ports {busy} are taken: the cluster test forwards them"
    was_running = bool(cluster.running())
    begin = time.monotonic()
    cluster.up()
    say(f"cluster up in {time.monotonic() - begin:.0f}s")
    begin = time.monotonic()
    load_images(cluster)
    say(f"images built or reused and on the node in {time.monotonic() - begin:.0f}s")
    yield cluster
    if not was_running:
        begin = time.monotonic()
        cluster.down()
        say(f"cluster down in {time.monotonic() - begin:.0f}s")
        _assert_host_clean(cluster)


@pytest.fixture(scope="module")
def release(cluster: Cluster) -> Iterator[Release]:
    release = Release(cluster, name="ls", namespace="labelstream-test")
    try:
        yield release
    finally:
        release.stop_port_forwards()
        untag_on_node(cluster, ROLLOUT_TAG)
        release.uninstall()


@pytest_asyncio.fixture(scope="module")
async def forwarded(release: Release) -> AsyncIterator[Release]:
    """The chart installed, every pod Ready, the gateway, MinIO, Kafka and MongoDB forwarded to 127.0.0.1."""
    begin = time.monotonic()
    await asyncio.to_thread(release.install, values=VALUES)
    pods = release.cluster.kubectl("get", "pods", "-n", release.namespace, "-o", "name").split()
    say(f"helm install -> {len(pods)} pods Ready in {time.monotonic() - begin:.0f}s")
    for service, local, remote in (("minio", MINIO, 9000), ("kafka", KAFKA, 19092), ("mongodb", MONGO, 27017)):
        release.port_forward(service, local, remote)
    async with kept_forwarded(release, "gateway", GATEWAY, 8000):
        await eventually(lambda: _ok(f"http://127.0.0.1:{GATEWAY}/readyz"), timeout=60, what="the gateway's /readyz")
        yield release


async def test_the_smoke_passes_through_the_gateways_service(forwarded: Release) -> None:
    begin = time.monotonic()
    await end_to_end_smoke(
        gateway_url=f"http://127.0.0.1:{GATEWAY}", minio=f"127.0.0.1:{MINIO}", kafka=f"127.0.0.1:{KAFKA}", name="k8s"
    )
    say(f"end-to-end smoke through the gateway's Service in {time.monotonic() - begin:.0f}s")


async def test_a_consumer_pod_deleted_while_events_flow_applies_each_event_once(forwarded: Release) -> None:
    async with _gateway() as gateway:
        dataset_id, samples = await labeling_samples(
            gateway,
            kafka=f"127.0.0.1:{KAFKA}",
            minio=f"127.0.0.1:{MINIO}",
            name=f"k8s-fault-{uuid.uuid4().hex[:6]}",
            count=24,
        )
        savers = [Saver(gateway, dataset_id, samples[i::8], i) for i in range(8)]
        deleter = asyncio.create_task(_delete_a_consumer_pod(forwarded, savers, after=EVENTS // 4))
        begin = time.monotonic()
        await save_until(savers, EVENTS, timeout=900)
        deleted = await deleter
        say(f"{sum(len(s.saves) for s in savers)} saves in {time.monotonic() - begin:.0f}s; deleted pod {deleted}")
        say(
            await every_save_applied_once(
                gateway, kafka=f"127.0.0.1:{KAFKA}", mongo_url=_mongo(), dataset_id=dataset_id, savers=savers
            )
        )


async def test_three_dataset_consumers_share_the_partitions(forwarded: Release) -> None:
    deployment = f"{forwarded.name}-dataset-svc-consumers"
    forwarded.cluster.kubectl("scale", "-n", forwarded.namespace, f"deploy/{deployment}", "--replicas=3")
    await asyncio.to_thread(forwarded.wait_ready, timeout=300)
    members: dict[str, set[tuple[str, int]]] = {}

    async def shared() -> bool:
        members.clear()
        members.update(await group_assignment(f"127.0.0.1:{KAFKA}", "dataset-svc"))
        return len(members) == 3 and all(members.values())

    await eventually(shared, timeout=120, what="three members of dataset-svc's group, each with partitions")
    held = [tp for partitions in members.values() for tp in partitions]
    assert len(held) == len(set(held)), f"a partition is held twice: {members}"
    say(f"dataset-svc's group: 3 members holding {sorted(len(p) for p in members.values())} partitions")


async def test_an_upgrade_to_a_new_tag_rolls_without_losing_an_event(forwarded: Release) -> None:
    tag_on_node(forwarded.cluster, source_tag=image_tag(), new_tag=ROLLOUT_TAG)
    async with _gateway() as gateway:
        dataset_id, samples = await labeling_samples(
            gateway,
            kafka=f"127.0.0.1:{KAFKA}",
            minio=f"127.0.0.1:{MINIO}",
            name=f"k8s-roll-{uuid.uuid4().hex[:6]}",
            count=8,
        )
        savers = [Saver(gateway, dataset_id, samples[i::4], i, think_s=0.05) for i in range(4)]
        stop = asyncio.Event()
        running = [asyncio.create_task(s.run(stop)) for s in savers]
        await asyncio.sleep(3)
        infrastructure = _infrastructure_pods(forwarded)
        begin = time.monotonic()
        await asyncio.to_thread(
            forwarded.install,
            values=[*VALUES, f"image.tag={ROLLOUT_TAG}"],
            reuse_values=True,
        )
        rolled = time.monotonic() - begin
        await asyncio.sleep(3)
        stop.set()
        await asyncio.gather(*running)
        assert [a for s in savers for a in s.anomalies] == []
        images = forwarded.cluster.kubectl(
            "get", "pods", "-n", forwarded.namespace, "-o", "jsonpath={.items[*].spec.containers[*].image}"
        ).split()
        infra = ("/kafka:", "/mongodb:", "/minio:")
        assert images and all(i.endswith(f":{ROLLOUT_TAG}") for i in images if not any(n in i for n in infra)), images
        assert _infrastructure_pods(forwarded) == infrastructure, "the upgrade replaced Kafka, MongoDB or MinIO"
        say(f"helm upgrade to :{ROLLOUT_TAG} rolled {len(images)} pods in {rolled:.0f}s while saving")
        say(
            await every_save_applied_once(
                gateway, kafka=f"127.0.0.1:{KAFKA}", mongo_url=_mongo(), dataset_id=dataset_id, savers=savers
            )
        )


def test_helm_uninstall_leaves_nothing(forwarded: Release) -> None:
    forwarded.stop_port_forwards()
    begin = time.monotonic()
    forwarded.uninstall()
    left = forwarded.cluster.kubectl(
        "get",
        "all,cm,secret,pvc,pdb,hpa,networkpolicy,job",
        "-A",
        "-l",
        f"app.kubernetes.io/instance={forwarded.name}",
        "-o",
        "name",
    )
    assert left.split() == []
    namespaces = forwarded.cluster.kubectl("get", "ns", "-o", "name").split()
    assert f"namespace/{forwarded.namespace}" not in namespaces
    wait_until(lambda: _sandboxes(forwarded.cluster) == 0, what="pod sandboxes removed", timeout=120, interval=1)
    say(f"helm uninstall: nothing left in {time.monotonic() - begin:.0f}s")


async def _delete_a_consumer_pod(release: Release, savers: list[Saver], *, after: int) -> str:
    await eventually(lambda: _saved(savers, after), timeout=600, what=f"{after} saves")
    selector = "app.kubernetes.io/name=dataset-svc,app.kubernetes.io/component=consumers"
    pod = release.cluster.kubectl("get", "pods", "-n", release.namespace, "-l", selector, "-o", "name").split()[0]
    release.cluster.kubectl("delete", "-n", release.namespace, pod, "--wait=false")
    return pod


@contextlib.asynccontextmanager
async def _gateway() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the forwarded gateway, logged in as the admin."""
    url = f"http://127.0.0.1:{GATEWAY}"
    async with gateway_client(await admin_headers(base_url=url), base_url=url, timeout=60) as client:
        yield client


def _mongo() -> str:
    return f"mongodb://127.0.0.1:{MONGO}/"


async def _saved(savers: list[Saver], count: int) -> bool:
    return sum(len(s.saves) for s in savers) >= count


async def _ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


def _infrastructure_pods(release: Release) -> dict[str, str]:
    """Kafka's, MongoDB's and MinIO's pods by name, with their uid (a replaced pod gets a new one)."""
    listed = release.cluster.kubectl(
        "get",
        "pods",
        "-n",
        release.namespace,
        "-l",
        "app.kubernetes.io/component=infrastructure",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}{'\\n'}{end}",
    )
    return dict(line.split("=", 1) for line in listed.split())


def _sandboxes(cluster: Cluster) -> int:
    from labelstream_deploy.k8s.images import ctr

    return len(ctr(cluster, "containers", "ls", "-q", check=False).split())


def _assert_host_clean(cluster: Cluster) -> None:
    assert cluster.running() == []
    for root in (RUN_ROOT, VAR_ROOT, cluster.containerd_root):
        assert mounts_under(root) == [], f"mounts left under {root}"
    assert not RUN_ROOT.exists() and not VAR_ROOT.exists()
    assert not Path(f"/sys/class/net/{CNI_BRIDGE}").exists()
    assert [p for p in (APISERVER_PORT, ETCD_CLIENT_PORT, 10250, GATEWAY) if port_open(p)] == []
    assert not cluster.host_state.baseline_file.exists()
    assert CNI_BRIDGE not in subprocess.run(["ip", "rule"], capture_output=True, text=True, check=True).stdout
