"""The gallery and the viewer in Chromium: htmx loads the next page in place as the user scrolls,
a video shows its poster, the viewer opens, "Copy prompt" copies and says so, ← / → move."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio import assets, jobs
from studio.models import MediaAsset, MediaJob
from studio.schemas import GenerateImage, GenerateVideo
from studio.tests.browser.loading import assert_loaded
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PROMPT = "Table Mountain under a tablecloth of cloud"


def test_it_pages_through_the_gallery_and_opens_the_viewer(
    page, live_server, make_user, log_in, studio_env, shoot, settings
):
    settings.UPLOADS_PER_MINUTE = 27  # test data, not one person's burst
    alice = make_user(username="alice", tier="JIGGA")
    for i in range(27):
        assets.save_upload(alice, make_photo((60 + i, 40)))
    # Tasks run inline (studio_env): a real video with its poster, and a generated image on top.
    video_job = jobs.submit_job(
        alice, "generate_video", GenerateVideo(prompt="A dhow off Zanzibar", duration_seconds=4)
    )
    assert MediaJob.objects.get(pk=video_job.pk).state == MediaJob.State.SUCCEEDED
    job = jobs.submit_job(alice, "generate_image", GenerateImage(prompt=PROMPT, count=2))
    assert MediaJob.objects.get(pk=job.pk).state == MediaJob.State.SUCCEEDED
    newest = MediaAsset.objects.filter(source_job=job).order_by("-created_at", "-id").first()
    log_in(page, alice)

    htmx_pages: list[str] = []
    page.on(
        "request",
        lambda r: htmx_pages.append(r.url) if r.headers.get("hx-request") and "before=" in r.url else None,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/studio/images/")
    tiles = page.locator("#gallery li.tile")
    expect(tiles).to_have_count(24)
    video = page.locator("li.tile-video")
    expect(video).to_contain_text("Video")
    expect(video).to_contain_text("0:04")
    expect(video.get_by_role("link")).to_have_attribute("href", f"/studio/videos/{video_job.id}/")
    page.locator(".gallery-more a").scroll_into_view_if_needed()
    expect(tiles).to_have_count(30)  # 27 uploads, a video and two images
    expect(page.locator(".gallery-more")).to_have_count(0)
    assert page.url == live_server.url + "/studio/images/" and len(htmx_pages) == 1
    assert_loaded(page, tiles.last.get_by_role("img"))
    page.set_viewport_size({"width": 1280, "height": 800})
    shoot(page, "image-gallery")

    tiles.first.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/studio/images/{newest.id}/")
    expect(page.get_by_role("heading", name="AI actions")).to_be_visible()
    expect(page.locator(".synthid")).to_contain_text("AI-made")
    full = page.locator(".stage img")
    expect(full).to_have_attribute("alt", PROMPT)
    assert_loaded(page, full)
    shoot(page, "image-viewer")

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("button", name="Copy prompt").click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == PROMPT

    page.keyboard.press("ArrowRight")  # the older neighbour: the job's other image
    other = MediaAsset.objects.filter(source_job=job).exclude(pk=newest.pk).get()
    expect(page).to_have_url(f"{live_server.url}/studio/images/{other.id}/")
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(f"{live_server.url}/studio/images/{newest.id}/")
