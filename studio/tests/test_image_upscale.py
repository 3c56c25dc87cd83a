"""Image Studio, Upscale tab: the picker, V3/V4 with their prices and tier gates, the estimate,
submitting (one job per form), and refusals shown on the form."""

from __future__ import annotations

import re
import uuid

import pytest

from billing import pricing
from billing import services as billing
from billing.models import ModelPrice, PriceClass
from studio import assets
from studio.models import MediaAsset, MediaJob
from studio.tests.factories import make_photo

UPSCALE = "/studio/images/upscale/"
ESTIMATE = "/studio/images/upscale/estimate/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def price(price_class) -> str:
    """One image's price as the page shows it, from the price list (not a copy of the figures)."""
    quote = pricing.quote(price_class, 1)
    return f"{pricing.format_zar(quote.zar_cents)} per image · {pricing.format_usd(quote.usd_micros)}"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def post_(data, *, execute=True, **headers):
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(UPSCALE, data, **headers)

    return post_


def form(photo, **overrides) -> dict:
    return {
        "image": str(photo.id) if photo else "",
        "factor": "x2",
        "model": "v3",
        "idempotency_key": str(uuid.uuid4()),
        **overrides,
    }


def model_input(text: str, value: str) -> str:
    return re.search(rf'<input type="radio" name="model" value="{value}"[^>]*>', text)[0]


def test_it_offers_jigga_both_models_with_their_prices_and_the_users_images(client, make_user, media):
    jigga = make_user(tier="JIGGA")
    photo = assets.save_upload(jigga, make_photo())
    assets.save_upload(make_user(tier="JIGGA"), make_photo())  # someone else's
    client.force_login(jigga)
    text = client.get(UPSCALE).content.decode()
    assert 'aria-current="page">Upscale' in text
    assert re.findall(r'name="image" value="([^"]+)"', text) == [str(photo.id)]
    assert f"/media/a/{photo.id}/thumbnail?" in text and 'loading="lazy"' in text
    for factor in ("x2", "x3", "x4"):
        assert f'name="factor" value="{factor}"' in text
    assert "disabled" not in model_input(text, "v3") and "disabled" not in model_input(text, "v4")
    assert price(PriceClass.UPSCALE_V3) in text and price(PriceClass.UPSCALE_V4) in text
    assert "V4 Ultra" in text and 'id="estimate"' in text
    assert "After this you will have 49 upscales left this month" in text


def test_it_takes_the_prices_from_the_price_list(client, make_user, media):
    ModelPrice.objects.filter(model="imagen-4.0-upscale-preview", variant="upscale").update(usd_micros=80_000)
    client.force_login(make_user(tier="JIGGA"))
    text = client.get(UPSCALE).content.decode()
    assert "R1.48 per image · $0.08" in text  # 0.08 USD at R18.50


def test_a_model_without_a_price_row_is_disabled_with_a_plain_reason_not_a_500(client, make_user, media):
    ModelPrice.objects.filter(model="imagen-4.0-upscale-preview", variant="upscale").delete()
    client.force_login(make_user(tier="JIGGA"))
    response = client.get(UPSCALE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "disabled" in model_input(text, "v4") and "disabled" not in model_input(text, "v3")
    why = re.search(r'<p class="why" id="model-v4-why">(.*?)</p>', text, re.S)[1]
    assert why == "V4 Ultra is not available right now."  # no upgrade offered for it
    assert price(PriceClass.UPSCALE_V3) in text


def test_it_disables_v4_for_jive_with_the_reason_and_the_upgrade(client, make_user, media):
    jive = make_user(tier="JIVE")
    assets.save_upload(jive, make_photo())
    client.force_login(jive)
    text = client.get(UPSCALE).content.decode()
    v4 = model_input(text, "v4")
    assert "disabled" in v4 and 'aria-describedby="model-v4-why"' in v4
    assert "disabled" not in model_input(text, "v3")
    why = re.search(r'<p class="why" id="model-v4-why">(.*?)</p>', text, re.S)[1]
    assert "V4 Ultra is on JIGGA" in why and "R149.00 a month" in why
    assert price(PriceClass.UPSCALE_V4) in text  # what it would cost is still shown


def test_it_shows_free_users_the_upgrade_instead_of_a_form(client, make_user, media, post):
    free = make_user(tier="FREE")
    photo = assets.save_upload(free, make_photo())
    client.force_login(free)
    text = client.get(UPSCALE).content.decode()
    assert "Upscaling comes with a paid plan" in text
    assert '<form id="upscale-form"' not in text and 'name="image"' not in text
    assert "<strong>JIVE</strong> — R49.00 a month: 20 upscales a month with V3" in text
    assert "<strong>JIGGA</strong> — R149.00 a month: 50 upscales a month with V3 or V4 Ultra" in text
    response = post(form(photo))
    assert response.status_code == 200 and "Upscaling comes with a paid plan" in response.content.decode()
    assert not MediaJob.objects.exists()


def test_it_preselects_the_image_from_the_query_even_when_older_than_the_picker_shows(
    client, make_user, media, settings
):
    settings.UPLOADS_PER_MINUTE = 25  # test data, not one person's burst
    jive = make_user(tier="JIVE")
    oldest = assets.save_upload(jive, make_photo())
    for _ in range(24):
        assets.save_upload(jive, make_photo((32, 32)))
    client.force_login(jive)
    plain = client.get(UPSCALE).content.decode()
    assert str(oldest.id) not in plain and "checked required" not in plain
    assert "Your 24 newest images" in plain
    text = client.get(UPSCALE, {"image": str(oldest.id)}).content.decode()
    assert f'value="{oldest.id}" checked' in text
    assert "Result: 192 × 128 px" in text  # the 96×64 photo at x2


def test_it_ignores_a_preselection_that_is_not_the_users(client, make_user, media):
    other = assets.save_upload(make_user(tier="JIVE"), make_photo())
    jive = make_user(tier="JIVE")
    client.force_login(jive)
    for value in (str(other.id), "not-a-uuid"):
        response = client.get(UPSCALE, {"image": value})
        assert response.status_code == 200
        # The page itself (the header's language switcher may carry the address back as typed).
        page = response.content.decode()
        assert str(other.id) not in page[page.index("<main") : page.index("</main>")]


def test_it_estimates_v3_and_v4_and_what_is_left(client, make_user, media):
    jigga = make_user(tier="JIGGA")
    photo = assets.save_upload(jigga, make_photo())
    client.force_login(jigga)
    v3 = client.get(ESTIMATE, {"image": photo.id, "factor": "x3", "model": "v3"}, **HTMX).content.decode()
    v4 = client.get(ESTIMATE, {"image": photo.id, "factor": "x3", "model": "v4"}, **HTMX).content.decode()
    q3, q4 = pricing.quote(PriceClass.UPSCALE_V3, 1), pricing.quote(PriceClass.UPSCALE_V4, 1)
    assert f"<strong>{pricing.format_zar(q3.zar_cents)}</strong>" in v3 and "(V3, x3)" in v3
    assert f"<strong>{pricing.format_zar(q4.zar_cents)}</strong>" in v4 and "(V4 Ultra, x3)" in v4
    assert q3.zar_cents != q4.zar_cents
    assert "Result: 288 × 192 px" in v3
    assert "49 upscales left this month" in v4
    assert "<html" not in v3


def test_it_warns_when_the_result_would_be_too_large_for_the_upscaler(client, make_user, media):
    jigga = make_user(tier="JIGGA")
    big = assets.save_upload(jigga, make_photo((1200, 1200)))
    client.force_login(jigga)
    x3 = client.get(ESTIMATE, {"image": big.id, "factor": "x3"}).content.decode()
    x4 = client.get(ESTIMATE, {"image": big.id, "factor": "x4"}).content.decode()
    assert "Result: 3600 × 3600 px" in x3 and "megapixel limit" not in x3
    assert "Result: 4800 × 4800 px" in x4 and "17-megapixel limit" in x4


def test_it_explains_instead_of_pricing_v4_for_jive_and_bad_choices(client, make_user, media):
    client.force_login(make_user(tier="JIVE"))
    v4 = client.get(ESTIMATE, {"model": "v4"})
    assert v4.status_code == 200
    text = v4.content.decode()
    assert "does not include V4 Ultra" in text and "JIGGA (R149.00 a month)" in text
    bad = client.get(ESTIMATE, {"factor": "x9"})
    assert bad.status_code == 200 and "Choose one of the options." in bad.content.decode()


def test_it_warns_when_no_upscales_are_left(client, make_user, media):
    jive = make_user(tier="JIVE")
    billing.reserve(jive, "upscales", 20, "test:all-of-them")
    client.force_login(jive)
    text = client.get(ESTIMATE, {"model": "v3"}).content.decode()
    assert "You have 0 upscales left this month" in text and "JIGGA (R149.00 a month)" in text


def test_it_creates_one_upscale_job_and_leads_to_the_job_page(client, make_user, post, studio_env):
    jigga = make_user(tier="JIGGA")
    photo = assets.save_upload(jigga, make_photo())
    client.force_login(jigga)
    data = form(photo, factor="x3", model="v4")
    response = post(data)
    job = MediaJob.objects.get()
    assert response.status_code == 302 and response.url == f"/studio/jobs/{job.id}/"
    assert job.operation == "upscale_image" and job.params == {
        "image_id": str(photo.id),
        "factor": "x3",
        "model": "v4",
    }
    job.refresh_from_db()
    assert job.state == MediaJob.State.SUCCEEDED
    result = MediaAsset.objects.get(source_job=job)
    assert (result.width, result.height) == (288, 192) and result.parent == photo
    assert post(data).url == response.url and MediaJob.objects.count() == 1  # the same form, once
    page = client.get(UPSCALE).content.decode()
    assert f'id="job-{job.id}"' in page  # among the recent upscales


def test_it_answers_htmx_with_a_fresh_form_and_the_polling_card(client, make_user, post, studio_env):
    jive = make_user(tier="JIVE")
    photo = assets.save_upload(jive, make_photo())
    client.force_login(jive)
    data = form(photo)
    response = post(data, execute=False, **HTMX)
    text = response.content.decode()
    job = MediaJob.objects.get()
    assert response.status_code == 200 and "<html" not in text
    assert 'id="upscale-form"' in text and data["idempotency_key"] not in text
    assert 'hx-swap-oob="afterbegin:#upscale-results"' in text and f'id="job-{job.id}"' in text
    assert f'hx-get="/studio/jobs/{job.id}/"' in text and 'hx-trigger="every 3s"' in text
    assert f'value="{photo.id}" checked' in text  # the same choices, to try another factor


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"image": ""}, "Choose one of your images."),
        ({"image": "not-a-uuid"}, "Choose one of your images."),
        ({"factor": "x8"}, "Choose one of the options."),
        ({"model": "v5"}, "Choose one of the options."),
    ],
)
def test_it_rerenders_invalid_choices_with_errors_and_creates_no_job(
    client, make_user, post, media, overrides, field_error
):
    jive = make_user(tier="JIVE")
    photo = assets.save_upload(jive, make_photo())
    client.force_login(jive)
    data = form(photo, **overrides)
    response = post(data)
    text = response.content.decode()
    assert response.status_code == 200 and '<p class="error"' in text and field_error in text
    assert f'value="{data["idempotency_key"]}"' in text
    assert not MediaJob.objects.exists()


def test_it_refuses_another_users_image_as_a_picker_error(client, make_user, post, studio_env):
    other = assets.save_upload(make_user(tier="JIGGA"), make_photo())
    client.force_login(make_user(tier="JIGGA"))
    response = post(form(other), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and 'id="image-error"' in text
    assert "Choose one of your images." in text and str(other.id) not in text.split("image-error")[1]
    assert not MediaJob.objects.exists()


def test_it_refuses_v4_for_jive_with_the_upgrade(client, make_user, post, studio_env):
    jive = make_user(tier="JIVE")
    photo = assets.save_upload(jive, make_photo())
    client.force_login(jive)
    response = post(form(photo, model="v4"), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in text
    assert "does not include V4 Ultra" in text
    prompt = text[text.index('class="upgrade-prompt"') :]
    assert "JIGGA" in prompt and "R149.00" in prompt and "JIVE</strong>" not in prompt
    assert not MediaJob.objects.exists()


def test_it_refuses_when_the_allowance_is_used_up(client, make_user, post, studio_env):
    jive = make_user(tier="JIVE")
    photo = assets.save_upload(jive, make_photo())
    billing.reserve(jive, "upscales", 20, "test:all-of-them")
    client.force_login(jive)
    data = form(photo)
    text = post(data).content.decode()
    assert 'role="alert"' in text and "Not enough allowance left" in text
    assert "JIGGA" in text[text.index('class="upgrade-prompt"') :]
    assert "your allowance resets" in text
    assert f'value="{data["idempotency_key"]}"' in text  # nothing was sent: the same key
    assert not MediaJob.objects.exists()


def test_it_shows_an_empty_picker_with_a_way_to_make_an_image(client, make_user, media):
    client.force_login(make_user(tier="JIVE"))
    text = client.get(UPSCALE).content.decode()
    assert "You have no images yet" in text and 'href="/studio/images/create/"' in text
    assert '<button type="submit" id="upscale" disabled>' in text


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    for url in (UPSCALE, ESTIMATE):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
