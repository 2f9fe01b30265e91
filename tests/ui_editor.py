"""Helpers of the labeling-page browser tests: a dataset of generated clips or pictures, opening a sample, drawing and
labeling a box, waiting for a save, pausing, stepping to a frame, reading what the server holds."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Any

from labelstream_testing.gateway import drag_in_editor, mp4, png, synced_dataset, ui_gateway_url
from playwright.async_api import Page

from tests.storage import ensure_bucket, minio_client
from tests.support import admin_headers, gateway_client

FPS = 25


@dataclass(frozen=True)
class Platform:
    dataset_id: str
    samples: list[str]
    headers: dict[str, str]

    def annotation(self, sample: str) -> str:
        return f"/api/labeling/datasets/{self.dataset_id}/samples/{sample}/annotation"


async def labeled_dataset(kind: str, count: int, name: str) -> Platform:
    storage = minio_client()
    bucket = f"ui-safe-{name}"
    await asyncio.to_thread(ensure_bucket, storage, bucket)
    for i in range(count):
        data = mp4(seconds=4.0, fps=FPS) if kind == "video" else png(400, 300, (40 * i % 255, 90, 140))
        key = f"in/{kind}-{i}.{'mp4' if kind == 'video' else 'png'}"
        await asyncio.to_thread(storage.put_object, bucket, key, io.BytesIO(data), len(data))
    headers = await admin_headers(base_url=ui_gateway_url())
    async with gateway_client(headers, base_url=ui_gateway_url()) as api:
        labeling_type = "video_labeling" if kind == "video" else "object_detection"
        dataset_id = await synced_dataset(
            api, name=f"safety {name}", labeling_type=labeling_type, bucket=bucket, prefix="in/", samples=count
        )
        items = (await api.get(f"/api/datasets/{dataset_id}/samples", params={"limit": 50})).json()["items"]
    return Platform(dataset_id, sorted(s["id"] for s in items), headers)


async def server_shapes(p: Platform, sample: str) -> tuple[int, list[dict[str, Any]]]:
    async with gateway_client(await admin_headers(base_url=ui_gateway_url()), base_url=ui_gateway_url()) as api:
        body = (await api.get(p.annotation(sample))).json()
        return int(body["revision"]), list(body["shapes"])


async def open_video(page: Page, p: Platform, sample: str) -> None:
    await page.goto(f"/#/datasets/{p.dataset_id}/label/{sample}")
    await page.wait_for_selector(".video-stage[data-frame='0']")
    await page.wait_for_function("window.labelstreamEditor.width === 320")


async def open_image(page: Page, p: Platform, sample: str) -> None:
    await page.goto(f"/#/datasets/{p.dataset_id}/label/{sample}")
    await page.wait_for_function("window.labelstreamEditor && window.labelstreamEditor.width === 400")


async def box(
    page: Page, start: tuple[float, float], end: tuple[float, float], *, new: str = "", existing: str = ""
) -> None:
    """Draw a box and label it (a new label, or an existing one); returns once the label dialog has closed."""
    await drag_in_editor(page, start, end)
    if new:
        await page.fill("dialog input[name=new_label]", new)
    else:
        await page.select_option("dialog select[name=label]", existing)
    await page.click("dialog button:has-text('Add')")
    await page.wait_for_selector("dialog", state="detached")


async def saved(page: Page, revision: int) -> None:
    await page.wait_for_selector(f"[data-testid=status][data-state=saved]:has-text('revision {revision})')")


async def two_boxes_saved(page: Page, p: Platform, sample: str, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open an image, draw two boxes of a new label, save (revision 1); the server's shapes, left one first."""
    await open_image(page, p, sample)
    await box(page, (50, 50), (150, 120), new=label)
    await box(page, (200, 100), (300, 200), existing=label)
    await page.click("[data-testid=save]")
    await saved(page, 1)
    _, shapes = await server_shapes(p, sample)
    first, second = sorted(shapes, key=lambda s: s["points"][0][0])
    return first, second


async def shown_frame(page: Page) -> int:
    return int(await page.get_attribute(".video-stage", "data-frame") or "-1")


SHOWN_AT_PAUSE = """() => { const v = document.querySelector('video'); const n = Math.round(v.currentTime * 25);
  return v.paused && document.querySelector('.video-stage').dataset.frame === String(n); }"""


async def pause(page: Page, *, key: bool) -> None:
    """Pause the playing video (K or the button) and wait until the frame it paused at is on screen."""
    if key:
        await page.keyboard.press("k")
    else:
        await page.click("[data-testid=play]")
    await page.wait_for_selector("canvas.surface:visible")
    await page.wait_for_function(SHOWN_AT_PAUSE)


async def step_to(page: Page, frame: int) -> None:
    current = await shown_frame(page)
    button = "frame-forward" if frame > current else "frame-back"
    for _ in range(abs(frame - current)):
        await page.click(f"[data-testid={button}]")
    await page.wait_for_selector(f".video-stage[data-frame='{frame}']")
