"""The labeling bench's peer workload (issue 13), the same on both sides and measured in the same run: 10,000 images
imported, 16 clients saving annotations (each its own samples in turn, a box per save), pages of 50 of the task list
read one after the other, and a COCO export of the whole project. Labelstream through the gateway, Label Studio
(bench/label_studio_peer.py) on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from labelstream_testing.labeling import LabelingPlatform, box, data_added, image_processed, sample_id_of

from bench.label_studio_peer import LABEL_STUDIO_VERSION, LabelStudio, label_studio_installed
from bench.load_client import Answer, LoadClient

WIDTH, HEIGHT = 640, 480
LABEL_STUDIO_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="car"/><Label value="person"/></RectangleLabels>
</View>"""


@dataclass
class Figures:
    """One side's figures."""

    saves: list[float] = field(default_factory=list)  # latencies, ms
    saves_per_s: float = 0.0
    failures: int = 0
    pages: list[float] = field(default_factory=list)  # ms
    export_s: float = 0.0
    import_s: float = 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


async def save_through(load: LoadClient, dataset_id: str, sample_id: str, shapes: list[Any], revision: int) -> Answer:
    """One save as the editor sends it, through the benches' cheap client (the platform's own cost is measured)."""
    path = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
    return await load.request("PUT", path, json={"shapes": shapes}, headers={"If-Match": f'"{revision}"'})


async def concurrent_saves(
    save: Callable[[int, int], Awaitable[bool]], *, clients: int, pool: int, seconds: float, figures: Figures
) -> None:
    """`clients` loops, each saving its own items of the pool in turn (`save(item, n)`: True when accepted)."""
    deadline = time.perf_counter() + seconds

    async def client(mine: list[int]) -> None:
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await save(mine[n % len(mine)], n)
            figures.saves.append((time.perf_counter() - started) * 1000)
            figures.failures += 0 if ok else 1
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(list(range(i, pool, clients))) for i in range(clients)))
    figures.saves_per_s = len(figures.saves) / (time.perf_counter() - started)


# --- Labelstream ---------------------------------------------------------------------------------------------------


async def labelstream(
    platform: LabelingPlatform, *, tasks: int, clients: int, pool: int, seconds: float, pages: int
) -> Figures:
    figures = Figures()
    gateway = platform.gateway
    dataset_id = await platform.create_dataset(f"bench-peer-{int(time.time())}", labels=["car", "person"])
    keys = [f"peer/{i:05d}.jpg" for i in range(tasks)]
    started = time.perf_counter()
    for first in range(0, tasks, 1000):  # as sync-svc and media-svc announce them
        chunk = keys[first : first + 1000]
        await platform.publish(data_added(dataset_id, chunk))
        processed = [
            image_processed(dataset_id, sample_id_of(dataset_id, k), width=WIDTH, height=HEIGHT) for k in chunk
        ]
        await platform.publish(*processed)
    job = (await gateway.post("/api/labeling/jobs", json={"dataset_id": dataset_id, "name": "peer"})).json()["id"]
    await platform.wait_for(
        f"/api/labeling/jobs/{job}", what=f"{tasks} samples", timeout=600, check=lambda b: b["counts"]["all"] >= tasks
    )
    figures.import_s = time.perf_counter() - started
    # the saves are measured on a quiet platform, as Label Studio's are: dataset-svc lists the import first
    await platform.wait_for(
        f"/api/datasets/{dataset_id}/samples?limit=1",
        what=f"{tasks} samples listed by dataset-svc",
        timeout=600,
        check=lambda b: b["counts"]["all"] >= tasks,
    )
    await asyncio.sleep(2)  # its last batches of media results
    samples = [sample_id_of(dataset_id, k) for k in keys[:pool]]
    revisions = dict.fromkeys(samples, 0)

    async def save(item: int, n: int) -> bool:
        sample_id = samples[item]
        shape = box("car" if n % 2 else "person", 10 + n % 50, 10, 200, 150, shape_id="b1")
        response = await save_through(load, dataset_id, sample_id, [shape], revisions[sample_id])
        if response.status == 200:
            revisions[sample_id] = response.json()["revision"]
        return response.status == 200

    async with LoadClient(str(gateway.base_url), _authorization(gateway.headers)) as load:
        await concurrent_saves(save, clients=clients, pool=pool, seconds=seconds, figures=figures)
    cursor: str | None = None
    for _ in range(pages):
        started = time.perf_counter()
        params: dict[str, str | int] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        response = await gateway.get(f"/api/labeling/jobs/{job}/samples", params=params)
        figures.pages.append((time.perf_counter() - started) * 1000)
        cursor = response.json()["next_cursor"]
    started = time.perf_counter()
    created = await gateway.post(f"/api/datasets/{dataset_id}/exports", json={"format": "coco"})
    assert created.status_code == 202, created.text
    export = created.json()
    while export["status"] not in ("completed", "failed"):
        await asyncio.sleep(0.1)
        export = (await gateway.get(f"/api/datasets/{dataset_id}/exports/{export['id']}")).json()
    assert export["status"] == "completed", export
    archive = await gateway.get(f"/api/datasets/{dataset_id}/exports/{export['id']}/archive")
    assert archive.status_code == 200
    figures.export_s = time.perf_counter() - started
    return figures


# --- Label Studio --------------------------------------------------------------------------------------------------


def _authorization(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() == "authorization"}


def body(n: int) -> dict[str, Any]:
    return {"result": _result(n)}


def _result(n: int) -> list[dict[str, Any]]:
    x0, y0, x1, y1 = 10 + n % 50, 10, 200, 150
    value: dict[str, Any] = {"x": 100 * x0 / WIDTH, "y": 100 * y0 / HEIGHT, "width": 100 * (x1 - x0) / WIDTH}
    value |= {"height": 100 * (y1 - y0) / HEIGHT, "rotation": 0, "rectanglelabels": ["car" if n % 2 else "person"]}
    common = {"id": "b1", "from_name": "box", "to_name": "image", "type": "rectanglelabels"}
    return [common | {"original_width": WIDTH, "original_height": HEIGHT, "image_rotation": 0, "value": value}]


async def label_studio(*, tasks: int, clients: int, pool: int, seconds: float, pages: int) -> Figures:
    """The same workload in Label Studio: a save is the Submit (first) or Update (then) of the task's annotation, as
    its editor sends them; a page is its data manager's task list; the export its COCO export."""
    figures = Figures()
    command = await asyncio.to_thread(label_studio_installed)
    with LabelStudio(command) as studio:
        headers = {"Authorization": f"Token {LabelStudio.TOKEN}"}
        limits = httpx.Limits(max_connections=clients + 4)
        async with httpx.AsyncClient(base_url=studio.url, headers=headers, timeout=600, limits=limits) as api:
            project = await api.post("/api/projects", json={"title": "bench peer", "label_config": LABEL_STUDIO_CONFIG})
            project.raise_for_status()
            project_id = project.json()["id"]
            started = time.perf_counter()
            for first in range(0, tasks, 1000):
                chunk = [{"image": f"/data/upload/1/peer_{i:05d}.jpg"} for i in range(first, min(tasks, first + 1000))]
                (await api.post(f"/api/projects/{project_id}/import", json=chunk)).raise_for_status()
            figures.import_s = time.perf_counter() - started
            listed = await api.get("/api/tasks", params={"project": project_id, "page_size": pool, "fields": "all"})
            task_ids = [t["id"] for t in listed.json()["tasks"]]
            annotations: dict[int, int] = {}

            async def save(item: int, n: int) -> bool:
                task_id = task_ids[item]
                if task_id not in annotations:
                    response = await load.request("POST", f"/api/tasks/{task_id}/annotations", json=body(n))
                    if response.status == 201:
                        annotations[task_id] = response.json()["id"]
                    return response.status == 201
                response = await load.request("PATCH", f"/api/annotations/{annotations[task_id]}", json=body(n))
                return response.status == 200

            async with LoadClient(studio.url, headers, connections=clients + 4) as load:
                await concurrent_saves(save, clients=clients, pool=len(task_ids), seconds=seconds, figures=figures)
            for page in range(1, pages + 1):
                started = time.perf_counter()
                response = await api.get("/api/tasks", params={"project": project_id, "page": page, "page_size": 50})
                figures.pages.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            started = time.perf_counter()
            params = {"exportType": "COCO", "download_all_tasks": "true", "download_resources": "false"}
            (await api.get(f"/api/projects/{project_id}/export", params=params)).raise_for_status()
            figures.export_s = time.perf_counter() - started
    return figures


def compared(ours: Figures, theirs: Figures | None, *, tasks: int, clients: int) -> None:
    """Each Labelstream figure next to Label Studio's, with the ratio and the issue's target where it names one."""
    print(f"\n== peer workload: {tasks:,} images, {clients} clients saving, pages of 50, COCO export")
    print(f"  {'':<34} {'Labelstream':>12} {'Label Studio ' + LABEL_STUDIO_VERSION:>20} {'ratio':>8}")

    def row(name: str, mine: float, peer: float | None, unit: str, *, higher_is_better: bool = False) -> None:
        ratio = "" if peer is None else f"{(mine / peer if higher_is_better else peer / mine):7.1f}x"
        peer_text = "-" if peer is None else f"{peer:,.1f} {unit}"
        print(f"  {name:<34} {f'{mine:,.1f} {unit}':>12} {peer_text:>20} {ratio:>8}")

    def of(f: Callable[[Figures], float]) -> float | None:
        return None if theirs is None else f(theirs)

    row(f"saves/s, {clients} clients", ours.saves_per_s, of(lambda t: t.saves_per_s), "/s", higher_is_better=True)
    row(f"save p50, {clients} clients", percentile(ours.saves, 50), of(lambda t: percentile(t.saves, 50)), "ms")
    row(f"save p99, {clients} clients", percentile(ours.saves, 99), of(lambda t: percentile(t.saves, 99)), "ms")
    row("list page p50", percentile(ours.pages, 50), of(lambda t: percentile(t.pages, 50)), "ms")
    row("list page p95", percentile(ours.pages, 95), of(lambda t: percentile(t.pages, 95)), "ms")
    row("import", ours.import_s, of(lambda t: t.import_s), "s")
    row("COCO export, request -> archive", ours.export_s, of(lambda t: t.export_s), "s")
    print(
        f"  saves not accepted: Labelstream {ours.failures}, Label Studio {'-' if theirs is None else theirs.failures}"
    )
    if theirs is not None:
        ratio = ours.saves_per_s / theirs.saves_per_s if theirs.saves_per_s else float("inf")
        verdict = "met" if ratio >= 40 and ours.saves_per_s >= 250 and percentile(ours.saves, 99) <= 50 else "NOT met"
        print(f"  target: >= 250 saves/s, p99 <= 50 ms, >= 40x Label Studio: {verdict} ({ratio:.1f}x)")
