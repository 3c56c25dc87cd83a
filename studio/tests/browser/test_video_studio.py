"""Video Studio in Chromium, with a real worker and the Veo poller on the emulator: the form,
a validation error, progress, the player (play, pause, seek over HTTP Range), the stored files'
audio tracks, a failure, and the FREE tier's sample gallery."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.models import MediaAsset, MediaJob
from studio.tests import sample_clips as clips
from studio.tests.cluster import wait_for_job
from studio.tests.factories import make_png
from studio.tests.media_probe import kinds

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
rendered_samples, sample_clips = clips.rendered_samples, clips.sample_clips
JOB_URL = re.compile(r"/studio/videos/[0-9a-f-]{36}/$")


def stored_file(job: MediaJob):
    (asset,) = job.assets.all()
    return asset.file.path


def test_it_makes_a_video_then_plays_and_seeks_it(
    page, live_server, make_user, log_in, worker, shoot, providers_env
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    media: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            media.append((r.url, r.status, r.request.headers.get("range", "")))
            if "/media/a/" in r.url
            else None
        ),
    )
    page.goto(live_server.url + "/studio/videos/new/")
    expect(page.locator("#estimate")).to_contain_text("R29.60")  # 8 s without audio
    shoot(page, "video-form")

    # Neither a prompt nor a first frame: the form comes back with the error, nothing is made.
    page.get_by_role("button", name="Generate video").click()
    expect(page.locator("#form-errors")).to_contain_text("A video needs a prompt or a first frame.")
    shoot(page, "video-form-error")
    assert not MediaJob.objects.exists()

    page.get_by_label("Prompt", exact=True).fill("Waves rolling in at Muizenberg, surfers paddling out")
    page.get_by_text("4 s", exact=True).click()
    page.get_by_label("Generate audio").check()
    expect(page.locator("#estimate")).to_contain_text("R29.60")  # 4 s with audio, twice the rate
    expect(page.locator("#estimate")).to_contain_text("4 s of video with audio")

    # Veo takes its time: hold the emulated render long enough to see the progress state.
    delay = providers_env.state.operation_delay
    providers_env.state.operation_delay = 8
    try:
        page.get_by_role("button", name="Generate video").click()
        page.wait_for_url(JOB_URL)
        job = MediaJob.objects.get(owner=alice)
        wait_for_job(job.id, states=("waiting",), timeout=30)
    finally:
        providers_env.state.operation_delay = delay
    progress = page.locator("#video-progress")
    expect(progress).to_contain_text("Veo is rendering your video", timeout=8_000)
    expect(progress).to_contain_text("Elapsed")
    shoot(page, "video-progress")

    # The page swaps the player in by itself when the poll finds the job done.
    video = page.locator("video")
    expect(video).to_be_visible(timeout=30_000)
    assert wait_for_job(job.id).state == "succeeded"
    expect(page.locator("#video-progress")).to_have_count(0)
    assert page.url.endswith(f"/studio/videos/{job.id}/")
    assert video.get_attribute("poster")
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 3", arg=video.element_handle())

    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle())
    assert video.evaluate("v => { v.pause(); return v.paused; }")
    landed = video.evaluate(
        """v => new Promise(done => {
            v.addEventListener("seeked", () => done(v.currentTime), { once: true });
            v.currentTime = 3.2;
        })"""
    )
    assert abs(landed - 3.2) < 0.3
    assert any(status == 206 and rng for url, status, rng in media if "/file" in url), media
    shoot(page, "video-player")

    download = page.get_by_role("link", name="Download")
    answer = page.request.get(live_server.url + download.get_attribute("href"))
    assert answer.status == 200 and "attachment" in answer.headers["content-disposition"]
    assert kinds(stored_file(job)) == ["video", "audio"]

    # The same settings again without audio: the stored file has no audio track.
    page.get_by_role("link", name="Make another with these settings").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        "Waves rolling in at Muizenberg, surfers paddling out"
    )
    page.get_by_label("Generate audio").uncheck()
    expect(page.locator("#estimate")).to_contain_text("R14.80")
    page.get_by_role("button", name="Generate video").click()
    page.wait_for_url(JOB_URL)
    silent = wait_for_job(MediaJob.objects.exclude(pk=job.pk).get().id)
    expect(page.locator("video")).to_be_visible(timeout=15_000)
    expect(page.locator("figcaption")).to_contain_text("no sound")
    assert silent.state == "succeeded" and silent.params["generate_audio"] is False
    assert kinds(stored_file(silent)) == ["video"]


def test_it_animates_an_upload_and_shows_a_failure_with_the_same_settings(
    page, live_server, make_user, log_in, worker, shoot, tmp_path
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    frame = tmp_path / "drakensberg.png"
    frame.write_bytes(make_png((320, 180), (40, 120, 60)))
    page.goto(live_server.url + "/studio/videos/new/")
    page.get_by_label("Prompt", exact=True).fill("Kruger thunderstorm [[fault:operation_failed]]")
    page.get_by_text("6 s", exact=True).click()
    page.get_by_label("Upload an image").first.set_input_files(frame)
    page.get_by_role("button", name="Generate video").click()
    page.wait_for_url(JOB_URL)

    expect(page.get_by_role("alert")).to_contain_text("You were not charged", timeout=30_000)
    job = MediaJob.objects.get(owner=alice)
    assert job.params["first_frame_id"] == str(MediaAsset.objects.get(owner=alice, origin="uploaded").id)
    expect(page.get_by_role("img", name="First frame")).to_be_visible()
    # It failed in front of the user: the header's tray shows no toast for it as well.
    page.wait_for_timeout(3_500)
    expect(page.locator(".toast")).to_have_count(0)
    shoot(page, "video-failed")

    page.get_by_role("link", name="Try again with the same settings").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        "Kruger thunderstorm [[fault:operation_failed]]"
    )
    expect(page.locator('input[name="duration_seconds"][value="6"]')).to_be_checked()
    expect(
        page.locator(f'input[name="first_frame_id"][value="{job.params["first_frame_id"]}"]')
    ).to_be_checked()
    shoot(page, "video-form-first-frame")


def test_it_shows_free_users_the_sample_gallery_and_no_form(
    page, live_server, make_user, log_in, shoot, sample_clips
):
    log_in(page, make_user(username="thandi", tier="FREE"))
    page.goto(live_server.url + "/studio/videos/new/")

    expect(page.get_by_role("heading", name="Sample clips")).to_be_visible()
    expect(page.locator("#video-form")).to_have_count(0)
    expect(page.get_by_label("Prompt")).to_have_count(0)
    expect(page.get_by_text("JIVE").first).to_be_visible()
    clips_on_page = page.locator(".samples video")
    expect(clips_on_page).to_have_count(6)
    expect(page.get_by_text("Table Mountain at sunrise")).to_be_visible()
    for index in range(6):  # every poster loads
        clips_on_page.nth(index).scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('.samples video')].every(v => v.poster)")
    first = clips_on_page.first
    first.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.3", arg=first.element_handle())
    shoot(page, "video-free-samples")
