"""Sync benchmark (issues 3 and 13): registered samples per second next to the raw listing speed of the same prefix,
sync-svc's peak memory at two bucket sizes, when dataset-svc lists every sample and when the whole sync is drained
(every sample with its media result, dataset-svc's consumers without lag) next to the registration time, how long an
object put into another dataset during the drain takes to be a sample with its thumbnail (fairness), the deletion of
the synced dataset (every service's records gone, no dead letter), and the continuous-sync delay from a put to the
sample.

Needs the platform (`make up`); `make bench` runs it. Prints each figure next to its baseline or target.
Usage: python bench/sync_bench.py [--sizes 10000 100000 1000000] [--live 100] [--drain-up-to 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from dataset_svc.adapters.mongo_samples import SAMPLES
from labelstream_deploy.config import PORTS
from labelstream_deploy.paths import run_dir
from labelstream_deploy.services import app_services
from labelstream_shared.mongo import connect
from labelstream_testing.gateway import png
from media_svc.adapters.mongo import RECORDS
from minio.helpers import DictType
from sync_svc.adapters.s3_listing import list_pages
from sync_svc.domain.objects import sample_id_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.cpu import platform_cpu, report_cpu
from tests.storage import ensure_bucket, minio_client, put_objects
from tests.support import admin_headers

GATEWAY = f"http://127.0.0.1:{PORTS.gateway}"
KAFKA = f"127.0.0.1:{PORTS.kafka}"
MONGO = f"mongodb://127.0.0.1:{PORTS.mongo}/?replicaSet=rs0"
MIB = 1024 * 1024


def restart_sync_svc() -> int:
    """A fresh sync-svc process, so its peak RSS (VmHWM) belongs to the next run alone; returns its pid."""
    [service] = [s for s in app_services(run_dir(), PORTS) if s.name == "sync-svc"]
    service.stop()
    service.ensure_running()
    pid = service.process.pid()
    assert pid is not None
    return pid


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / MIB
    raise RuntimeError("no VmHWM")


def raw_listing_rate(bucket: str, prefix: str) -> float:
    """Objects per second listed with the MinIO SDK (`list_objects`), the way a script would list them."""
    client = minio_client()
    started = time.perf_counter()
    count = sum(1 for _ in client.list_objects(bucket, prefix=prefix, recursive=True))
    return count / (time.perf_counter() - started)


def pager_listing_rate(bucket: str, prefix: str) -> float:
    """Objects per second listed with sync-svc's own pager alone (no registration): the listing floor of a run."""
    client = minio_client()
    started = time.perf_counter()
    count = sum(len(page) for page in list_pages(client, bucket, prefix))
    return count / (time.perf_counter() - started)


async def create_dataset(client: httpx.AsyncClient, bucket: str, prefix: str) -> str:
    body = {
        "name": f"bench {bucket}/{prefix}",
        "labeling_type": "image_segmentation",
        "input_path": {"bucket": bucket, "prefix": prefix},
        "output_path": {"bucket": bucket, "prefix": "out/"},
    }
    response = await client.post("/api/datasets", json=body)
    response.raise_for_status()
    dataset_id: str = response.json()["id"]
    for _ in range(300):
        if (await client.get(f"/api/sync/datasets/{dataset_id}/runs")).status_code == 200:
            return dataset_id
        await asyncio.sleep(0.1)
    raise RuntimeError("sync-svc did not learn of the dataset")


async def timed_sync(client: httpx.AsyncClient, dataset_id: str) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    run = (await client.post(f"/api/sync/datasets/{dataset_id}/runs")).json()
    while run["status"] not in ("succeeded", "failed"):
        await asyncio.sleep(0.1)
        run = (await client.get(f"/api/sync/runs/{run['id']}")).json()
    if run["status"] != "succeeded":
        raise RuntimeError(f"sync failed: {run['error']}")
    return time.perf_counter() - started, run["counts"]


async def until_listed(client: httpx.AsyncClient, dataset_id: str, size: int) -> float:
    """When dataset-svc's sample listing counts all `size` samples (it registers them from DataAdded)."""
    while True:
        page = (await client.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 1})).json()
        if page["counts"]["all"] >= size:
            return time.perf_counter()
        await asyncio.sleep(0.2)


async def group_lag(group: str) -> int:
    """Messages of the topics `group` reads that it has not committed yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        ends = await consumer.end_offsets(list(committed))
        return sum(max(ends[tp] - meta.offset, 0) for tp, meta in committed.items())
    finally:
        await consumer.stop()
        await admin.close()


async def until_drained(dataset_id: str) -> float:
    """When every sample of the dataset has its media result in dataset-svc and dataset-svc's consumers are idle."""
    samples = connect(MONGO)["dataset_svc"][SAMPLES]
    while True:
        pending = await samples.count_documents({"dataset_id": dataset_id, "media_status": "pending"}, limit=1)
        if not pending and await group_lag("dataset-svc") == 0:
            return time.perf_counter()
        await asyncio.sleep(0.5)


async def fairness_probe(client: httpx.AsyncClient, bucket: str, stop: asyncio.Event) -> list[float]:
    """While a backlog drains: put a picture into another, watched dataset every 2 s and time until it is a sample
    with its thumbnail."""
    prefix = f"fair-{uuid.uuid4().hex[:6]}/"
    dataset_id = await create_dataset(client, bucket, prefix)
    await asyncio.sleep(1)  # notifications switched on with DatasetCreated
    storage, picture = minio_client(), png(64, 48, (200, 40, 40))
    delays: list[float] = []
    while not stop.is_set():
        key = f"{prefix}{len(delays):04d}.png"
        sample = f"/api/datasets/{dataset_id}/samples/{sample_id_for(dataset_id, key)}"
        started = time.perf_counter()
        await asyncio.to_thread(put_objects, storage, bucket, [key], picture)
        while time.perf_counter() - started < 120:
            response = await client.get(sample)
            if response.status_code == 200 and response.json().get("thumbnail_key"):
                break
            await asyncio.sleep(0.05)
        delays.append(time.perf_counter() - started)
        await first_of_stop(stop, 2.0)
    await remove(client, dataset_id, bucket)
    return delays


async def first_of_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return


async def dead_letters() -> int:
    """Messages in every dead-letter topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA)
    await consumer.start()
    try:
        topics = [t for t in await consumer.topics() if t.startswith("labelstream.dlq.")]
        partitions = [tp for t in topics for tp in _partitions(consumer, t)]
        return sum((await consumer.end_offsets(partitions)).values()) if partitions else 0
    finally:
        await consumer.stop()


def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


async def timed_deletion(client: httpx.AsyncClient, dataset_id: str) -> float:
    """Delete the dataset; seconds until dataset-svc's samples and media-svc's records of it are gone."""
    db = connect(MONGO)
    started = time.perf_counter()
    (await client.delete(f"/api/datasets/{dataset_id}")).raise_for_status()
    while await db["dataset_svc"][SAMPLES].count_documents({"dataset_id": dataset_id}, limit=1) or await db[
        "media_svc"
    ][RECORDS].count_documents({"dataset_id": dataset_id}, limit=1):
        if time.perf_counter() - started > 1800:
            raise RuntimeError("the deletion did not finish in 30 minutes")
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


class AdminLogin(httpx.Auth):
    """The bootstrap admin's token, logged in again when it expires: a 1,000,000-object run outlasts one."""

    def __init__(self) -> None:
        self._headers: dict[str, str] | None = None

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._headers is None:
            self._headers = await admin_headers(base_url=GATEWAY)
        request.headers.update(self._headers)
        response = yield request
        if response.status_code == 401:
            self._headers = await admin_headers(base_url=GATEWAY)
            request.headers.update(self._headers)
            yield request


async def bench_size(
    client: httpx.AsyncClient, size: int, *, drain: bool = True, bucket: str | None = None
) -> dict[str, Any]:
    """One run of `size` objects; without `drain` (a run too large to wait for its media on this machine) the
    dataset is deleted once listed, the drain figure is left out (nan) and fairness is probed until then. `bucket`:
    one a run of this size already uploaded (kept by a run that failed), not uploaded again."""
    prefix = f"bench-{size}/"
    if bucket is None:
        bucket = fresh_bucket()  # not watched while uploading: the run alone registers the objects
        started = time.perf_counter()
        await asyncio.to_thread(
            put_objects, minio_client(), bucket, [f"{prefix}{i // 1000:03d}/{i:07d}.png" for i in range(size)]
        )
        print(f"  uploaded {size:,} objects in {time.perf_counter() - started:.0f}s", flush=True)
    listing = await asyncio.to_thread(raw_listing_rate, bucket, prefix)
    pager = await asyncio.to_thread(pager_listing_rate, bucket, prefix)
    pid = await asyncio.to_thread(restart_sync_svc)
    dataset_id = await create_dataset(client, bucket, prefix)
    cpu_before = platform_cpu()
    started = time.perf_counter()
    seconds, counts = await timed_sync(client, dataset_id)
    assert counts["added"] == size, counts
    stop = asyncio.Event()
    probe = asyncio.create_task(fairness_probe(client, fresh_bucket(), stop))
    visible = await until_listed(client, dataset_id, size) - started
    rss = peak_rss_mib(pid)
    drained = await until_drained(dataset_id) - started if drain else float("nan")
    cpu_after = platform_cpu()
    stop.set()
    fairness = await probe
    letters = await dead_letters()
    deletion = await timed_deletion(client, dataset_id)
    await asyncio.to_thread(drop_bucket, bucket)
    return {
        "listing": listing,
        "pager": pager,
        "registered": size / seconds,
        "seconds": seconds,
        "visible": visible,
        "drained": drained,
        "fair_max": max(fairness),
        "fair_median": statistics.median(fairness),
        "fair_count": len(fairness),
        "deletion": deletion,
        "new_dead_letters": await dead_letters() - letters,
        "rss": rss,
        "cpu": (cpu_before, cpu_after),
    }


async def bench_live(client: httpx.AsyncClient, bucket: str, count: int) -> list[float]:
    """Put objects one at a time into a watched input path; time until each is a sample in dataset-svc."""
    prefix = f"bench-live-{uuid.uuid4().hex[:6]}/"
    dataset_id = await create_dataset(client, bucket, prefix)
    await asyncio.sleep(1)  # notifications switched on with DatasetCreated
    storage = minio_client()
    delays = []
    for i in range(count):
        key = f"{prefix}{i:05d}.png"
        sample = f"/api/datasets/{dataset_id}/samples/{sample_id_for(dataset_id, key)}"
        started = time.perf_counter()
        await asyncio.to_thread(put_objects, storage, bucket, [key])
        while (await client.get(sample)).status_code != 200:
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{key} did not become a sample in 30s")
            await asyncio.sleep(0.02)
        delays.append(time.perf_counter() - started)
    await remove(client, dataset_id, bucket)
    return delays


async def remove(client: httpx.AsyncClient, dataset_id: str, bucket: str) -> None:
    """The benchmark's dataset (its samples are purged) and bucket: repeated runs do not pile up data."""
    (await client.delete(f"/api/datasets/{dataset_id}")).raise_for_status()
    await asyncio.to_thread(drop_bucket, bucket)


def drop_bucket(bucket: str) -> None:
    force: DictType = {"x-minio-force-delete": "true"}  # MinIO drops the bucket with its objects in one call
    minio_client()._execute("DELETE", bucket, headers=force)


def fresh_bucket() -> str:
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    ensure_bucket(minio_client(), bucket)
    return bucket


async def main(sizes: list[int], live: int, drain_up_to: int, bucket: str | None) -> None:
    async with httpx.AsyncClient(base_url=GATEWAY, auth=AdminLogin(), timeout=60) as client:
        results = {}
        for size in sizes:
            print(f"sync of {size:,} objects", flush=True)
            results[size] = await bench_size(client, size, drain=size <= drain_up_to, bucket=bucket)
        print("\n== bucket sync")
        for size, r in results.items():
            ratio = r["registered"] / r["listing"]
            print(
                f"  {size:>9,} objects: registered {r['registered']:8.0f}/s  raw listing (SDK) {r['listing']:8.0f}/s  "
                f"ratio {ratio:.2f} (target >= 0.50)  run {r['seconds']:.1f}s  sync-svc peak RSS {r['rss']:.0f} MiB "
                f"(target < 200)"
            )
            print(
                f"  {'':>9}          raw listing with sync-svc's pager alone {r['pager']:8.0f}/s  "
                f"ratio {r['registered'] / r['pager']:.2f}"
            )
            print(
                f"  {'':>9}          all samples listed by dataset-svc {r['visible']:.1f}s after the click "
                f"({size / r['visible']:.0f}/s): {r['visible'] / r['seconds']:.2f}x the registration (target <= 1.5)"
            )
            print(
                f"  {'':>9}          drained (every sample with its media, dataset-svc idle) {r['drained']:.1f}s: "
                f"{r['drained'] / r['seconds']:.2f}x the registration (target <= 3)"
            )
            print(
                f"  {'':>9}          another dataset during the drain, put -> sample with thumbnail: "
                f"median {r['fair_median']:.2f}s, max {r['fair_max']:.2f}s of {r['fair_count']} (target <= 5 s)"
            )
            print(
                f"  {'':>9}          deletion of the synced dataset: {r['deletion']:.1f}s, "
                f"new dead letters {r['new_dead_letters']} (target 0)"
            )
            what = "to the listing" if math.isnan(r["drained"]) else "to the drain"
            print(f"  {'':>9}          the platform's CPU from the click {what} (fairness probe included):")
            report_cpu(*r["cpu"], units=size, unit="object")
        if len(results) > 1:
            small, large = min(results), max(results)
            growth = results[large]["rss"] - results[small]["rss"]
            print(f"  peak RSS growth {small:,} -> {large:,} objects: {growth:+.0f} MiB (target: flat)")
        if live:
            delays = await bench_live(client, fresh_bucket(), live)
            p95 = statistics.quantiles(delays, n=20)[18] if len(delays) >= 20 else max(delays)
            print(f"\n== continuous sync ({live} puts, one at a time)")
            print(f"  put -> sample: median {statistics.median(delays):.2f}s  p95 {p95:.2f}s  (target p95 < 2 s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--live", type=int, default=100)
    parser.add_argument(
        "--drain-up-to", type=int, default=100_000, help="larger runs skip the drain and fairness (e.g. 1,000,000)"
    )
    parser.add_argument("--bucket", help="a bucket holding a failed run's upload of the (one) size: not uploaded again")
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.live, args.drain_up_to, args.bucket))
