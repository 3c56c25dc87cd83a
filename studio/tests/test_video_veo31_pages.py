"""Video Studio pages for Veo 3.1: the model choice with Lite, 4K gated by the plan with its price,
reference images, prompt enhancement with the seed hint that follows it, the audio hint from the
price rows, the Extend form on a finished video, and the prices on /quota's model rows."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from studio import assets
from studio.models import MediaJob
from studio.tests.factories import make_finished_video, make_png

CREATE = "/studio/videos/new/"
ESTIMATE = "/studio/videos/estimate/"


def test_jive_sees_4k_locked_with_the_plan_and_price_that_has_it(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    html = client.get(CREATE).content.decode()

    assert re.search(r'name="resolution" value="4k"[^>]* disabled', html)
    # Veo 3.1 at 4K without audio: $0.40 a second = R7.40 at the suite's rate.
    assert "JIGGA plan, Veo 3.1 only: R7.40 a second" in html
    for model in ("standard", "fast", "lite"):
        assert f'name="model" value="{model}"' in html
    assert "Veo 3.1 Lite" in html


def test_jigga_may_choose_4k(client, make_user):
    client.force_login(make_user(tier="JIGGA"))
    html = client.get(CREATE).content.decode()

    assert re.search(r'name="resolution" value="4k"(?![^>]*disabled)[^>]*>', html)


def test_the_estimate_lists_each_models_rate_and_what_audio_adds(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    html = client.get(
        ESTIMATE, {"model": "fast", "resolution": "1080p", "duration_seconds": "8", "count": "1"}
    ).content.decode()

    # Price rows at 1080p without audio: standard $0.20, Fast $0.10, Lite $0.05 a second.
    assert "A second at 1080p: Veo 3.1 R3.70 · Veo 3.1 Fast R1.85 · Veo 3.1 Lite R0.93." in html
    # The audio hint, out of band: Fast at 1080p is $0.12 with audio, $0.10 without.
    assert 'id="audio-hint" hx-swap-oob="true"' in html
    assert "With Veo 3.1 Fast at 1080p, audio adds R0.37 a second (R2.22 instead of R1.85" in html
    assert "twice the price" not in client.get(CREATE).content.decode()


def test_the_seed_hint_follows_the_prompt_enhancement_box(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    on = client.get(ESTIMATE, {"enhance_prompt": "true"}).content.decode()
    off = client.get(ESTIMATE, {"enhance_prompt": "false"}).content.decode()

    assert 'id="seed-hint" hx-swap-oob="true">Veo rewrites your prompt' in on
    assert 'id="seed-hint" hx-swap-oob="true">Empty for a random seed' in off
    page = client.get(CREATE).content.decode()
    assert 'name="enhance_prompt" value="false"' in page and 'name="enhance_prompt" value="true"' in page


def test_the_estimate_says_what_the_chosen_model_cannot_do(client, make_user):
    client.force_login(make_user(tier="JIGGA"))
    image = assets.save_upload(make_user(tier="JIVE"), make_png())  # anyone's: the estimate reads no images

    lite_4k = client.get(ESTIMATE, {"model": "lite", "resolution": "4k"}).content.decode()
    lite_refs = client.get(ESTIMATE, {"model": "lite", "reference_image_ids": str(image.id)}).content.decode()

    assert "Veo 3.1 Lite makes 720p, 1080p videos, not 4K" in lite_4k
    assert "Veo 3.1 Lite cannot use reference images" in lite_refs


def test_it_submits_reference_images_picked_on_the_form(
    client, make_user, studio_env, django_capture_on_commit_callbacks
):
    alice = make_user(tier="JIVE")
    mine = [assets.save_upload(alice, make_png(colour=(i, 9, 9))) for i in range(2)]
    client.force_login(alice)
    page = client.get(CREATE).content.decode()
    assert all(f'name="reference_image_ids" value="{a.id}"' in page for a in mine)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            CREATE,
            {
                "prompt": "the kettle on a stoep",
                "model": "standard",
                "duration_seconds": "8",
                "aspect_ratio": "16:9",
                "resolution": "720p",
                "count": "1",
                "enhance_prompt": ["false", "true"],
                "reference_image_ids": [str(a.id) for a in mine],
                "idempotency_key": str(uuid.uuid4()),
            },
        )

    job = MediaJob.objects.get()
    assert response.status_code == 302
    assert job.params["reference_image_ids"] == [str(a.id) for a in mine]
    assert job.params["enhance_prompt"] is True and job.units == 8


def test_four_references_on_the_form_are_a_field_error(client, make_user):
    alice = make_user(tier="JIVE")
    mine = [assets.save_upload(alice, make_png(colour=(i, 9, 9))) for i in range(4)]
    client.force_login(alice)

    response = client.post(
        CREATE,
        {
            "prompt": "x",
            "duration_seconds": "8",
            "reference_image_ids": [str(a.id) for a in mine],
            "idempotency_key": str(uuid.uuid4()),
        },
    )

    assert 'id="references-error">Choose at most 3 reference images.' in response.content.decode()
    assert not MediaJob.objects.exists()


# --- Extend -----------------------------------------------------------------------------------


@pytest.fixture
def finished_video(make_user):
    def make(seconds=4, owner=None):
        return make_finished_video(owner or make_user(tier="JIVE"), seconds)

    return make


def test_a_finished_video_offers_extend_with_its_price(client, finished_video, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    video = finished_video()
    client.force_login(video.owner)

    job_page = client.get(reverse("video-job", kwargs={"job_id": video.source_job_id})).content.decode()
    extend_url = reverse("video-extend", kwargs={"video_id": video.id})
    assert f'href="{extend_url}">Extend by 7 s' in job_page

    form = client.get(extend_url).content.decode()
    assert f'name="video_id" value="{video.id}"' in form
    # 7 s of Veo 3.1 at 720p without audio: $1.40 = R25.90.
    assert "R25.90" in form and "$1.40" in form and "7 s of video without audio" in form
    assert re.search(r'name="resolution" value="4k"[^>]* disabled', form)


def test_a_video_over_30_seconds_says_it_cannot_be_extended(client, finished_video, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    video = finished_video(seconds=31)
    client.force_login(video.owner)

    job_page = client.get(reverse("video-job", kwargs={"job_id": video.source_job_id})).content.decode()
    form = client.get(reverse("video-extend", kwargs={"video_id": video.id})).content.decode()

    assert "too long to extend" in job_page
    assert "Veo extends videos of up to 30 s, so it cannot be extended" in form
    assert re.search(r'<button type="submit" id="extend" disabled', form)
    posted = client.post(
        reverse("video-extend", kwargs={"video_id": video.id}), {"idempotency_key": str(uuid.uuid4())}
    )
    assert "up to 30 seconds" in posted.content.decode()
    assert MediaJob.objects.filter(operation="extend_video").count() == 0


def test_another_users_video_has_no_extend_page(client, finished_video, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    video = finished_video()
    client.force_login(make_user(tier="JIVE"))

    assert client.get(reverse("video-extend", kwargs={"video_id": video.id})).status_code == 404
    assert client.post(reverse("video-extend", kwargs={"video_id": video.id}), {}).status_code == 404
