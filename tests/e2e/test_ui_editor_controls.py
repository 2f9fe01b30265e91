"""Issue 10, the labeling page's controls (video seed and segmentation seed's toolbar) in headless Chromium: the
video frame lives in the URL (reload and shared links keep it), the frame canvas is hidden during playback, full
screen holds Save, the status and the strip, Enter confirms the label dialog, a dragged shape stays inside the
image, show/hide and undo/redo show their state; every other toolbar button (zoom in/out, delete all, reset shape), the
hard-example mark, and editing a shape's label or renaming a label everywhere (segmentation seed, "Modifying a
Label")."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from labelstream_testing.gateway import chromium, drag_in_editor, logged_in, ui_gateway_url

from tests.support import GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD, gateway_client
from tests.ui_editor import Platform, box, labeled_dataset, open_image, open_video, saved, server_shapes, step_to

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def video() -> AsyncIterator[Platform]:
    yield await labeled_dataset("video", 1, f"cv-{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="module")
async def image() -> AsyncIterator[Platform]:
    yield await labeled_dataset("image", 2, f"ci-{uuid.uuid4().hex[:10]}")


async def test_video_frame_in_the_url_playback_view_full_screen_and_enter(video: Platform) -> None:
    sample = video.samples[0]
    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        await open_video(page, video, sample)
        await step_to(page, 12)
        assert "frame=12" in page.url
        await page.reload()
        await page.wait_for_selector(".video-stage[data-frame='12']")
        # a link with a frame opens there (a shared link)
        await page.goto(f"/#/datasets/{video.dataset_id}/label/{sample}?frame=30")
        await page.wait_for_selector(".video-stage[data-frame='30']")

        # during playback the video is shown and the frame canvas is hidden (it does not cover the panel)
        await page.click("[data-testid=play]")
        await page.wait_for_selector("[data-testid=play][aria-pressed=true]")
        assert await page.is_hidden("canvas.surface")
        assert await page.is_visible("video")
        assert await page.is_visible("aside.panel")
        await page.click("[data-testid=play]")
        await page.wait_for_selector("canvas.surface:visible")
        assert await page.is_hidden("video")

        # Enter confirms the label dialog (new label typed, then an existing one picked)
        await drag_in_editor(page, (40, 60), (160, 180))
        await page.fill("dialog input[name=new_label]", "tram")
        await page.press("dialog input[name=new_label]", "Enter")
        await page.wait_for_selector("dialog", state="detached")
        await page.wait_for_function("window.labelstreamEditor.shapes.length === 1")
        await drag_in_editor(page, (170, 60), (260, 180))
        await page.focus("dialog select[name=label]")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("dialog", state="detached")
        await page.wait_for_function("window.labelstreamEditor.shapes.length === 2")

        # full screen holds Save, the status and the strip, and the picture is fitted again
        await page.click("[data-testid=full-screen]")
        await page.wait_for_function("document.fullscreenElement !== null")
        for part in ("save", "status", "strip", "time-points"):
            inside = f"!!document.fullscreenElement.querySelector('[data-testid={part}]')"
            assert await page.evaluate(inside), part
        await page.keyboard.press("f")
        await page.wait_for_function("document.fullscreenElement === null")
        await page.click("[data-testid=save]")
        await saved(page, 1)
    _, shapes = await server_shapes(video, sample)
    assert sorted(s["label"] for s in shapes) == ["tram", "tram"]


async def test_a_dragged_shape_stays_inside_and_buttons_show_their_state(image: Platform) -> None:
    sample = image.samples[0]
    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        await open_image(page, image, sample)
        assert await page.is_disabled("[data-testid=undo]")
        assert await page.is_disabled("[data-testid=redo]")
        await box(page, (50, 50), (150, 120), new="crate")
        await page.wait_for_function("window.labelstreamEditor.shapes.length === 1")
        assert await page.is_enabled("[data-testid=undo]")

        # drag the box far past the right and bottom edges: it stops at the image's edge
        await page.click("[data-testid=tool-drag]")
        assert await page.get_attribute("[data-testid=tool-drag]", "aria-pressed") == "true"
        await drag_in_editor(page, (100, 80), (480, 320))
        moved = await page.evaluate("window.labelstreamEditor.shapes[0].points")
        assert moved[1] == [400, 300], moved  # the far corner stopped at the image's corner
        assert abs(moved[0][0] - 300) < 1 and abs(moved[0][1] - 230) < 1, moved  # the size kept

        await page.click("[data-testid=undo]")
        assert await page.is_enabled("[data-testid=redo]")
        await page.click("[data-testid=redo]")
        assert await page.evaluate("window.labelstreamEditor.shapes[0].points") == moved

        assert await page.get_attribute("[data-testid=toggle-shapes]", "aria-pressed") == "false"
        await page.click("[data-testid=toggle-shapes]")
        assert await page.get_attribute("[data-testid=toggle-shapes]", "aria-pressed") == "true"
        await page.keyboard.press("h")
        assert await page.get_attribute("[data-testid=toggle-shapes]", "aria-pressed") == "false"
        await page.click("[data-testid=save]")
        await saved(page, 1)


async def test_zoom_delete_all_reset_hard_example_and_label_edits(image: Platform) -> None:
    sample = image.samples[1]
    async with chromium() as browser, logged_in(browser, GATEWAY_ADMIN, GATEWAY_ADMIN_PASSWORD) as (_c, page):
        await open_image(page, image, sample)
        scale = float(await page.evaluate("window.labelstreamEditor.scale"))
        await page.click("[data-testid=zoom-in]")
        assert abs(await page.evaluate("window.labelstreamEditor.scale") - scale * 1.25) < 1e-6
        await page.click("[data-testid=zoom-out]")
        assert abs(await page.evaluate("window.labelstreamEditor.scale") - scale) < 1e-6
        await box(page, (40, 40), (120, 100), new="pallet")
        await box(page, (200, 150), (300, 250), existing="pallet")
        await page.wait_for_function("window.labelstreamEditor.shapes.length === 2")
        await page.click("[data-testid=save]")
        await saved(page, 1)

        # reset shape: drag one, then put it back where the server has it (nothing left to save)
        # the box at the top left (shapes may be listed in either order: the first one waited for its new label)
        top_left = "window.labelstreamEditor.shapes.find((s) => s.points[0][0] < 150).points"
        original = await page.evaluate(top_left)
        await page.click("[data-testid=tool-drag]")
        await drag_in_editor(page, (80, 70), (110, 90))
        await page.wait_for_selector("[data-testid=status][data-state=dirty]")
        assert await page.evaluate(top_left) != original
        await page.click("[data-testid=reset-shape]")
        assert await page.evaluate(top_left) == original
        await saved(page, 1)

        # delete all shapes on the image, then undo it
        await page.click("[data-testid=delete-all]")
        await page.wait_for_function("window.labelstreamEditor.shapes.length === 0")
        assert await page.get_attribute("[data-testid=status]", "data-state") == "dirty"
        await page.click("[data-testid=undo]")
        await page.wait_for_function("window.labelstreamEditor.shapes.length === 2")
        await saved(page, 1)

        # the hard-example mark is a write of its own; saves build on the revision it made
        await page.check("[data-testid=hard-example]")
        await saved(page, 2)
        # edit one shape's label (File Labels, the edit icon), then save
        await page.click("[data-testid=file-labels] li:first-child button[aria-label='Edit label pallet']")
        await page.fill("dialog input[name=new_label]", "crate")
        await page.click("dialog button:has-text('Add')")
        await page.wait_for_selector("[data-testid=status][data-state=dirty]")
        await page.click("[data-testid=save]")
        await saved(page, 3)
        # rename a label everywhere (its chip's edit icon)
        await page.click("[data-testid=file-label-counts] button[aria-label='Rename label pallet']")
        await page.fill("dialog input[name=rename]", "skid")
        await page.click("dialog button:has-text('Save')")
        await page.wait_for_selector("[data-testid=file-labels] li[data-label=skid]")
        await page.wait_for_selector("[data-testid=status][data-state=saved]")
    revision, shapes = await server_shapes(image, sample)
    assert sorted(s["label"] for s in shapes) == ["crate", "skid"], (revision, shapes)
    async with gateway_client(image.headers, base_url=ui_gateway_url()) as api:
        assert (await api.get(image.annotation(sample))).json()["hard_example"] is True
