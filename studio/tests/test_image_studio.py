"""Image Studio, Create tab: the form, its live estimate, submitting, and the job page that polls."""

from __future__ import annotations

import re
import uuid

import pytest

from studio.models import MediaJob
from studio.schemas import IMAGE_ASPECT_RATIOS, STYLE_PRESETS

CREATE = "/studio/images/create/"
ESTIMATE = "/studio/images/estimate/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def form(**overrides) -> dict:
    data = {
        "prompt": "A protea at sunrise on Table Mountain",
        "count": "1",
        "aspect_ratio": "1:1",
        "negative_prompt": "",
        "seed": "",
        "style": "",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST the Create form and run the on-commit enqueue (inline with studio_env's q_sync)."""

    def post_(data, *, execute=True, **headers):
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(CREATE, data, **headers)

    return post_


def test_it_renders_the_create_page_with_presets_and_ratios(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    response = client.get(CREATE)
    assert response.status_code == 200
    text = response.content.decode()
    for name, (label, _) in STYLE_PRESETS.items():
        assert f'value="{name}"' in text and label in text
    # The suite's model is the seed's Imagen: its five ratios, not the Gemini-only ones.
    offered = re.findall(r'name="aspect_ratio" value="([^"]+)"', text)
    assert offered == ["1:1", "3:4", "4:3", "9:16", "16:9"] and set(offered) < set(IMAGE_ASPECT_RATIOS)
    assert 'name="idempotency_key"' in text
    assert 'data-max="2000">0 / 2\xa0000<' in text  # plain digits for the script, grouped words
    assert 'id="estimate"' in text and 'aria-live="polite"' in text
    assert "R0.74" in text  # the estimate is there without JavaScript
    assert 'aria-current="page">Create' in text
    assert 'href="/studio/images/edit/"' in text and 'href="/studio/images/upscale/"' in text


def test_it_issues_a_new_idempotency_key_for_each_render(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    keys = {
        re.search(r'name="idempotency_key" value="([^"]+)"', client.get(CREATE).content.decode())[1]
        for _ in range(2)
    }
    assert len(keys) == 2
    assert all(uuid.UUID(key).version == 4 for key in keys)


def test_it_links_the_landing_card_to_the_create_page(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    assert 'href="/studio/images/create/"' in client.get("/").content.decode()


def test_it_estimates_the_cost_and_what_is_left_for_jive(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    one = client.get(ESTIMATE, {"prompt": "a hadeda", "count": "1"}, **HTMX).content.decode()
    assert "R0.74" in one and "$0.04" in one
    assert "49 images left this month" in one
    four = client.get(ESTIMATE, {"prompt": "a hadeda", "count": "4"}, **HTMX).content.decode()
    assert "R2.96" in four and "$0.16" in four
    assert "46 images left this month" in four
    assert "<html" not in four  # the partial only


def test_it_estimates_a_free_preview_as_free_and_watermarked(client, make_user):
    client.force_login(make_user(tier="FREE"))
    text = client.get(ESTIMATE, {"prompt": "a hadeda"}).content.decode()
    assert "R0.00" in text and "free preview (watermarked)" in text
    assert "0 images left today" in text


def test_it_answers_bad_estimate_input_with_a_message_not_an_error(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    for query in ({"prompt": "x" * 2001}, {"count": "9"}, {"aspect_ratio": "2:1"}, {"seed": "-1"}):
        response = client.get(ESTIMATE, query)
        assert response.status_code == 200
        assert "R0.74" not in response.content.decode()
    assert "2\xa0001" in client.get(ESTIMATE, {"prompt": "x" * 2001}).content.decode()


@pytest.mark.parametrize("prompt", ["", "   ", "x" * 2001])
def test_it_rerenders_an_invalid_prompt_with_the_error_and_creates_no_job(client, make_user, post, prompt):
    client.force_login(make_user(tier="JIVE"))
    data = form(prompt=prompt)
    response = post(data)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="prompt-error"' in text and 'aria-invalid="true"' in text
    assert f'value="{data["idempotency_key"]}"' in text  # the same request, still unsent
    assert not MediaJob.objects.exists()


def test_it_creates_one_job_and_leads_to_the_job_page(client, make_user, post, studio_env):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    response = post(form(count="2", style="watercolour", aspect_ratio="16:9", seed="42"))
    job = MediaJob.objects.get()
    assert response.status_code == 302 and response.url == f"/studio/jobs/{job.id}/"
    assert job.owner == alice and job.params["count"] == 2 and job.params["style"] == "watercolour"
    job.refresh_from_db()
    assert job.state == MediaJob.State.SUCCEEDED  # ran inline (studio_env)
    page = client.get(response.url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Cost: R1.48 ($0.08)" in text and "16:9 · Watercolour" in text
    # The form comes back filled in with the job's settings, to iterate on.
    assert 'value="watercolour" checked' in text and 'value="42"' in text


def test_it_creates_one_job_when_the_same_form_is_posted_twice(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    data = form()
    first, second = post(data), post(data)
    assert MediaJob.objects.count() == 1
    assert first.url == second.url == f"/studio/jobs/{MediaJob.objects.get().id}/"


def test_it_asks_for_a_fresh_send_when_an_old_form_is_changed_and_resent(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    data = form()
    post(data)
    response = post({**data, "prompt": "something else"})
    text = response.content.decode()
    assert response.status_code == 200 and "already been sent" in text
    assert f'value="{data["idempotency_key"]}"' not in text  # a new key to send it with
    assert MediaJob.objects.count() == 1


def test_it_refuses_a_malformed_idempotency_key_and_offers_a_fresh_one(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    response = post(form(idempotency_key="not-a-uuid"))
    text = response.content.decode()
    assert response.status_code == 200 and "UUID version 4" in text
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', text)
    assert not MediaJob.objects.exists()


def test_it_renders_the_job_and_a_fresh_form_for_htmx(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    data = form()
    response = post(data, **HTMX)
    text = response.content.decode()
    job = MediaJob.objects.get()
    assert response.status_code == 200 and "<html" not in text
    assert 'id="create-form"' in text and data["idempotency_key"] not in text
    assert 'hx-swap-oob="afterbegin:#results"' in text and f'id="job-{job.id}"' in text


def test_it_stops_polling_with_286_and_shows_thumbnails_once_the_job_succeeded(
    client, make_user, post, studio_env
):
    client.force_login(make_user(tier="JIVE"))
    post(form(count="2"))
    job = MediaJob.objects.get()
    assert job.state == MediaJob.State.SUCCEEDED
    response = client.get(f"/studio/jobs/{job.id}/", **HTMX)
    assert response.status_code == 286
    text = response.content.decode()
    assert "<html" not in text and 'hx-trigger="every 3s"' not in text
    for asset in job.assets.all():
        assert f"/media/a/{asset.id}/thumbnail?" in text  # the thumbnail
        assert f'href="/media/a/{asset.id}/file?' in text  # links to the full image
    assert "Cost: R1.48 ($0.08)" in text
    assert all(a.synthid for a in job.assets.all())  # the emulator's Imagen adds SynthID
    assert "SynthID: Google's invisible watermark" in text
    assert client.get(f"/studio/jobs/{job.id}/").status_code == 200  # the full page stays 200


def test_it_keeps_polling_with_200_while_the_job_is_queued(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    post(form(), execute=False)
    job = MediaJob.objects.get()
    assert job.state == MediaJob.State.QUEUED
    response = client.get(f"/studio/jobs/{job.id}/", **HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'hx-trigger="every 3s"' in text and f'hx-get="/studio/jobs/{job.id}/"' in text
    page = client.get(f"/studio/jobs/{job.id}/").content.decode()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page


def test_it_shows_a_failed_job_without_charging(client, make_user, post, studio_env):
    from studio import worker

    client.force_login(make_user(tier="JIVE"))
    post(form(), execute=False)
    job = MediaJob.objects.get()
    worker.fail_job(job, "safety_blocked", detail="SafetyBlockedError: Responsible AI practices")
    text = client.get(f"/studio/jobs/{job.id}/", **HTMX).content.decode()
    assert "The safety filters blocked this request" in text and "You were not charged." in text
    assert "Responsible AI" not in text  # the provider's words are for staff (test_error_words.py)


def test_it_hides_a_job_from_another_user(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    post(form(), execute=False)
    job = MediaJob.objects.get()
    client.force_login(make_user(tier="JIGGA"))
    assert client.get(f"/studio/jobs/{job.id}/").status_code == 404
    assert client.get(f"/studio/jobs/{job.id}/", **HTMX).status_code == 404


def test_it_shows_the_quota_message_and_upgrade_prompt_on_a_free_users_second_preview(
    client, make_user, post, studio_env
):
    client.force_login(make_user(tier="FREE"))
    first = post(form())
    assert first.status_code == 302
    job = MediaJob.objects.get()
    assert job.watermark
    page = client.get(first.url).content.decode()
    assert "watermark" in page and "R0.00" in page
    second = post(form(prompt="another one"))
    text = second.content.decode()
    assert second.status_code == 200
    assert 'role="alert"' in text and "Not enough allowance left" in text
    prompt = text[text.index('class="upgrade-prompt"') :]
    assert "JIVE" in prompt and "R49.00" in prompt
    assert MediaJob.objects.count() == 1


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    for url in (CREATE, ESTIMATE, f"/studio/jobs/{uuid.uuid4()}/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
