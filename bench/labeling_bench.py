"""Labeling benchmark (issues 5 and 13): annotation save latency and throughput through the gateway at 1 and 16
clients, save -> LabelChanged delivery latency to an external Kafka consumer (paced, and during the 16-client load),
the peer workload next to Label Studio measured in the same run (bench/labeling_peer.py: 10,000 images, 16 clients
saving, list pages, COCO export), filtered-page latency on a 1,000,000-sample job, and each service's memory at rest.
Prints each figure next to its target or its peer.

Needs the platform (`make up`). Samples and their media sizes are announced on Kafka the way sync-svc and media-svc
do; the 1,000,000-sample job is seeded straight into labeling-svc's database once (dataset `bench-1m`, about 3
minutes, reused by later runs; `--drop-large` removes it afterwards, labeling-svc purging its samples in the
background) because producing a million samples through sync would take most of an hour.
Usage: python bench/labeling_bench.py [--samples 1000000] [--seconds 15] [--deliveries 200] [--peer-tasks 10000]
       [--skip-label-studio]    (--samples 0 / --peer-tasks 0 leave those parts out)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from labeling_svc.adapters.mongo import DATASETS, SAMPLES, ensure_indexes
from labeling_svc.domain.datasets import LabelingDataset
from labelstream_deploy.config import PORTS, service_env
from labelstream_deploy.paths import run_dir
from labelstream_shared.clock import utc_now
from labelstream_shared.events.contracts import LabelDefinition
from labelstream_shared.events.topics import LABELS
from labelstream_shared.mongo import connect, model_to_document
from labelstream_testing.labeling import LabelingPlatform, box, started_producer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import labeling_peer
from bench.cpu import platform_cpu, report_cpu
from bench.label_studio_peer import LABEL_STUDIO_VERSION
from bench.labeling_peer import save_through
from bench.load_client import LoadClient
from tests.storage import ensure_bucket, minio_client
from tests.support import admin_headers

GATEWAY = f"http://127.0.0.1:{PORTS.gateway}"
KAFKA = service_env(PORTS)["LS_KAFKA_BOOTSTRAP_SERVERS"]  # the platform's ports (a private platform's too)
MONGO = service_env(PORTS)["LS_MONGO_URL"]
LARGE_DATASET = "bench-1m"
LABEL_NAMES = [f"label{i}" for i in range(10)]
USERS = [f"user{i}" for i in range(20)]
MIB = 1024 * 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(name: str, value: float, unit: str, target: str, ok: bool) -> None:
    print(f"  {name:<46} {value:>9.1f} {unit:<7} target {target:<12} {'ok' if ok else 'MISSED'}")


def shapes_for(n: int) -> list[dict[str, Any]]:
    return [box(LABEL_NAMES[(n + i) % 3], 10 + i, 10 + i, 100 + i, 80 + i, shape_id=f"s{i}") for i in range(3)]


async def saves(
    platform: LabelingPlatform,
    load: LoadClient,
    dataset_id: str,
    samples: list[str],
    *,
    clients: int,
    seconds: float,
    accepted: dict[tuple[str, int], float] | None = None,
) -> None:
    """Each client saves its own samples in turn (If-Match the revision it last saw) for `seconds`; `accepted`
    gets the time each accepted save was answered."""
    revisions = {s: (await platform.annotation(dataset_id, s))["revision"] for s in samples}
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(mine: list[str]) -> None:
        nonlocal failures
        n = 0
        while time.perf_counter() < deadline:
            sample_id = mine[n % len(mine)]
            started = time.perf_counter()
            response = await save_through(load, dataset_id, sample_id, shapes_for(n), revisions[sample_id])
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status == 200:
                revisions[sample_id] = response.json()["revision"]
                if accepted is not None:
                    accepted[(sample_id, revisions[sample_id])] = time.perf_counter()
            else:
                failures += 1
                if response.status == 409:
                    revisions[sample_id] = response.json()["details"]["current_revision"]
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(samples[i::clients]) for i in range(clients)))
    elapsed = time.perf_counter() - started
    rate = len(latencies) / elapsed
    print(f"  {clients} client(s): {len(latencies)} saves in {elapsed:.1f} s, {failures} not 200")
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    if clients == 1:
        report("save latency p50, 1 client", p50, "ms", "<= 10 ms", p50 <= 10)
        report("save latency p99, 1 client", p99, "ms", "-", True)
        report("throughput, 1 client", rate, "saves/s", "-", True)
    else:
        report(f"save latency p50, {clients} clients", p50, "ms", "-", True)
        report(f"save latency p99, {clients} clients", p99, "ms", "< 50 ms", p99 < 50)
        report(f"throughput, {clients} clients", rate, "saves/s", ">= 250/s", rate >= 250)


class LabelChangedWatch:
    """An independent consumer of the labels topic (no group, from its end): when each (sample, revision) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, int], float] = {}
        self._consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, enable_auto_commit=False, fetch_max_wait_ms=100)
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LabelChangedWatch:
        consumer = self._consumer
        await consumer.start()
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(LABELS, p) for p in sorted(consumer.partitions_for_topic(LABELS) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        self._reader = asyncio.create_task(self._consume())
        await asyncio.sleep(1)
        return self

    async def _consume(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    data = json.loads(record.value)["data"]
                    self.arrived[(data["sample_id"], data["revision"])] = now

    async def delays(self, accepted: dict[tuple[str, int], float]) -> list[float]:
        """ms from each accepted save to its LabelChanged (waiting up to 10 s for the last ones)."""
        for _ in range(200):
            if not set(accepted) - set(self.arrived):
                break
            await asyncio.sleep(0.05)
        return [(self.arrived[k] - t) * 1000 for k, t in accepted.items() if k in self.arrived]

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._consumer.stop()


def report_delivery(delays: list[float], accepted: int, *, during: str, p99_target: float) -> None:
    print(f"  {accepted} saves, {len(delays)} delivered")
    p50, p99 = percentile(delays, 50), percentile(delays, 99)
    report(f"save -> LabelChanged p50, {during}", p50, "ms", "< 20 ms", p50 < 20)
    report(f"save -> LabelChanged p99, {during}", p99, "ms", f"<= {p99_target:.0f} ms", p99 <= p99_target)


async def loaded_saves(
    platform: LabelingPlatform, load: LoadClient, dataset_id: str, samples: list[str], *, seconds: float
) -> None:
    """16 clients saving, with the delivery of every accepted save to an outside consumer during that load."""
    accepted: dict[tuple[str, int], float] = {}
    async with LabelChangedWatch() as watch:
        before = platform_cpu()
        await saves(platform, load, dataset_id, samples, clients=16, seconds=seconds, accepted=accepted)
        delays = await watch.delays(accepted)
        await asyncio.sleep(1)  # the consumers' last batches
        after = platform_cpu()
    report_delivery(delays, len(accepted), during="16 clients", p99_target=50)
    report_cpu(before, after, units=len(accepted), unit="save")


async def delivery(platform: LabelingPlatform, dataset_id: str, samples: list[str], *, count: int) -> None:
    """Paced saves, one at a time; the time from the accepted save (the API's answer) to the LabelChanged reaching
    an independent consumer of the labels topic."""
    accepted: dict[tuple[str, int], float] = {}
    async with LabelChangedWatch() as watch:
        revisions: dict[str, int] = {}
        for n in range(count):
            sample_id = samples[n % len(samples)]
            current = revisions.get(sample_id)
            if current is None:
                current = (await platform.annotation(dataset_id, sample_id))["revision"]
            response = await platform.save(dataset_id, sample_id, shapes_for(n), revision=current)
            done = time.perf_counter()
            if response.status_code == 200:
                revisions[sample_id] = response.json()["revision"]
                accepted[(sample_id, revisions[sample_id])] = done
            await asyncio.sleep(0.02)
        delays = await watch.delays(accepted)
    report_delivery(delays, len(accepted), during="paced", p99_target=100)


async def seed_large(samples: int) -> None:
    """A dataset of `samples` samples in labeling-svc's database (once): 30% labeled with 1-2 of 10 labels by 20
    users, 2% hard examples, keys spread over 100 folders."""
    client = connect(MONGO)
    db = client["labeling_svc"]
    try:
        have = await db[SAMPLES].count_documents({"dataset_id": LARGE_DATASET}, hint="by_status")
        if have >= samples and await db[DATASETS].find_one({"_id": LARGE_DATASET}) is not None:
            print(f"  reusing {have:,} seeded samples of {LARGE_DATASET}")
            return
        await ensure_indexes(db)
        dataset = LabelingDataset(
            id=LARGE_DATASET,
            name=LARGE_DATASET,
            labeling_type="object_detection",
            labels=tuple(LabelDefinition(name=n, color="#808080") for n in LABEL_NAMES),
            created_at=utc_now(),
            registered_from_event="bench",
        )
        await db[DATASETS].replace_one({"_id": LARGE_DATASET}, model_to_document(dataset), upsert=True)
        await db[SAMPLES].delete_many({"dataset_id": LARGE_DATASET})
        rng = random.Random(1)
        now = utc_now()
        started = time.perf_counter()
        batch: list[dict[str, Any]] = []
        for i in range(samples):
            labeled = rng.random() < 0.3
            names = rng.sample(LABEL_NAMES, rng.choice((1, 2))) if labeled else []
            key = f"dir{i % 100:03d}/img{i:07d}.jpg"
            batch.append(
                {
                    "_id": f"bench1m-{i:07d}",
                    "dataset_id": LARGE_DATASET,
                    "key": key,
                    "file_name": key.rsplit("/", 1)[-1],
                    "media_kind": "image",
                    "media": {"kind": "image", "width": 640, "height": 480},
                    "added_at": now,
                    "updated_at": now,
                    "status": "labeled" if labeled else "unlabeled",
                    "labeled_by": rng.choice(USERS) if labeled else None,
                    "label_counts": [{"label": n, "shapes": 1} for n in sorted(names)],
                    "hard_example": rng.random() < 0.02,
                    "revision": 1 if labeled else 0,
                    "shapes": [],
                }
            )
            if len(batch) == 5000:
                await db[SAMPLES].insert_many(batch, ordered=False)
                batch = []
        if batch:
            await db[SAMPLES].insert_many(batch, ordered=False)
        print(f"  seeded {samples:,} samples in {time.perf_counter() - started:.0f} s")
    finally:
        await client.close()


async def filtered_pages(gateway: httpx.AsyncClient, *, repeat: int) -> None:
    created = await gateway.post("/api/labeling/jobs", json={"dataset_id": LARGE_DATASET, "name": "bench 1m"})
    assert created.status_code == 201, created.text
    job = created.json()["id"]
    queries: list[dict[str, Any]] = [
        {"tab": "labeled"},
        {"tab": "unlabeled"},
        {"label": "label3"},
        {"hard_example": "true"},
        {"labeled_by": "user7"},
        {"tab": "labeled", "label": "label5", "hard_example": "false"},
        {"labeled_by": "user2", "label": "label1"},
        {"name": "dir042/"},
    ]
    all_times: list[float] = []
    for query in queries:
        times: list[float] = []
        cursor = None
        for _ in range(repeat):
            params = {**query, "limit": 50, **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            response = await gateway.get(f"/api/labeling/jobs/{job}/samples", params=params)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            cursor = response.json()["next_cursor"]  # the next page each time: pages deep into the listing too
        all_times += times
        label = "&".join(f"{k}={v}" for k, v in query.items())
        print(f"    {label:<48} p50 {percentile(times, 50):6.1f} ms  p95 {percentile(times, 95):6.1f} ms")
    p95 = percentile(all_times, 95)
    report("filtered page p95, 1,000,000-sample job", p95, "ms", "< 50 ms", p95 < 50)
    started = time.perf_counter()
    details = (await gateway.get(f"/api/labeling/jobs/{job}")).json()
    print(f"    job details (counts) {details['counts']} in {(time.perf_counter() - started) * 1000:.0f} ms")


async def drop_large() -> None:
    """The large dataset and its jobs go; labeling-svc's purge removes its samples in the background."""
    client = connect(MONGO)
    try:
        await client["labeling_svc"][DATASETS].delete_one({"_id": LARGE_DATASET})
        await client["labeling_svc"]["jobs"].delete_many({"dataset_id": LARGE_DATASET})
    finally:
        await client.close()


def rss_at_rest() -> None:
    for service in ("dataset-svc", "labeling-svc", "media-svc", "sync-svc", "gateway"):
        pid_file = run_dir() / "pids" / f"{service}.pid"
        if not pid_file.exists():
            continue
        status = Path(f"/proc/{pid_file.read_text().strip()}/status")
        if not status.exists():
            continue
        rss = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmRSS:"))
        mib = rss * 1024 / MIB
        report(f"{service} RSS at rest", mib, "MiB", "< 150 MiB", mib < 150)


async def peer(platform: LabelingPlatform, args: argparse.Namespace) -> None:
    """The peer workload on both sides, one after the other (never at once: they share the cores)."""
    size = {"tasks": args.peer_tasks, "clients": 16, "pool": args.pool, "seconds": args.seconds, "pages": args.repeat}
    print(f"peer workload, Labelstream: {args.peer_tasks:,} images ...", flush=True)
    ours = await labeling_peer.labelstream(platform, **size)
    theirs = None
    if not args.skip_label_studio:
        print(f"peer workload, Label Studio {LABEL_STUDIO_VERSION}: {args.peer_tasks:,} tasks ...")
        theirs = await labeling_peer.label_studio(**size)
    labeling_peer.compared(ours, theirs, tasks=args.peer_tasks, clients=16)


async def main(args: argparse.Namespace) -> None:
    producer = await started_producer(KAFKA)
    try:
        headers = await admin_headers(base_url=GATEWAY)
        async with httpx.AsyncClient(
            base_url=GATEWAY, headers=headers, timeout=60, limits=httpx.Limits(max_connections=64)
        ) as gw:
            platform = LabelingPlatform(gw, producer)
            print("memory at rest (before):")
            rss_at_rest()
            for bucket in ("raw-data", "out-data"):  # the datasets' input and output paths (a fresh platform has none)
                ensure_bucket(minio_client(), bucket)
            dataset_id = await platform.create_dataset(f"bench-{uuid.uuid4().hex[:8]}", labels=LABEL_NAMES)
            keys = [f"bench/{i:04d}.png" for i in range(args.pool)]
            print(f"announcing {len(keys)} samples with their image sizes ...")
            samples = await platform.add_images(dataset_id, keys)
            print("annotation saves through the gateway:")
            async with LoadClient(GATEWAY, headers) as load:
                await saves(platform, load, dataset_id, samples, clients=1, seconds=args.seconds)
                await loaded_saves(platform, load, dataset_id, samples, seconds=args.seconds)
            print("paced delivery to an external consumer of labelstream.labels:")
            await delivery(platform, dataset_id, samples, count=args.deliveries)
            if args.peer_tasks:
                await peer(platform, args)
            if args.samples:
                print(f"filtered pages on a {args.samples:,}-sample job:")
                await seed_large(args.samples)
                await filtered_pages(gw, repeat=args.repeat)
            if args.drop_large:
                await drop_large()
            await asyncio.sleep(5)
            print("memory at rest (after):")
            rss_at_rest()
    finally:
        await producer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1_000_000, help="samples of the large job")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of saves per concurrency level")
    parser.add_argument("--pool", type=int, default=320, help="samples the saves rotate over")
    parser.add_argument("--deliveries", type=int, default=200, help="paced saves for the delivery latency")
    parser.add_argument("--repeat", type=int, default=20, help="pages per filter")
    parser.add_argument("--drop-large", action="store_true", help="remove the seeded large job afterwards")
    parser.add_argument("--peer-tasks", type=int, default=10_000, help="images of the peer workload (0: none)")
    parser.add_argument("--skip-label-studio", action="store_true", help="the peer workload on Labelstream only")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
