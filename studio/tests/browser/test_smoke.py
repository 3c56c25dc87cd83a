"""The browser-test groundwork end to end: log in through the real form in Chromium and see the
landing page's tier and allowances; anonymous visitors are sent to log in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from billing import services
from billing.models import Meter

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_it_shows_the_tier_and_what_is_left_after_logging_in(page, live_server, make_user, log_in, shoot):
    alice = make_user(username="alice", tier="JIVE")
    services.reserve(alice, "video_seconds", 8, "v1")
    services.commit("v1", operation="generate_video", model="veo", price_class="video")

    log_in(page, alice)

    expect(page.get_by_role("heading", name="Media Creator")).to_be_visible()
    badge = page.locator(".tier .badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("JIVE")
    expect(page.locator(".tier")).to_contain_text("R49.00 a month")

    images = page.locator('tr[data-meter="images"]')
    expect(images.get_by_role("rowheader")).to_have_text("Images")
    expect(images.locator("td.left")).to_have_text("50")
    video = page.locator('tr[data-meter="video_seconds"]')
    expect(video).to_contain_text("8 of 300")
    expect(video.locator("td.left")).to_have_text("292")
    expect(page.locator("table.allowances tbody tr")).to_have_count(len(Meter))  # one row per meter

    desktop, phone = shoot(page, "landing")
    assert desktop.stat().st_size > 0 and phone.stat().st_size > 0
    assert page.viewport_size == {"width": 1280, "height": 800}


def test_it_sends_an_anonymous_visitor_to_log_in(page, live_server):
    page.goto(live_server.url + "/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
