"""Video Studio uses the width: on a desktop the form is two columns (what the video shows, how it
is made), the first and last frame sit under the prompt, a first frame of another shape than the
video's is previewed in the video's shape, and a portrait result plays as portrait."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio import assets, jobs
from studio.models import MediaJob
from studio.schemas import GenerateVideo
from studio.tests.browser.a11y import assert_accessible
from studio.tests.browser.conftest import PHONE
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found, f"{locator} has no box"
    return found


def test_the_form_is_two_columns_with_the_frames_under_the_prompt_and_a_crop_preview(
    page, live_server, make_user, log_in, studio_env, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    photo = assets.save_upload(alice, make_photo((640, 360)))  # landscape
    log_in(page, alice)
    page.goto(live_server.url + "/studio/videos/new/")

    prompt = box(page.get_by_label("Prompt", exact=True))
    length = box(page.get_by_role("group", name="Length"))
    first = box(page.get_by_role("group", name="First frame (optional)"))
    assert length["x"] > prompt["x"] + prompt["width"], "settings beside the prompt"
    assert length["y"] < prompt["y"] + prompt["height"], "settings start level with the prompt"
    assert abs(first["x"] - prompt["x"]) < 2 and first["y"] > prompt["y"], "frames under the prompt"
    assert first["y"] < 800, "the first frame is in the first screen"

    preview = page.locator("#crop-preview")
    expect(preview).to_be_hidden()
    page.locator(f'input[name=first_frame_id][value="{photo.id}"]').check(force=True)
    expect(preview).to_be_hidden()  # a landscape image for a 16:9 video: nothing to preview
    page.get_by_text("9:16 portrait").click()
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("This image (640 × 360) is wider than a 9:16 video")
    frame = box(preview.locator(".crop-box"))
    assert frame["height"] > frame["width"] * 1.7, frame  # the video's portrait shape
    assert_accessible(page, "Video Studio with the crop preview")
    shoot(page, "video-form-crop-preview")
    page.get_by_text("16:9 landscape").click()
    expect(preview).to_be_hidden()

    page.set_viewport_size(PHONE)  # one column on a phone: the settings under the frames
    assert box(page.get_by_role("group", name="Length"))["y"] > box(preview.locator("xpath=..").first)["y"]


def test_a_portrait_video_plays_as_portrait(page, live_server, make_user, log_in, studio_env, shoot):
    alice = make_user(username="alice", tier="JIVE")
    job = jobs.submit_job(
        alice,
        "generate_video",
        GenerateVideo(prompt="A hadeda in the rain", duration_seconds=4, aspect_ratio="9:16"),
    )
    assert MediaJob.objects.get(pk=job.pk).state == MediaJob.State.SUCCEEDED
    log_in(page, alice)
    page.goto(live_server.url + f"/studio/videos/{job.id}/")

    player = page.locator(".player video")
    expect(player).to_be_visible()
    size = box(player)
    assert size["height"] > size["width"] * 1.5, size
    assert size["height"] <= 800 * 0.75 + 1
    shoot(page, "video-portrait-result")
