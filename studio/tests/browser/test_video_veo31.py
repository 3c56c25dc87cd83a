"""Veo 3.1 in Chromium with a real worker on the emulator: a video from reference images, and
extending a finished video; every new control's tier gate and its cost shown before submit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio import assets
from studio.models import MediaJob
from studio.tests.cluster import wait_for_job
from studio.tests.factories import make_finished_video, make_png

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
JOB_URL = re.compile(r"/studio/videos/[0-9a-f-]{36}/$")


def finished_video(owner, seconds: int) -> MediaJob:
    return make_finished_video(owner, seconds).source_job


def choose_model(page, model: str) -> None:
    page.locator(f'label.choice:has(input[name="model"][value="{model}"])').click()


def test_it_makes_a_video_from_reference_images_with_each_gate_and_price_shown(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    mine = [
        assets.save_upload(alice, make_png((320, 180), colour)) for colour in ((200, 60, 40), (40, 90, 200))
    ]
    log_in(page, alice)
    page.goto(live_server.url + "/studio/videos/new/")
    estimate = page.locator("#estimate")

    # 4K is JIGGA's: shown, disabled, with the plan and its price a second.
    four_k = page.locator('input[name="resolution"][value="4k"]')
    expect(four_k).to_be_disabled()
    expect(page.get_by_text("JIGGA plan, Veo 3.1 only: R7.40 a second")).to_be_visible()
    # Each model's price a second at the chosen resolution, before submit.
    expect(estimate).to_contain_text(
        "A second at 720p: Veo 3.1 R3.70 · Veo 3.1 Fast R1.48 · Veo 3.1 Lite R0.56."
    )

    # The seed hint follows the prompt-enhancement box, live.
    page.get_by_text("More options").click()
    expect(page.locator("#seed-hint")).to_contain_text("Veo rewrites your prompt")
    page.get_by_label("Let Veo improve my prompt").uncheck()
    expect(page.locator("#seed-hint")).to_contain_text("Empty for a random seed")

    # Lite: the audio hint states its real difference; it takes no reference images.
    choose_model(page, "lite")
    expect(page.locator("#audio-hint")).to_contain_text(
        "With Veo 3.1 Lite at 720p, audio adds R0.37 a second"
    )
    page.get_by_text("Reference images (optional)").click()
    for asset in mine:
        page.locator(f'label:has(input[name="reference_image_ids"][value="{asset.id}"])').click()
    expect(estimate).to_contain_text("Veo 3.1 Lite cannot use reference images")

    choose_model(page, "fast")
    expect(estimate).to_contain_text("R11.84")  # 8 s of Fast at 720p, $0.08 a second
    page.get_by_label("Prompt", exact=True).fill("the red and the blue kettle on a stoep at sunset")
    shoot(page, "video-references-form")
    page.get_by_role("button", name="Generate video").click()
    page.wait_for_url(JOB_URL)

    job = wait_for_job(MediaJob.objects.get(owner=alice).id, timeout=90)
    assert job.state == "succeeded", job.error_detail
    assert sorted(job.params["reference_image_ids"]) == sorted(str(a.id) for a in mine)
    assert job.params["fast"] is True
    assert job.params["enhance_prompt"] is False and job.units == 8
    expect(page.locator("video")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("img", name="Reference image 1")).to_be_visible()
    expect(page.locator(".video-settings")).to_contain_text("Veo 3.1 Fast")
    expect(page.locator(".cost")).to_contain_text("R11.84")
    shoot(page, "video-references-player")


def test_it_extends_a_finished_video_and_refuses_one_too_long(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    source = finished_video(alice, 4)
    too_long = finished_video(alice, 31)
    log_in(page, alice)

    page.goto(live_server.url + f"/studio/videos/{too_long.id}/")
    expect(page.locator("figcaption")).to_contain_text("too long to extend")
    expect(page.get_by_role("link", name="Extend by 7 s")).to_have_count(0)

    page.goto(live_server.url + f"/studio/videos/{source.id}/")
    page.get_by_role("link", name="Extend by 7 s").click()
    page.wait_for_url(re.compile(r"/studio/videos/extend/[0-9a-f-]{36}/$"))
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("R25.90")  # 7 s of Veo 3.1 at 720p, $0.20 a second
    expect(estimate).to_contain_text("7 s of video without audio")
    expect(page.locator('input[name="resolution"][value="4k"]')).to_be_disabled()
    choose_model(page, "lite")
    expect(estimate).to_contain_text("R3.89")  # 7 s of Lite, $0.03 a second
    page.get_by_label("Generate audio").check()
    expect(estimate).to_contain_text("R6.48")  # with audio, $0.05 a second
    expect(estimate).to_contain_text("7 s of video with audio")
    page.get_by_label("Prompt", exact=True).fill("the tide comes in over the rocks")
    shoot(page, "video-extend-form")
    page.get_by_role("button", name="Extend video").click()
    page.wait_for_url(JOB_URL)

    job = wait_for_job(MediaJob.objects.get(owner=alice, operation="extend_video").id, timeout=90)
    assert job.state == "succeeded", job.error_detail
    assert job.units == 7 and job.model == "veo-3.1-lite-generate-001"
    expect(page.locator("video")).to_be_visible(timeout=30_000)
    (extended,) = job.assets.all()
    assert 10.5 < extended.duration_seconds < 11.5 and extended.has_audio
    expect(page.locator(".video-settings")).to_contain_text("7 s more than 4 s")
    expect(page.get_by_role("link", name="The video it extends")).to_be_visible()
    shoot(page, "video-extend-player")

    page.goto(live_server.url + f"/studio/videos/extend/{too_long.assets.get().id}/")
    expect(page.locator("#too-long")).to_contain_text("Veo extends videos of up to 30 s")
    expect(page.get_by_role("button", name="Extend video")).to_be_disabled()
