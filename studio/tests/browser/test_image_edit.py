"""The Edit tab in Chromium: painting a mask with the mouse on a picture shown smaller than its
pixel size, undo, submitting to a real worker, and the exact mask the server stored; the outpaint
controls; the FREE demo and its upgrade prompt."""

from __future__ import annotations

import math
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from studio import assets
from studio.models import MediaJob
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

IMAGE_SIZE = (1200, 800)
BRUSH = 40  # diameter in image pixels


def _distance(px: float, py: float, path: list[tuple[float, float]]) -> float:
    """Distance from a point to a polyline."""
    best = math.inf
    for (ax, ay), (bx, by) in zip(path, path[1:], strict=False):
        dx, dy = bx - ax, by - ay
        t = (
            0.0
            if dx == dy == 0
            else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        )
        best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
    return best


def _drag(page, points: list[tuple[int, int]]) -> None:
    """Press, move along `points` in steps of whole CSS pixels, release."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        page.mouse.move(bx, by, steps=max(abs(bx - ax), abs(by - ay)) // 10)
    page.mouse.up()


def _open_canvas(page, live_server, asset):
    page.goto(f"{live_server.url}/studio/images/edit/{asset.id}/")
    expect(page.locator("#mask-editor")).to_have_attribute("data-ready", "true")
    canvas = page.locator("#mask-editor canvas")
    canvas.scroll_into_view_if_needed()
    return canvas


def test_it_paints_a_mask_undoes_a_stroke_and_edits_with_exactly_that_mask(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    asset = assets.save_upload(alice, make_photo(IMAGE_SIZE))
    log_in(page, alice)
    page.goto(live_server.url + "/studio/images/edit/")
    shoot(page, "image-edit-pick")
    page.locator(f'a[href="/studio/images/edit/{asset.id}/"]').click()
    expect(page.locator("#mask-editor")).to_have_attribute("data-ready", "true")

    canvas = page.locator("#mask-editor canvas")
    canvas.scroll_into_view_if_needed()
    page.get_by_label("Size").fill(str(BRUSH))
    expect(page.locator("#brush-size-out")).to_have_text(f"{BRUSH} px")
    box = canvas.bounding_box()
    scale = IMAGE_SIZE[0] / box["width"]
    assert abs(scale - 1) > 0.2, f"the picture should be shown scaled, not at {box['width']} px"
    left, top = math.ceil(box["x"]), math.ceil(box["y"])
    first = [(left + 60, top + 60), (left + 260, top + 60), (left + 260, top + 200)]
    second = [(left + 60, top + 300), (left + 160, top + 300)]
    _drag(page, first)
    _drag(page, second)
    expect(page.locator("#mask-status")).to_contain_text("Painted:")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("button", name="Redo")).to_be_enabled()
    shoot(page, "image-edit-canvas")

    page.get_by_label("Prompt", exact=True).fill("A sunbird on a branch")
    expect(page.locator("#estimate")).to_contain_text("R0.74")
    page.get_by_role("button", name="Apply").click()
    card = page.locator("#edit-results article.job").first
    expect(card).to_contain_text("A sunbird on a branch")
    job = MediaJob.objects.get(owner=alice)
    wait_for_job(job.id)
    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    image.scroll_into_view_if_needed()  # lazy-loaded
    image.evaluate("img => img.decode()")
    assert_loaded(page, image)
    shoot(page, "image-edit-result")
    job.refresh_from_db()
    assert job.state == MediaJob.State.SUCCEEDED and job.params["mode"] == "insert"

    # The stored mask: the image's size, and exactly the first stroke (in image pixels).
    path = [((x - box["x"]) * scale, (y - box["y"]) * IMAGE_SIZE[1] / box["height"]) for x, y in first]
    undone = [((x - box["x"]) * scale, (y - box["y"]) * IMAGE_SIZE[1] / box["height"]) for x, y in second]
    radius = BRUSH / 2
    with job.mask.open("rb") as f, Image.open(f) as mask:
        assert mask.size == IMAGE_SIZE
        pixels = mask.load()
        width, height = mask.size
        stray, missing = [], []
        for y in range(height):
            for x in range(width):
                d = _distance(x + 0.5, y + 0.5, path)
                if d > radius + 1 and pixels[x, y] != 0:
                    stray.append((x, y))
                elif d < radius - 1 and pixels[x, y] != 255:
                    missing.append((x, y))
    assert not stray, f"{len(stray)} painted pixels outside the stroke, e.g. {stray[:5]}"
    assert not missing, f"{len(missing)} unpainted pixels inside the stroke, e.g. {missing[:5]}"
    cx, cy = undone[0]
    assert pixels[int(cx) + 30, int(cy)] == 0  # nothing of the undone stroke


def test_it_shows_the_outpaint_controls_with_a_preview(
    page, live_server, make_user, log_in, settings, tmp_path, shoot
):
    settings.MEDIA_ROOT = tmp_path / "media"
    alice = make_user(username="alice", tier="JIGGA")
    asset = assets.save_upload(alice, make_photo((640, 480)))
    log_in(page, alice)
    _open_canvas(page, live_server, asset)
    page.locator("label.mode", has_text="Outpaint").click()
    expect(page.locator("#mask-editor")).to_be_hidden()
    expect(page.locator("#outpaint-preview")).to_be_visible()
    page.get_by_label("Left").fill("200")
    page.get_by_label("Bottom").fill("120")
    expect(page.locator("#op-size")).to_contain_text("New size: 840 × 600 px")
    frame = page.locator(".op-frame").bounding_box()
    assert frame["width"] / frame["height"] == pytest.approx(840 / 600, rel=0.02)
    shoot(page, "image-edit-outpaint")
    page.get_by_text("To an aspect ratio").click()
    page.locator("label.choice", has_text="16:9").click()
    expect(page.locator("#op-size")).to_contain_text("New size: 853 × 480 px")
    # The estimate follows the number of variations.
    page.locator("label.choice", has_text=re.compile(r"^3$")).click()
    expect(page.locator("#estimate")).to_contain_text("R2.22")
    expect(page.locator("#estimate")).to_contain_text("97 edits left this month")


def test_it_lets_a_free_user_paint_the_demo_and_shows_the_upgrade_prompt_on_apply(
    page, live_server, make_user, log_in, shoot
):
    bongi = make_user(username="bongi", tier="FREE")
    log_in(page, bongi)
    page.goto(live_server.url + "/studio/images/edit/")
    expect(page.locator("#mask-editor")).to_have_attribute("data-ready", "true")
    expect(page.locator("#mask-status")).to_contain_text("Prepared mask loaded")
    expect(page.get_by_role("img", name="The sample with a red and yellow hot-air balloon")).to_be_visible()

    def alpha(x: int, y: int) -> int:
        return page.locator("#mask-editor canvas").evaluate(
            "(c, [x, y]) => c.getContext('2d').getImageData(x, y, 1, 1).data[3]", [x, y]
        )

    assert alpha(230, 158) == 255  # inside the prepared mask (static/studio/demo/edit-mask.png)
    assert alpha(600, 400) == 0
    shoot(page, "image-edit-demo")

    # Painting works: a stroke over the bay, then the keyboard's undo and redo.
    canvas = page.locator("#mask-editor canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    to_screen = (box["width"] / 768, box["height"] / 512)
    start = (round(box["x"] + 560 * to_screen[0]), round(box["y"] + 400 * to_screen[1]))
    _drag(page, [start, (start[0] + 40, start[1])])
    assert alpha(600, 400) == 255
    page.keyboard.press("Control+z")
    assert alpha(600, 400) == 0
    page.keyboard.press("Control+Shift+z")
    assert alpha(600, 400) == 255
    page.keyboard.press("e")
    expect(page.get_by_role("button", name="Eraser")).to_have_attribute("aria-pressed", "true")

    # A finger erases too (touch events become pointer events; the page does not scroll).
    cdp = page.context.new_cdp_session(page)
    for kind, points in (
        ("touchStart", [start]),
        ("touchMove", [(start[0] + 40, start[1])]),
        ("touchEnd", []),
    ):
        cdp.send(
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]}
        )
    assert alpha(600, 400) == 0
    page.get_by_role("button", name="Mask only").click()
    expect(page.locator(".stage")).to_have_attribute("data-view", "mask")

    page.get_by_role("button", name="Apply").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Edit your own images with:")
    expect(alert).to_contain_text("JIVE")
    expect(alert).to_contain_text("R49.00 a month: 20 edits a month")
    shoot(page, "image-edit-upgrade")
    assert not MediaJob.objects.exists()
