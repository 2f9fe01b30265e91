"""Browser test harness (Playwright for Python driving Debian's Chromium): launch, log in, screenshots, and test
media made on the fly. Used by tests/e2e/test_ui_*.py."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

CHROMIUM = os.environ.get("LS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def ui_gateway_url() -> str:
    """The gateway the browser tests use: LS_UI_GATEWAY_URL, else LS_GATEWAY_URL, else the local one."""
    return os.environ.get("LS_UI_GATEWAY_URL") or os.environ.get("LS_GATEWAY_URL", "http://127.0.0.1:8000")


@dataclass
class _Running:
    loop: asyncio.AbstractEventLoop
    playwright: Playwright
    browser: Browser


_running: _Running | None = None


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """The headless Chromium of this event loop, launched on first use and kept (a launch costs about 1 s, and the
    suite has dozens of browser tests); each test works in contexts of its own (`logged_in`), and the contexts a test
    leaves open are closed when it ends. A browser that died is launched again. `close_chromium` ends it."""
    global _running
    loop = asyncio.get_running_loop()
    if _running is None or _running.loop is not loop or not _running.browser.is_connected():
        await close_chromium()
        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _running = _Running(loop, playwright, browser)
    browser = _running.browser
    try:
        yield browser
    finally:
        for context in browser.contexts:
            await context.close()


async def close_chromium() -> None:
    global _running
    running, _running = _running, None
    if running is not None and running.loop is asyncio.get_running_loop():
        with contextlib.suppress(Exception):  # already gone with its driver
            await running.browser.close()
        await running.playwright.stop()


def default_latency_ms() -> float:
    """Network latency every browser test emulates (LS_UI_LATENCY_MS, default none): the flake hunt sets it."""
    return float(os.environ.get("LS_UI_LATENCY_MS", "0") or 0)


async def emulate_latency(page: Page, latency_ms: float) -> None:
    """Add `latency_ms` to every request of `page` (Chrome DevTools Protocol), as on a slow network."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    conditions = {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1}
    await cdp.send("Network.emulateNetworkConditions", conditions)


@asynccontextmanager
async def logged_in(
    browser: Browser, username: str, password: str, *, latency_ms: float | None = None
) -> AsyncIterator[tuple[BrowserContext, Page]]:
    """A fresh browser context (its own cookies and storage) logged in through the login form; with `latency_ms`
    (default LS_UI_LATENCY_MS) every request of the page is delayed that long."""
    # bypass_csp: Playwright evaluates test expressions as strings, which the UI's policy (no eval) forbids
    context = await browser.new_context(
        base_url=ui_gateway_url(), viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(20_000)
    page = await context.new_page()
    latency = default_latency_ms() if latency_ms is None else latency_ms
    if latency:
        await emulate_latency(page, latency)
    try:
        await page.goto("/#/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", password)
        await page.click("button[type=submit]")
        await page.wait_for_selector("[data-testid=who]")
        yield context, page
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def editor_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) of the labeling page's canvas is on the screen."""
    sx, sy = await page.evaluate("([x, y]) => window.labelstreamEditor.toScreen([x, y])", [x, y])
    box = await page.locator("canvas.surface").bounding_box()
    assert box is not None
    return box["x"] + sx, box["y"] + sy


async def click_in_editor(page: Page, points: list[tuple[float, float]]) -> None:
    """Click image pixels one after the other (a polygon's vertices)."""
    for x, y in points:
        await page.mouse.click(*await editor_point(page, x, y))


async def drag_in_editor(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at image pixel `start`, move to `end`, release (draws a box, moves a shape)."""
    await page.mouse.move(*await editor_point(page, *start))
    await page.mouse.down()
    await page.mouse.move(*await editor_point(page, *end), steps=5)
    await page.mouse.up()


def png(width: int, height: int, color: tuple[int, int, int], *, text: str = "") -> bytes:
    """A test picture: a plain background with a few shapes to label."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.2, height * 0.2, width * 0.5, height * 0.6), fill=(240, 240, 240))
    draw.rectangle((width * 0.6, height * 0.5, width * 0.85, height * 0.85), fill=(30, 30, 30))
    if text:
        draw.text((10, 10), text, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def mp4(*, seconds: float = 2.0, fps: int = 25, width: int = 320, height: int = 240) -> bytes:
    """An H.264 MP4 whose frames differ (a moving square), made with PyAV."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(int(seconds * fps)):
            frame = np.full((height, width, 3), (20, 60, 120), dtype=np.uint8)
            x = (i * 4) % (width - 40)
            frame[100:140, x : x + 40] = (250, 200, 30)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


async def wait_for(check: Callable[[], Awaitable[bool]], *, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


async def synced_dataset(
    api: httpx.AsyncClient,
    *,
    name: str,
    labeling_type: str,
    bucket: str,
    prefix: str,
    samples: int,
    processed: bool = True,
    labeling: bool = True,
    labels: Sequence[str] = (),
) -> str:
    """Create a dataset on bucket/prefix through the API (with the label set `labels`), synchronize it and wait for
    `samples` samples, with their media processed (unless `processed` is false) and known to labeling-svc (unless
    `labeling` is false); returns the dataset id."""
    body: dict[str, object] = {
        "name": name,
        "labeling_type": labeling_type,
        "input_path": {"bucket": bucket, "prefix": prefix},
        "output_path": {"bucket": bucket, "prefix": f"{prefix}out/"},
    }
    if labels:
        body["labels"] = [
            {"name": label, "color": f"#{(i * 0x3C5A7) % 0xFFFFFF:06x}"} for i, label in enumerate(labels)
        ]
    created = await api.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    dataset_id = str(created.json()["id"])

    await start_sync(api, dataset_id)

    async def ready() -> bool:
        page = (await api.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 500})).json()
        items = page.get("items", [])
        return len(items) >= samples and (not processed or all(s["media_status"] != "pending" for s in items))

    await wait_for(ready, timeout=240, what=f"{samples} samples synced and processed")
    if labeling:
        await known_to_labeling(api, dataset_id)
    return dataset_id


async def start_sync(api: httpx.AsyncClient, dataset_id: str) -> None:
    """Start a sync run of the dataset (sync-svc accepts it once it has learned of the dataset)."""

    async def run_accepted() -> bool:
        return (await api.post(f"/api/sync/datasets/{dataset_id}/runs")).status_code == 202

    await wait_for(run_accepted, timeout=30, what="sync run accepted")


async def known_to_labeling(api: httpx.AsyncClient, dataset_id: str, *, timeout: float = 240) -> None:
    """Wait until labeling-svc knows every sample of the dataset (it learns them from DataAdded events)."""
    items = (await api.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 500})).json()["items"]

    async def known() -> bool:
        for sample in items:
            path = f"/api/labeling/datasets/{dataset_id}/samples/{sample['id']}/annotation"
            if (await api.get(path)).status_code != 200:
                return False
        return True

    await wait_for(known, timeout=timeout, what="labeling-svc knows the samples")
