"""An edit's result on the canvas: when the edit finishes in front of the user it shows over the
picture with Before / After, the result card says which mode made it, and any result of the page
goes back on the canvas with "On the canvas"."""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import expect

from studio import assets
from studio.models import MediaJob
from studio.tests.browser.a11y import assert_accessible
from studio.tests.cluster import wait_for_job
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_edit_shows_on_the_canvas_with_before_and_after(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    asset = assets.save_upload(alice, make_photo((800, 600)))
    log_in(page, alice)
    page.goto(f"{live_server.url}/studio/images/edit/{asset.id}/")
    expect(page.locator("#mask-editor")).to_have_attribute("data-ready", "true")
    canvas = page.locator("#mask-editor canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    left, top = math.ceil(box["x"]), math.ceil(box["y"])
    page.mouse.move(left + 60, top + 60)
    page.mouse.down()
    page.mouse.move(left + 200, top + 120, steps=14)
    page.mouse.up()
    page.get_by_label("Prompt", exact=True).fill("A hot-air balloon")
    page.get_by_role("button", name="Apply").click()

    card = page.locator("#edit-results article.job").first
    expect(card).to_contain_text("Mode: Insert")
    wait_for_job(MediaJob.objects.get(owner=alice).id)

    compare = page.locator("#compare")
    expect(compare).to_be_visible(timeout=15_000)
    expect(page.locator("#mask-editor")).to_be_hidden()
    after = compare.locator("img.after")
    expect(after).to_have_attribute(
        "src", card.locator("[data-compare-src]").first.get_attribute("data-compare-src")
    )
    expect(compare).to_contain_text("Insert: the result, on your image")
    before = compare.get_by_role("button", name="Before")
    expect(before).to_be_focused()
    expect(after).to_be_visible()
    before.click()
    expect(before).to_have_attribute("aria-pressed", "true")
    expect(after).to_be_hidden()
    compare.get_by_role("button", name="After").click()
    expect(after).to_be_visible()
    assert_accessible(page, "the edit's result on the canvas")
    shoot(page, "image-edit-before-after")

    compare.get_by_role("button", name="Back to the mask").click()
    expect(compare).to_be_hidden()
    expect(page.locator("#mask-editor")).to_be_visible()
    card.get_by_role("button", name="On the canvas").click()
    expect(compare).to_be_visible()
