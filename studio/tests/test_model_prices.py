"""Prices per model and variant (billing.ModelPrice): the quote and the ledger follow the model
the route resolves to and the request's variant; a missing row refuses the submit; an edited
price applies to new quotes only. Submit → worker → emulator as in test_api_jobs.py."""

from __future__ import annotations

import pytest

from billing import pricing
from billing.models import Allowance, CostEntry, ModelPrice, Reservation
from studio import operations
from studio.models import MediaJob


def _result(api, accepted):
    status = api.get(accepted["status_url"]).json()
    assert status["state"] == "succeeded", status
    return api.get(accepted["result_url"]).json()


def _charge(accepted) -> CostEntry:
    return CostEntry.objects.get(reference=f"job:{accepted['job_id']}")


@pytest.mark.parametrize(
    "model, usd_micros",
    [
        ("imagen-3.0-generate-002", 40_000),  # the seed's model at the seed's figure
        ("gemini-3.1-flash-image", 67_200),  # 1K
        ("gemini-3-pro-image", 134_000),
    ],
)
def test_an_image_is_quoted_and_charged_at_its_models_price(
    studio_env, api, make_user, settings, model, usd_micros
):
    settings.MODEL_IMAGE_GENERATE = model
    api.login(make_user(tier="JIGGA"))
    response = api.post("/images/generate", {"prompt": "a protea at dawn", "count": 2})

    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["quote"]["usd_micros"] == 2 * usd_micros
    _result(api, accepted)
    entry = _charge(accepted)
    assert (entry.model, entry.variant, entry.units) == (model, "1K", 2)
    assert entry.usd_micros == 2 * usd_micros
    assert entry.zar_cents == pricing.usd_micros_to_zar_cents(2 * usd_micros, entry.rate)


@pytest.mark.parametrize(
    "fast, resolution, audio, usd_micros_per_second",
    [
        (False, "720p", False, 200_000),  # the seed's Veo 3.1 figures
        (False, "720p", True, 400_000),
        (True, "720p", False, 80_000),
        (True, "1080p", True, 120_000),
    ],
)
def test_a_video_is_quoted_and_charged_by_model_resolution_and_sound(
    studio_env, api, make_user, fast, resolution, audio, usd_micros_per_second
):
    api.login(make_user(tier="JIGGA"))
    body = {
        "prompt": "waves at Muizenberg",
        "duration_seconds": 4,
        "resolution": resolution,
        "generate_audio": audio,
        "fast": fast,
    }
    response = api.post("/videos/generate", body)

    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["quote"]["usd_micros"] == 4 * usd_micros_per_second
    _result(api, accepted)
    entry = _charge(accepted)
    model = "veo-3.1-fast-generate-001" if fast else "veo-3.1-generate-001"
    variant = f"{resolution}+audio" if audio else resolution
    assert (entry.model, entry.variant, entry.usd_micros) == (model, variant, 4 * usd_micros_per_second)


def test_the_quote_without_a_request_prices_the_variant(make_user):
    user = make_user(tier="JIGGA")
    _, standard = operations.quote(user, "generate_video", 8, generate_audio=True, resolution="1080p")
    _, fast = operations.quote(user, "generate_video", 8, generate_audio=True, resolution="1080p", fast=True)
    assert (standard.usd_micros, fast.usd_micros) == (3_200_000, 960_000)  # Google: $3.20, $0.96


def test_gemini_flash_image_sizes_differ_as_googles_prices_do(db):
    quotes = {
        size: pricing.quote_model("image", "gemini-3.1-flash-image", size, 1).usd_micros
        for size in ("512", "1K", "2K", "4K")
    }
    assert quotes == {"512": 44_800, "1K": 67_200, "2K": 100_800, "4K": 151_200}
    assert pricing.quote_model("image", "gemini-3-pro-image", "4K", 1).usd_micros == 240_000
    lite = pricing.quote_model("video", "veo-3.1-lite-generate-001", "720p", 8)
    assert lite.usd_micros == 240_000  # $0.03 a second


def test_a_missing_price_refuses_the_submit_and_reserves_nothing(studio_env, api, make_user, settings):
    settings.MODEL_IMAGE_GENERATE = "gemini-3-pro-image"
    ModelPrice.objects.filter(model="gemini-3-pro-image", variant="1K").delete()
    user = make_user(tier="JIGGA")
    response = api.login(user).post("/images/generate", {"prompt": "a protea at dawn"})

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "price_missing"
    assert not MediaJob.objects.exists() and not Reservation.objects.exists()
    assert not Allowance.objects.filter(user=user, reserved__gt=0).exists()


def test_an_edited_price_applies_to_new_quotes_only(studio_env, api, make_user):
    api.login(make_user(tier="JIGGA"))
    first = api.post("/images/generate", {"prompt": "a protea at dawn"}).json()
    _result(api, first)
    ModelPrice.objects.filter(model="imagen-3.0-generate-002", variant="1K").update(usd_micros=50_000)
    second = api.post("/images/generate", {"prompt": "a protea at noon"}).json()
    _result(api, second)

    assert (first["quote"]["usd_micros"], second["quote"]["usd_micros"]) == (40_000, 50_000)
    assert (_charge(first).usd_micros, _charge(second).usd_micros) == (40_000, 50_000)


def test_every_catalog_model_has_a_price_for_what_it_serves_by_default(db):
    """Each model a default setting names is priced at the variant a default request asks for."""
    from studio.providers import catalog

    priced = set(ModelPrice.objects.values_list("model", "variant"))
    for capability, spec in catalog.OPERATIONS.items():
        if spec.price_class == "text":  # priced per token: an input and an output row
            assert {(spec.default_model, "input"), (spec.default_model, "output")} <= priced, capability
            continue
        if "upscale" in spec.price_class:
            variant = pricing.UPSCALE_VARIANT
        elif "video" in spec.price_class:
            variant = "720p"
        else:
            variant = "1K"
        assert (spec.default_model, variant) in priced, capability
