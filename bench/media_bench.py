"""Media benchmark (issue 4): each figure next to its limit, measured in the same run.

- thumbnails per second for 12-megapixel JPEGs (media-svc's image processing, in this process) next to the fastest
  reduced decode of the same files (Pillow draft mode or OpenCV IMREAD_REDUCED_COLOR_8): target >= 80 %;
- exact frame at a time point on a 10-minute 1080p H.264 video, p50/p95, cold (never asked) and cached, through the
  gateway and straight from media-svc: targets p95 < 150 ms cold, < 10 ms cached;
- extraction of many time points in one request (POST .../frames) next to a raw PyAV decode of the same span:
  target >= 90 %;
- media-svc's resident memory (its process and its decoding processes) while it works: target < 400 MiB;
- with --jobs N: media jobs per second of tiny sources, batches next to one job at a time (bench/media_jobs_bench.py).

Needs the platform (`make up`). Generated media is cached under ~/.cache/labelstream/bench/.
Usage: python bench/media_bench.py [--images 8] [--frames 40] [--extract-seconds 60] [--jobs 0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import threading
import time
import uuid
from fractions import Fraction
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
from labelstream_deploy.config import PORTS, service_env
from labelstream_deploy.paths import run_dir
from media_svc.adapters.decoding import tasks
from media_svc.domain.limits import MediaLimits
from numpy.typing import NDArray
from PIL import Image

for _name, _value in service_env(PORTS).items():  # the platform's ports (a private platform's too) for every helper
    os.environ.setdefault(_name, _value)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.media_jobs_bench import bench_jobs  # noqa: E402
from tests.storage import ensure_bucket, minio_client  # noqa: E402
from tests.support import admin_headers  # noqa: E402

GATEWAY = f"http://127.0.0.1:{PORTS.gateway}"
MEDIA_SVC = f"http://127.0.0.1:{PORTS.media_svc}"
CACHE = Path(os.environ.get("LABELSTREAM_CACHE", Path.home() / ".cache" / "labelstream")) / "bench"
BUCKET = "bench-media"
MIB = 1024 * 1024


def photo(index: int, *, width: int = 4000, height: int = 3000) -> NDArray[np.uint8]:
    """A 12-megapixel picture with detail everywhere (gradients and noise), as camera JPEGs have."""
    rng = np.random.default_rng(index)
    y, x = np.mgrid[0:height, 0:width].astype(np.uint16)
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[..., 0] = ((x // 7 + index * 13) % 256).astype(np.uint8)
    rgb[..., 1] = ((y // 5 + x // 11) % 256).astype(np.uint8)
    rgb[..., 2] = rng.integers(0, 256, (height, width), dtype=np.uint8) // 2 + 64
    return rgb


def twelve_megapixel_jpegs(count: int) -> list[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = CACHE / f"photo-12mp-{index}.jpg"
        if not path.exists():
            Image.fromarray(photo(index)).save(path, format="JPEG", quality=90)
        paths.append(path)
    return paths


def rates(work: list[Path], contenders: dict[str, object], *, rounds: int = 4) -> dict[str, float]:
    """Files per second of each contender, the best of `rounds` passes; the passes alternate between contenders, so
    that a busy neighbour on the machine slows them alike."""
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, one in contenders.items():
            started = time.perf_counter()
            for path in work:
                one(path)  # type: ignore[operator]
            best[name] = max(best[name], len(work) / (time.perf_counter() - started))
    return best


def bench_thumbnails(count: int) -> None:
    paths = twelve_megapixel_jpegs(count)
    limits = MediaLimits()

    def pillow_draft(path: Path) -> None:
        with Image.open(path) as image:
            image.draft("RGB", (256, 256))
            image.load()

    def opencv_reduced(path: Path) -> None:
        cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_8)

    def ours(path: Path) -> None:
        tasks.process_source(str(path), kind="image", limits=limits)

    found = rates(paths, {"draft": pillow_draft, "reduced": opencv_reduced, "ours": ours})
    draft, reduced, thumbs = found["draft"], found["reduced"], found["ours"]
    limit = max(draft, reduced)
    print(f"thumbnails, {count} JPEGs of 4000x3000 (one process):")
    print(f"  media-svc probe + thumbnail   {thumbs:7.1f} /s")
    print(f"  Pillow draft decode           {draft:7.1f} /s")
    print(f"  OpenCV reduced decode (1/8)   {reduced:7.1f} /s")
    verdict = "ok" if thumbs >= 0.8 * limit else "BELOW TARGET"
    print(f"  -> {thumbs / limit:.0%} of the fastest decode (target >= 80 %): {verdict}")


def long_video(seconds: int = 600) -> Path:
    """`seconds` (10 minutes) of 1080p30 H.264 (ultrafast, keyframe every 2 s), made once."""
    path = CACHE / f"long-1080p30-{seconds}s.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    width, height, fps = 1920, 1080, 30
    y, x = np.mgrid[0:height, 0 : width + 64 * 8]
    base = np.empty((height, width + 64 * 8, 3), np.uint8)  # smooth gradients and stripes: a low bitrate, as asked
    base[..., 0] = (x // 3) % 256
    base[..., 1] = (y // 2 + x // 9) % 256
    base[..., 2] = ((x // 40 + y // 40) % 2) * 120 + 60
    time_base = Fraction(1, fps)
    with av.open(str(partial), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.gop_size = fps * 2
        stream.options = {"preset": "ultrafast", "crf": "28", "bf": "0", "sc_threshold": "0"}
        for index in range(fps * seconds):
            shift = (index * 4) % (64 * 8)
            rgb = np.ascontiguousarray(base[:, shift : shift + width])
            rgb[40:120, 40 : 40 + 200] = (index * 37) % 256
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    partial.rename(path)
    return path


class MemoryWatch:
    """Peak resident memory of a process and its children, sampled every 0.1 s in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total = 0
        self.peak_main = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _children(self) -> list[int]:
        found = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            children = (task / "children").read_text().split()
            found += [int(c) for c in children]
        return found

    def _watch(self) -> None:
        while not self._stop.is_set():
            main = self._rss(self.pid)
            total = main + sum(self._rss(c) for c in self._children())
            self.peak_main, self.peak_total = max(self.peak_main, main), max(self.peak_total, total)
            time.sleep(0.1)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def ready_video_sample(client: httpx.AsyncClient, video: Path) -> tuple[str, str]:
    """Put the video in a bucket, make a dataset of it, synchronize, wait for media-svc: (dataset id, sample id)."""
    minio = minio_client()
    ensure_bucket(minio, BUCKET)
    key = f"bench-{uuid.uuid4().hex[:8]}/{video.name}"
    await asyncio.to_thread(minio.fput_object, BUCKET, key, str(video), content_type="video/mp4")
    prefix = key.rsplit("/", 1)[0] + "/"
    body = {
        "name": f"media bench {uuid.uuid4().hex[:8]}",
        "labeling_type": "video_labeling",
        "input_path": {"bucket": BUCKET, "prefix": prefix},
        "output_path": {"bucket": BUCKET, "prefix": f"{prefix}out/"},
    }
    dataset_id = (await client.post(f"{GATEWAY}/api/datasets", json=body)).raise_for_status().json()["id"]
    for _ in range(300):
        if (await client.post(f"{GATEWAY}/api/sync/datasets/{dataset_id}/runs")).status_code == 202:
            break
        await asyncio.sleep(0.1)
    for _ in range(1200):
        page = (await client.get(f"{GATEWAY}/api/datasets/{dataset_id}/samples")).json()
        if page["items"]:
            sample_id: str = page["items"][0]["id"]
            media = await client.get(f"{MEDIA_SVC}/api/media/datasets/{dataset_id}/samples/{sample_id}")
            if media.status_code == 200 and media.json()["status"] in ("ready", "failed"):
                assert media.json()["status"] == "ready", media.json()
                return dataset_id, sample_id
        await asyncio.sleep(0.25)
    raise RuntimeError("the bench video was not processed within 5 minutes")


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


async def frame_latencies(client: httpx.AsyncClient, base: str, times: list[float]) -> list[float]:
    latencies = []
    for t in times:
        started = time.perf_counter()
        answer = await client.get(f"{base}/frame", params={"t": t})
        answer.raise_for_status()
        latencies.append(time.perf_counter() - started)
    return latencies


def raw_decode_seconds(video: Path, seconds: float, *, every_s: float | None = None) -> float:
    """Wall time of a plain PyAV sequential decode of the first `seconds` of the video (frame threads, as ours);
    with `every_s`, the frames at those time points are also converted to RGB arrays (a PyAV extraction script)."""
    started = time.perf_counter()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = float(stream.time_base or 1)
        end, due = seconds / time_base, 0.0
        for frame in container.decode(stream):
            if frame.pts is not None and frame.pts >= end:
                break
            if every_s is not None and frame.pts is not None and frame.pts * time_base >= due:
                frame.to_ndarray(format="rgb24")
                due += every_s
    return time.perf_counter() - started


async def bench_frames(frames: int, extract_seconds: float, *, video_seconds: int = 600) -> None:
    print(f"preparing the {video_seconds} s 1080p video (made once, cached) ...", flush=True)
    video = await asyncio.to_thread(long_video, video_seconds)
    pid = int((run_dir() / "pids" / "media-svc.pid").read_text().split()[0])
    async with httpx.AsyncClient(headers=await admin_headers(base_url=GATEWAY), timeout=600) as client:
        with MemoryWatch(pid) as memory:
            started = time.perf_counter()
            dataset_id, sample_id = await ready_video_sample(client, video)
            processed_in = time.perf_counter() - started
            path = f"/api/media/datasets/{dataset_id}/samples/{sample_id}"
            first = await frame_latencies(client, f"{MEDIA_SVC}{path}", [0.0])  # downloads the source once
            rng = random.Random(4)
            points = {
                "gateway": [round(rng.uniform(0, video_seconds - 0.1), 3) for _ in range(frames)],
                "media-svc": [round(rng.uniform(0, video_seconds - 0.1), 3) for _ in range(frames)],
            }
            print(f"frame at a time point, {video_seconds} s 1080p30 H.264 (keyframe every 2 s), {frames} time points:")
            print(f"  sample processed (probe, poster, timeline) in {processed_in:.1f} s after the put and sync")
            print(f"  first request (source copied to media-svc's local cache) {first[0] * 1000:.0f} ms")
            cached_p50: dict[str, float] = {}
            for name, base in (("media-svc", MEDIA_SVC), ("gateway", GATEWAY)):
                cold = percentiles(await frame_latencies(client, f"{base}{path}", points[name]))
                cached = percentiles(await frame_latencies(client, f"{base}{path}", points[name]))
                cached_p50[name] = cached[0]
                ok = "ok" if cold[1] < 150 and cached[1] < 10 else "BELOW TARGET"
                print(
                    f"  via {name:<9} cold p50 {cold[0]:6.1f} ms  p95 {cold[1]:6.1f} ms (target < 150) | "
                    f"cached p50 {cached[0]:5.1f} ms  p95 {cached[1]:5.1f} ms (target < 10): {ok}"
                )
            hop = cached_p50["gateway"] - cached_p50["media-svc"]
            print(f"  the gateway's hop (cached p50 through it less straight from media-svc): {hop:+.1f} ms")
            if extract_seconds <= 0:
                return
            times = [t / 2 for t in range(int(extract_seconds * 2))]
            started = time.perf_counter()
            answer = await client.post(f"{MEDIA_SVC}{path}/frames", json={"times": times})
            answer.raise_for_status()
            extraction = time.perf_counter() - started
        raw = await asyncio.to_thread(raw_decode_seconds, video, extract_seconds)
        arrays = await asyncio.to_thread(raw_decode_seconds, video, extract_seconds, every_s=0.5)
    print(f"extraction, {len(times)} time points (every 0.5 s) over the first {extract_seconds:.0f} s, one request:")
    zipped = len(answer.content) / MIB
    speed = extract_seconds / extraction
    print(f"  media-svc POST .../frames     {speed:6.1f} video-s/s ({extraction:.2f} s, {zipped:.0f} MiB)")
    print(f"  raw PyAV decode of the span   {extract_seconds / raw:6.1f} video-s/s ({raw:.2f} s)")
    print(
        f"  PyAV decode + RGB arrays of the same time points {extract_seconds / arrays:6.1f} video-s/s ({arrays:.2f} s)"
    )
    verdict = "ok" if raw / extraction >= 0.9 else "BELOW TARGET"
    print(f"  -> {raw / extraction:.0%} of raw decode (target >= 90 %): {verdict}")
    print(f"     ({arrays / extraction:.0%} of a PyAV script that also turns the same frames into RGB arrays)")
    peak = memory.peak_total / MIB
    verdict = "ok" if peak < 400 else "ABOVE TARGET"
    print(
        f"media-svc resident memory while working: peak {peak:.0f} MiB with its decoding processes "
        f"(service process alone {memory.peak_main / MIB:.0f} MiB; target < 400): {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--frames", type=int, default=40, help="random time points per measurement")
    parser.add_argument("--extract-seconds", type=float, default=60.0, help="0: no extraction")
    parser.add_argument("--video-seconds", type=int, default=600, help="length of the video of the frame figures")
    parser.add_argument("--skip-thumbnails", action="store_true")
    parser.add_argument("--jobs", type=int, default=0, help="tiny media jobs to drain (0: not measured)")
    args = parser.parse_args()
    if not args.skip_thumbnails:
        bench_thumbnails(args.images)
    asyncio.run(bench_frames(args.frames, args.extract_seconds, video_seconds=args.video_seconds))
    if args.jobs:
        asyncio.run(bench_jobs(args.jobs))


if __name__ == "__main__":
    main()
