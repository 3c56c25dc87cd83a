"""Issue 13.6, seeds tell the truth: where the model cannot honour a seed (Imagen while SynthID is
on, Veo while it enhances the prompt) the form's seed hint says so before submit, and the viewer
never shows a seed that was not applied."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studio import assets, jobs, providers
from studio.models import MediaJob
from studio.schemas import GenerateImage, GenerateVideo
from studio.tests.conftest import product_requests
from studio.tests.factories import make_png
from studio.tests.test_image_gallery import media, run  # noqa: F401 - fixtures: media in tmp; run a job inline

IMAGEN_NOTE = "Imagen can't use a seed while Google's SynthID watermark is on"
VEO_NOTE = "Veo rewrites your prompt (prompt enhancement is on), so a seed won't repeat a result."
HONOURED_HINT = "Empty for a random seed; the same seed and settings repeat a result."
SEED_ROW = "<dt>Seed</dt><dd>7</dd>"


def form_page(client, user, page: str) -> str:
    """The form's HTML; the editor shows its form once the user has an image to edit."""
    photo = assets.save_upload(user, make_png((40, 30)))
    client.force_login(user)
    return client.get(page.format(image=photo.id)).content.decode()


def seed_hint(html: str) -> str:
    return html.split('id="seed-hint">', 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize("page", ["/studio/images/create/", "/studio/images/edit/{image}/"])
def test_the_image_forms_warn_that_imagen_ignores_a_seed(client, make_user, settings, media, page):  # noqa: F811
    settings.MODEL_IMAGE_GENERATE = "imagen-3.0-generate-002"
    settings.MODEL_IMAGE_EDIT = "imagen-3.0-capability-001"
    html = form_page(client, make_user(tier="JIVE"), page)
    assert seed_hint(html).startswith(IMAGEN_NOTE.replace("'", "&#x27;"))


@pytest.mark.parametrize("page", ["/studio/images/create/", "/studio/images/edit/{image}/"])
def test_the_image_forms_promise_a_repeat_on_a_gemini_model(client, make_user, settings, media, page):  # noqa: F811
    settings.MODEL_IMAGE_GENERATE = settings.MODEL_IMAGE_EDIT = "gemini-3.1-flash-image"
    assert seed_hint(form_page(client, make_user(tier="JIVE"), page)) == HONOURED_HINT


def test_the_video_form_warns_that_veo_enhances_the_prompt(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    assert seed_hint(client.get("/studio/videos/new/").content.decode()) == VEO_NOTE.replace("'", "&#x27;")


def test_an_imagen_image_made_with_a_seed_shows_no_seed(client, make_user, studio_env, settings, run):  # noqa: F811
    settings.MODEL_IMAGE_GENERATE = "imagen-3.0-generate-002"
    jive = make_user(tier="JIVE")
    job = run(jive, "generate_image", GenerateImage(prompt="Kruger at dusk", seed=7))

    sent = [r for r in product_requests(studio_env) if r["path"].endswith(":predict")][-1]
    assert "seed" not in sent["json"]["parameters"]  # SynthID is on, so Imagen is sent no seed
    assert job.seed_applied is False
    client.force_login(jive)
    text = client.get(f"/studio/images/{job.assets.get().id}/").content.decode()
    assert "<dt>Seed</dt>" not in text
    assert "seed=" not in text.split("Reuse settings")[0].rsplit("href=", 1)[1]  # nor in Reuse


def test_a_gemini_image_made_with_a_seed_shows_it(client, make_user, studio_env, settings, run):  # noqa: F811
    settings.MODEL_IMAGE_GENERATE = "gemini-3.1-flash-image"
    jive = make_user(tier="JIVE")
    job = run(jive, "generate_image", GenerateImage(prompt="Kruger at dusk", seed=7))

    assert job.seed_applied is True
    client.force_login(jive)
    text = client.get(f"/studio/images/{job.assets.get().id}/").content.decode()
    assert SEED_ROW in text
    assert "seed=7" in text.split("Reuse settings")[0].rsplit("href=", 1)[1]


def test_an_image_without_a_seed_records_nothing(make_user, studio_env, settings, run):  # noqa: F811
    settings.MODEL_IMAGE_GENERATE = "gemini-3.1-flash-image"
    job = run(make_user(tier="JIVE"), "generate_image", GenerateImage(prompt="Kruger at dusk"))
    assert job.seed_applied is None


def test_veo_claims_a_seed_only_with_prompt_enhancement_off(providers_env):
    enhanced = providers.start_video(providers.VideoRequest(prompt="a quiet river", seed=5))
    plain = providers.start_video(
        providers.VideoRequest(prompt="a quiet river", seed=5, enhance_prompt=False)
    )

    first, second = (r["json"]["parameters"] for r in product_requests(providers_env)[:2])
    assert first["seed"] == 5 and "enhancePrompt" not in first  # Google's default: on
    assert second["seed"] == 5 and second["enhancePrompt"] is False
    assert enhanced.seed_applied is False and plain.seed_applied is True


@pytest.mark.parametrize(("applied", "shown"), [(False, False), (None, False), (True, True)])
def test_the_video_page_shows_a_seed_only_when_it_was_applied(client, make_user, applied, shown):
    user = make_user(tier="JIVE")
    job = jobs.submit_job(user, "generate_video", GenerateVideo(prompt="A quiet river", seed=7))
    MediaJob.objects.filter(pk=job.pk).update(seed_applied=applied)
    client.force_login(user)
    html = client.get(reverse("video-job", kwargs={"job_id": job.id})).content.decode()
    assert (SEED_ROW in html) is shown
