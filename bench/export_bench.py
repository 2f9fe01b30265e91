"""Export benchmark (issue 12): a COCO export of 10,000 labeled images (2 boxes and 1 polygon each) through the
gateway, next to Label Studio's COCO export of the same 10,000 tasks measured in the same run; and exports of 10,000,
100,000 and 1,000,000 samples, each in an exporting process of its own (time, samples/s, peak RSS). Prints each
figure next to its peer or target.

Needs the platform (`make up`; `make bench BENCH=export` runs it). Both sides get the same images and shapes:
Labelstream a published version whose manifest is seeded straight into object storage (with its version record),
as publishing would have written it; Label Studio the same tasks with their annotations, imported through its API.
Label Studio (`label-studio` from PyPI, LABEL_STUDIO_VERSION) is installed once into its own virtual environment under
~/.cache/labelstream/bench/label-studio, started on loopback with a fresh data dir (SQLite) and stopped afterwards;
its export is the one its UI's Export button calls (`GET /api/projects/<id>/export?exportType=COCO`), without the
pictures, like ours. The large manifests are written once into the bucket `bench-export` and reused by later runs;
the large exports run in a scratch database (`bench_export`), one process each, which reports its peak RSS (VmHWM).
Usage: python bench/export_bench.py [--images 10000] [--sizes 10000 100000 1000000] [--skip-label-studio]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from labelstream_deploy.config import PORTS, service_env

for _name, _value in service_env(PORTS).items():  # the platform's ports (a private platform's too) for every helper
    os.environ.setdefault(_name, _value)

from dataset_svc.adapters.mongo import MongoDatasetTransaction, ensure_indexes  # noqa: E402
from dataset_svc.adapters.mongo_exports import MongoExportRepository  # noqa: E402
from dataset_svc.adapters.storage import StorageBucketDirectory, StorageExportFiles  # noqa: E402
from dataset_svc.app.exports import execute_export, request_export  # noqa: E402
from dataset_svc.app.use_cases import CreateDataset, create_dataset  # noqa: E402
from dataset_svc.domain.labels import LabelStatistics  # noqa: E402
from dataset_svc.domain.versions import ObjectLocation, Version  # noqa: E402
from dataset_svc.settings import DatasetSettings  # noqa: E402
from labelstream_formats.model import ExportOptions  # noqa: E402
from labelstream_shared.events.contracts import BucketPath, LabelDefinition  # noqa: E402
from labelstream_shared.mongo import MongoTransactionRunner, connect  # noqa: E402
from labelstream_shared.storage import ObjectStorage  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.label_studio_peer import LABEL_STUDIO_VERSION, LabelStudio, label_studio_installed  # noqa: E402
from tests.storage import ensure_bucket, minio_client  # noqa: E402
from tests.support import admin_headers  # noqa: E402

GATEWAY = f"http://127.0.0.1:{PORTS.gateway}"
BUCKET = "bench-export"
SCRATCH_DB = "bench_export"
LABELS = ("car", "person", "road")
WIDTH, HEIGHT = 1280, 720
MANIFEST_REVISION = 1  # of the synthetic manifests below: a change here makes the cached ones stale
LABEL_STUDIO_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="car"/><Label value="person"/></RectangleLabels>
  <PolygonLabels name="outline" toName="image"><Label value="road"/></PolygonLabels>
</View>"""
MIB = 1024 * 1024


# --- the samples, the same on both sides --------------------------------------------------------------------------


def picture(n: int) -> tuple[str, list[dict[str, Any]]]:
    """Image n: its path under the input prefix and its 3 shapes in pixels (2 boxes, a 6-point polygon), with the
    unrounded coordinates an editor saves."""
    rng = random.Random(n)
    shapes = []
    for k, label in enumerate(("car", "person")):
        x, y = rng.uniform(0, WIDTH - 200), rng.uniform(0, HEIGHT - 200)
        w, h = rng.uniform(10, 200), rng.uniform(10, 200)
        shapes.append(
            {"shape_id": f"s{n}-{k}", "kind": "rectangle", "label": label, "points": [[x, y], [x + w, y + h]]}
        )
    cx, cy = rng.uniform(200, WIDTH - 200), rng.uniform(200, HEIGHT - 200)
    ring = [[cx + rng.uniform(50, 150) * c, cy + rng.uniform(50, 150) * s] for c, s in _HEXAGON]
    shapes.append({"shape_id": f"s{n}-2", "kind": "polygon", "label": "road", "points": ring})
    return f"cam{n % 10}/{n:07d}.jpg", shapes


_HEXAGON = [(1.0, 0.0), (0.5, 0.866), (-0.5, 0.866), (-1.0, 0.0), (-0.5, -0.866), (0.5, -0.866)]


def manifest_lines(count: int, bucket: str) -> Iterator[bytes]:
    """A published version's manifest of `count` images, as publishing writes it (one JSON object per line)."""
    for n in range(count):
        name, shapes = picture(n)
        line = {
            "sample_id": f"{n:032x}",
            "source": f"s3://{bucket}/img/{name}",
            "media_kind": "image",
            "media": {"kind": "image", "width": WIDTH, "height": HEIGHT},
            "status": "labeled",
            "shapes": shapes,
        }
        yield (json.dumps(line, separators=(",", ":")) + "\n").encode()


def in_batches(lines: Iterator[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    batch: list[bytes] = []
    held = 0
    for line in lines:
        batch.append(line)
        held += len(line)
        if held >= size:
            yield b"".join(batch)
            batch, held = [], 0
    if batch:
        yield b"".join(batch)


def label_studio_task(n: int) -> dict[str, Any]:
    """Image n as a Label Studio task with its annotation (Label Studio holds coordinates in percent)."""
    name, shapes = picture(n)
    result: list[dict[str, Any]] = []
    for shape in shapes:
        common = {"id": shape["shape_id"], "to_name": "image", "original_width": WIDTH, "original_height": HEIGHT}
        common["image_rotation"] = 0
        if shape["kind"] == "rectangle":
            (x0, y0), (x1, y1) = shape["points"]
            value = {"x": 100 * x0 / WIDTH, "y": 100 * y0 / HEIGHT, "width": 100 * (x1 - x0) / WIDTH}
            value |= {"height": 100 * (y1 - y0) / HEIGHT, "rotation": 0, "rectanglelabels": [shape["label"]]}
            result.append(common | {"from_name": "box", "type": "rectanglelabels", "value": value})
        else:
            points = [[100 * x / WIDTH, 100 * y / HEIGHT] for x, y in shape["points"]]
            value = {"points": points, "closed": True, "polygonlabels": [shape["label"]]}
            result.append(common | {"from_name": "outline", "type": "polygonlabels", "value": value})
    return {"data": {"image": f"/data/upload/1/{name.replace('/', '_')}"}, "annotations": [{"result": result}]}


def coco_counts(archive: bytes) -> tuple[int, int]:
    """(images, annotations) of the COCO document in a zip."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        [name] = [n for n in z.namelist() if n.endswith(".json")]
        document = json.loads(z.read(name))
    return len(document["images"]), len(document["annotations"])


# --- Labelstream ---------------------------------------------------------------------------------------------------


def storage() -> ObjectStorage:
    return ObjectStorage(DatasetSettings())


def cached_manifest(count: int) -> ObjectLocation:
    """The manifest of `count` images in the bench bucket, written once (streamed) and reused."""
    client = minio_client()
    ensure_bucket(client, BUCKET)
    location = ObjectLocation(bucket=BUCKET, key=f"manifests/r{MANIFEST_REVISION}-{count}.jsonl")
    try:
        client.stat_object(location.bucket, location.key)
        return location
    except Exception:
        pass
    started = time.perf_counter()
    lines = in_batches(manifest_lines(count, BUCKET))
    size = StorageExportFiles(storage()).write(location, lines, content_type="application/x-ndjson")
    print(f"  wrote the manifest of {count:,} images ({size / MIB:.0f} MiB) in {time.perf_counter() - started:.0f} s")
    return location


def runner(client: Any, db_name: str) -> MongoTransactionRunner[MongoDatasetTransaction]:
    return MongoTransactionRunner(
        client=client,
        db=client[db_name],
        make=lambda db, session: MongoDatasetTransaction(source="/labelstream/dataset-svc", db=db, session=session),
    )


async def seeded_version(db_name: str, dataset_id: str | None, count: int) -> Version:
    """A published version of `count` images over the cached manifest, in dataset-svc's database `db_name`; the
    dataset is the given one, or a new one made there."""
    location = await asyncio.to_thread(cached_manifest, count)
    client = connect(os.environ["LS_MONGO_URL"])
    try:
        run = runner(client, db_name)
        if dataset_id is None:
            await ensure_indexes(client[db_name])
            command = CreateDataset(
                name=f"bench export {count} {random.getrandbits(32):08x}",
                labeling_type="object_detection",
                input_path=BucketPath(bucket=BUCKET, prefix="img/"),
                output_path=BucketPath(bucket=BUCKET, prefix="out/"),
                labels=tuple(LabelDefinition(name=n, color="#808080") for n in LABELS),
            )
            dataset = await create_dataset(command, run=run, buckets=StorageBucketDirectory(storage()))
            dataset_id = dataset.id
        made = Version.create(dataset_id=dataset_id, number=1, output_path=BucketPath(bucket=BUCKET, prefix="out/"))
        version = made.published(statistics=LabelStatistics(samples=count), label_set=LABELS)
        version = version.model_copy(update={"manifest": location})

        async def add(tx: MongoDatasetTransaction) -> None:
            await tx.versions.add(version)

        await run(add)
        return version
    finally:
        await client.close()


async def platform_export(images: int) -> dict[str, float]:
    """A COCO export of `images` images through the gateway: from the request to `completed`, then the download."""
    ensure_bucket(minio_client(), BUCKET)
    async with httpx.AsyncClient(base_url=GATEWAY, headers=await admin_headers(base_url=GATEWAY), timeout=120) as api:
        body = {
            "name": f"bench export {random.getrandbits(32):08x}",
            "labeling_type": "object_detection",
            "input_path": {"bucket": BUCKET, "prefix": "img/"},
            "output_path": {"bucket": BUCKET, "prefix": "out/"},
            "labels": [{"name": n, "color": "#808080"} for n in LABELS],
        }
        created = await api.post("/api/datasets", json=body)
        created.raise_for_status()
        dataset_id = created.json()["id"]
        version = await seeded_version(DatasetSettings().database_name, dataset_id, images)
        try:
            started = time.perf_counter()
            response = await api.post(
                f"/api/datasets/{dataset_id}/versions/{version.id}/exports", json={"format": "coco"}
            )
            response.raise_for_status()
            export = response.json()
            while export["status"] not in ("completed", "failed"):
                await asyncio.sleep(0.05)
                export = (await api.get(f"/api/datasets/{dataset_id}/exports/{export['id']}")).json()
            seconds = time.perf_counter() - started
            if export["status"] != "completed":
                raise RuntimeError(f"export failed: {export.get('error')}")
            started = time.perf_counter()
            archive = await api.get(f"/api/datasets/{dataset_id}/exports/{export['id']}/archive")
            archive.raise_for_status()
            download = time.perf_counter() - started
        finally:
            (await api.delete(f"/api/datasets/{dataset_id}")).raise_for_status()
    counts = coco_counts(archive.content)
    assert counts == (images, 3 * images), counts
    return {"seconds": seconds, "download": download, "size": len(archive.content)}


# --- the large exports, each in a process of its own ---------------------------------------------------------------


async def large_exports(sizes: list[int]) -> dict[int, dict[str, float]]:
    results = {}
    for size in sizes:
        version = await seeded_version(SCRATCH_DB, None, size)
        client = connect(os.environ["LS_MONGO_URL"])
        try:
            run = runner(client, SCRATCH_DB)
            await request_export(
                version.dataset_id, version.id, format="coco", options=ExportOptions(), requested_by=None, run=run
            )
        finally:
            await client.close()
        print(f"  exporting {size:,} samples in a process of its own", flush=True)
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, __file__, "--worker"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"the export process failed:\n{done.stderr[-3000:]}")
        results[size] = json.loads(done.stdout.strip().splitlines()[-1])
    await drop_scratch()
    return results


async def worker() -> None:
    """The exporting process: claims the scratch database's export, runs it with the real adapters (MongoDB, MinIO)
    and prints its figures as JSON: seconds, CPU seconds, peak RSS (VmHWM) and RSS before the export."""
    client = connect(os.environ["LS_MONGO_URL"])
    files = StorageExportFiles(storage())
    try:
        claim = await MongoExportRepository(client[SCRATCH_DB]).claim_next(owner="bench", stale_after_s=3600)
        assert claim is not None, "no export to run"
        before = memory("VmRSS")
        started, cpu = time.perf_counter(), time.process_time()
        await execute_export(claim, run=runner(client, SCRATCH_DB), storage=files, owner="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        export = await MongoExportRepository(client[SCRATCH_DB]).get(claim.job_id)
        assert export is not None, "the export is gone"
        assert export.status == "completed", export.error
        assert export.archive is not None
        stored = ObjectStorage(DatasetSettings()).client
        stored.remove_object(export.archive.location.bucket, export.archive.location.key)
        figures = {"seconds": seconds, "cpu": cpu, "peak_mib": memory("VmHWM"), "start_mib": before}
        figures |= {"items": export.outcome.items, "shapes": export.outcome.shapes, "size": export.archive.size}
        print(json.dumps(figures))
    finally:
        await client.close()


def memory(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / MIB
    raise RuntimeError(f"no {field}")


async def drop_scratch() -> None:
    client = connect(os.environ["LS_MONGO_URL"])
    try:
        await client.drop_database(SCRATCH_DB)
    finally:
        await client.close()


# --- Label Studio --------------------------------------------------------------------------------------------------


def label_studio_export(images: int) -> dict[str, float]:
    """Label Studio's COCO export of the same `images` tasks: imported with their annotations, then timed from the
    export request to the whole archive received."""
    with LabelStudio(label_studio_installed()) as studio, studio.client() as api:
        project = api.post("/api/projects", json={"title": "bench export", "label_config": LABEL_STUDIO_CONFIG})
        project.raise_for_status()
        project_id = project.json()["id"]
        started = time.perf_counter()
        for first in range(0, images, 1000):
            tasks = [label_studio_task(n) for n in range(first, min(images, first + 1000))]
            api.post(f"/api/projects/{project_id}/import", json=tasks).raise_for_status()
        while (counts := api.get(f"/api/projects/{project_id}").json())["total_annotations_number"] < images:
            time.sleep(1)
        imported = time.perf_counter() - started
        print(f"  imported {counts['task_number']:,} tasks into Label Studio in {imported:.0f} s", flush=True)
        started = time.perf_counter()
        params = {"exportType": "COCO", "download_resources": "false"}
        response = api.get(f"/api/projects/{project_id}/export", params=params)
        response.raise_for_status()
        seconds = time.perf_counter() - started
    found = coco_counts(response.content)
    assert found == (images, 3 * images), found
    return {"seconds": seconds, "size": len(response.content), "import": imported}


# --- the report ----------------------------------------------------------------------------------------------------


def compared(images: int, ours: dict[str, float], theirs: dict[str, float] | None) -> None:
    print(f"\n== COCO export of {images:,} images, 3 shapes each (2 boxes, 1 polygon)")
    print(
        f"  Labelstream: request -> completed {ours['seconds']:.2f} s ({images / ours['seconds']:,.0f} images/s),"
        f" archive {ours['size'] / MIB:.1f} MiB downloaded in {ours['download']:.2f} s"
    )
    if theirs is not None:
        ratio = theirs["seconds"] / ours["seconds"]
        print(
            f"  Label Studio {LABEL_STUDIO_VERSION}: export request -> archive received {theirs['seconds']:.2f} s "
            f"({images / theirs['seconds']:,.0f} tasks/s), archive {theirs['size'] / MIB:.1f} MiB"
        )
        verdict = "met" if ratio >= 10 else "NOT met"
        print(f"  Labelstream is {ratio:.1f}x faster (target >= 10x: {verdict})")


async def main(args: argparse.Namespace) -> None:
    load = os.getloadavg()[0]
    ours = theirs = None
    if args.images:
        print(f"COCO export of {args.images:,} images (3 shapes each) through the gateway", flush=True)
        ours = await platform_export(args.images)
    if args.images and not args.skip_label_studio:
        print(f"Label Studio {LABEL_STUDIO_VERSION}: COCO export of the same {args.images:,} tasks", flush=True)
        theirs = await asyncio.to_thread(label_studio_export, args.images)
    print("large exports", flush=True)
    large = await large_exports(args.sizes)

    if ours is not None:
        compared(args.images, ours, theirs)
    print("\n== large exports (COCO; one exporting process each, time from its claim to completed)")
    for size, r in large.items():
        rate = size / r["seconds"]
        print(
            f"  {size:>9,} samples: {r['seconds']:7.1f} s  {rate:8,.0f} samples/s (target >= 20,000: "
            f"{'met' if rate >= 20_000 else 'NOT met'})  CPU {r['cpu']:.1f} s ({size / r['cpu']:,.0f}/s of CPU)  "
            f"peak RSS {r['peak_mib']:.0f} MiB (target <= 250: {'met' if r['peak_mib'] <= 250 else 'NOT met'}; "
            f"{r['start_mib']:.0f} MiB before the export)  archive {r['size'] / MIB:.0f} MiB"
        )
    if len(large) > 1:
        small, big = min(large), max(large)
        growth = large[big]["peak_mib"] - large[small]["peak_mib"]
        print(f"  peak RSS growth {small:,} -> {big:,} samples: {growth:+.0f} MiB (target: flat)")
    print(f"\n  {os.cpu_count()} cores; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000, help="0: only the large exports")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--skip-label-studio", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    asyncio.run(worker() if arguments.worker else main(arguments))
