"""Issue 6's round trip in Chromium with a real worker and the Veo poller: submit a video, send it
to the background, go to another page, see the toast when Veo is done, then play and seek."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.models import MediaJob

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RENDER_SECONDS = 10  # the emulated Veo render: long enough to leave the page while it runs


def test_it_minimizes_a_video_to_the_tray_and_toasts_on_another_page(
    page, live_server, make_user, log_in, worker, providers_env, shoot, monkeypatch
):
    alice = make_user(username="alice", tier="JIGGA")
    monkeypatch.setattr(providers_env.state, "operation_delay", RENDER_SECONDS)  # undone after
    log_in(page, alice)
    page.goto(live_server.url + "/studio/videos/new/")
    page.get_by_label("Prompt", exact=True).fill("Clouds pouring over Table Mountain at dusk")
    page.get_by_text("4 s", exact=True).click()
    page.get_by_role("button", name="Generate video").click()
    page.wait_for_url(re.compile(r"/studio/videos/[0-9a-f-]{36}/$"))
    job = MediaJob.objects.get(owner=alice)
    tray = page.locator("#jobs-tray")
    expect(tray.locator("summary")).to_have_text("Jobs (1)")

    page.get_by_role("link", name="Run in background").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(tray.locator("summary")).to_have_text("Jobs (1)")
    tray.locator("summary").click()
    expect(tray.get_by_role("link", name="Generate video")).to_have_attribute(
        "href", f"/studio/videos/{job.id}/"
    )
    shoot(page, "video-background-tray")

    page.goto(live_server.url + "/studio/images/")  # another page, while Veo renders
    assert MediaJob.objects.get(pk=job.pk).state in MediaJob.ACTIVE_STATES, "finished before we left"
    toast = page.locator(".toast")
    expect(toast).to_contain_text("Your video is ready", timeout=RENDER_SECONDS * 1000 + 20_000)
    shoot(page, "video-background-toast")

    toast.get_by_role("link", name="Watch").click()
    expect(page).to_have_url(f"{live_server.url}/studio/videos/{job.id}/")
    video = page.locator("video")
    expect(video).to_be_visible()
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 3", arg=video.element_handle())
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.2", arg=video.element_handle())
    landed = video.evaluate(
        """v => new Promise(done => {
            v.addEventListener("seeked", () => done(v.currentTime), { once: true });
            v.pause();
            v.currentTime = 2.5;
        })"""
    )
    assert abs(landed - 2.5) < 0.3
