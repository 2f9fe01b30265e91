"""Consumer scale benchmark (issue 13): dataset-svc applying a backlog of LabelChanged events with one consumer
process, then with three processes of the same consumer group sharing the labels topic's partitions. For each: the
events per second, and the effects checked exactly once (every event has one ledger record, the tab counters and
every sample's label revision are exact: 0 duplicated, 0 lost).

Needs the platform (`make up`); `make bench BENCH=consumers` runs it. Samples are announced on Kafka the way
sync-svc and media-svc do, and the label changes the way labeling-svc does (keyed by sample id), so the figure is
dataset-svc's alone. The two extra processes run dataset-svc's consumers only (LS_ROLES=consumers).
Usage: python bench/consumers_bench.py [--events 20000] [--processes 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from dataset_svc.adapters.mongo_samples import SAMPLES
from labelstream_deploy.config import PORTS, service_env
from labelstream_shared.events import EventPayload, envelope_for
from labelstream_shared.mongo import LEDGER, connect
from labelstream_testing.dataset import label_changed
from labelstream_testing.labeling import LabelingPlatform, data_added, image_processed, sample_id_of, started_producer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support import admin_headers, free_port

GATEWAY = f"http://127.0.0.1:{PORTS.gateway}"
KAFKA = f"127.0.0.1:{PORTS.kafka}"
MONGO = f"mongodb://127.0.0.1:{PORTS.mongo}/?replicaSet=rs0"
GROUP = "dataset-svc"


@contextmanager
def extra_consumers(count: int) -> Iterator[None]:
    """`count` more dataset-svc processes running its consumers only, in the platform's consumer group."""
    processes = []
    for _ in range(count):
        env = {**os.environ, **service_env(PORTS), "LS_ROLES": "consumers", "LS_HTTP_PORT": str(free_port())}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "dataset_svc"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


async def members(group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        [described] = response.to_object()["groups"]
        return len(described["members"])
    finally:
        await admin.close()


async def until_members(group: str, count: int) -> None:
    started = time.perf_counter()
    while await members(group) != count:
        if time.perf_counter() - started > 120:
            raise RuntimeError(f"{group} did not reach {count} members in 2 minutes")
        await asyncio.sleep(1)


async def publish_all(producer: AIOKafkaProducer, payloads: list[EventPayload]) -> list[str]:
    """Every event sent keyed by its entity, as the relays do; returns their ids once all are acknowledged."""
    sent, ids = [], []
    for payload in payloads:
        envelope = envelope_for(payload, source="/labelstream/bench", correlation_id=uuid.uuid4().hex)
        ids.append(envelope.id)
        sent.append(await producer.send(payload.topic, value=envelope.to_bytes(), key=envelope.partitionkey.encode()))
    await asyncio.gather(*sent)
    return ids


async def listed(gw: httpx.AsyncClient, dataset_id: str) -> dict[str, int]:
    page = (await gw.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 1})).json()
    counts: dict[str, int] = page["counts"]
    return counts


async def until_listed(gw: httpx.AsyncClient, dataset_id: str, tab: str, count: int, *, timeout: float) -> None:
    started = time.perf_counter()
    while (await listed(gw, dataset_id)).get(tab, 0) < count:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"dataset-svc did not list {count:,} samples in {tab} within {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def backlog_round(
    gw: httpx.AsyncClient, producer: AIOKafkaProducer, dataset_id: str, keys: list[str], revision: int
) -> tuple[float, int]:
    """Label every sample (odd revisions) or unlabel it (even ones); seconds until dataset-svc shows all of it,
    and what was lost or applied twice (ledger records, counters and label revisions checked)."""
    labels = ["cat"] if revision % 2 else []
    events = [label_changed(dataset_id, key, revision=revision, labels=labels) for key in keys]
    started = time.perf_counter()
    ids = await publish_all(producer, list(events))
    tab = "labeled" if labels else "unlabeled"
    await until_listed(gw, dataset_id, tab, len(keys), timeout=900)
    seconds = time.perf_counter() - started
    await asyncio.sleep(2)  # anything applied twice would show by now
    db = connect(MONGO)["dataset_svc"]
    recorded = await db[LEDGER].count_documents({"_id": {"$in": [f"{GROUP}:{i}" for i in ids]}})
    other = "unlabeled" if labels else "labeled"
    counts = await listed(gw, dataset_id)
    behind = await db[SAMPLES].count_documents({"dataset_id": dataset_id, "label_revision": {"$ne": revision}})
    wrong = abs(len(keys) - recorded) + abs(counts.get(tab, 0) - len(keys)) + counts.get(other, 0) + behind
    return seconds, wrong


async def main(events: int, processes: int) -> None:
    producer = await started_producer(KAFKA)
    try:
        async with httpx.AsyncClient(base_url=GATEWAY, headers=await admin_headers(base_url=GATEWAY), timeout=60) as gw:
            platform = LabelingPlatform(gw, producer)
            dataset_id = await platform.create_dataset(f"bench-consumers-{uuid.uuid4().hex[:6]}")
            keys = [f"bench/{i:06d}.png" for i in range(events)]
            for start in range(0, events, 1000):
                chunk = keys[start : start + 1000]
                await publish_all(producer, [data_added(dataset_id, chunk)])
                await publish_all(producer, [image_processed(dataset_id, sample_id_of(dataset_id, k)) for k in chunk])
            await until_listed(gw, dataset_id, "all", events, timeout=900)
            print(f"{events:,} samples announced and listed", flush=True)
            await until_members(GROUP, 1)
            one = await backlog_round(gw, producer, dataset_id, keys, revision=1)
            with extra_consumers(processes - 1):
                await until_members(GROUP, processes)
                many = await backlog_round(gw, producer, dataset_id, keys, revision=2)
            (await gw.delete(f"/api/datasets/{dataset_id}")).raise_for_status()
    finally:
        await producer.stop()
    print(f"\n== dataset-svc applying {events:,} LabelChanged events")
    for name, (seconds, wrong) in (("1 process", one), (f"{processes} processes", many)):
        print(
            f"  {name:>12}: {events / seconds:8.0f} events/s ({seconds:.1f}s); "
            f"lost or duplicated effects (ledger, counters, revisions): {wrong} (target 0)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.processes))
