"""The model catalog, settings-driven routing, and `manage.py provider_check`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from studio import providers
from studio.providers import catalog
from studio.providers.base import ConfigurationError, Family, Operation
from studio.providers.catalog import Lifecycle

# With no model settings at all: models Google serves today (2026-12-01).
DEFAULT_MODELS = {
    Operation.IMAGE_GENERATE: ("gemini-3.1-flash-image", Family.GEMINI_IMAGE, "image"),
    Operation.IMAGE_EDIT: ("gemini-3.1-flash-image", Family.GEMINI_IMAGE, "image"),
    Operation.IMAGE_PREVIEW: ("flux", Family.POLLINATIONS, "pollinations"),
    Operation.UPSCALE_V3: ("imagen-4.0-upscale-preview", Family.IMAGEN, "upscale_v3"),
    Operation.UPSCALE_V4: ("imagen-4.0-upscale-preview", Family.IMAGEN, "upscale_v4"),
    Operation.VIDEO: ("veo-3.1-generate-001", Family.VEO, "video"),
    Operation.VIDEO_FAST: ("veo-3.1-fast-generate-001", Family.VEO, "video"),
    Operation.VIDEO_LITE: ("veo-3.1-lite-generate-001", Family.VEO, "video"),
}
# What the seed shipped with, which the suite pins (mediastudio/settings_test.py): still selectable.
SEED_MODELS = {
    **DEFAULT_MODELS,
    Operation.IMAGE_GENERATE: ("imagen-3.0-generate-002", Family.IMAGEN, "image"),
    Operation.IMAGE_EDIT: ("imagen-3.0-capability-001", Family.IMAGEN, "image"),
    Operation.UPSCALE_V3: ("imagen-3.0-generate-002", Family.IMAGEN, "upscale_v3"),
}


def test_the_defaults_are_models_google_serves_today(default_models):
    for operation, (model, family, price_class) in DEFAULT_MODELS.items():
        route = catalog.resolve(operation)
        assert (route.model_id, route.family, route.price_class) == (model, family, price_class)
        assert route.model.status() in (Lifecycle.GA, Lifecycle.PREVIEW), route.model_id
    assert catalog.resolve(Operation.IMAGE_GENERATE).location == "global"
    assert catalog.lifecycle_warnings() == []


def test_v3_upscale_says_where_it_now_runs():
    assert "V3" in catalog.MODELS["imagen-4.0-upscale-preview"].note
    assert (
        "V3 upscale now runs on imagen-4.0-upscale-preview" in catalog.MODELS["imagen-3.0-generate-002"].note
    )


def test_the_seeds_models_stay_selectable_by_setting(providers_env):
    for operation, (model, family, price_class) in SEED_MODELS.items():
        route = catalog.resolve(operation)
        assert (route.model_id, route.family, route.price_class) == (model, family, price_class)
    assert catalog.resolve(Operation.VIDEO).audio_price_class == "video_audio"
    assert catalog.resolve(Operation.VIDEO).location == "us-central1"


def test_a_per_operation_setting_beats_the_shared_image_setting(default_models, settings):
    settings.MODEL_IMAGE = "gemini-3-pro-image"
    settings.MODEL_IMAGE_EDIT = "gemini-3.1-flash-image"

    assert catalog.resolve(Operation.IMAGE_GENERATE).model_id == "gemini-3-pro-image"
    assert catalog.resolve(Operation.IMAGE_EDIT).model_id == "gemini-3.1-flash-image"
    assert catalog.resolve(Operation.UPSCALE_V3).model_id == "imagen-4.0-upscale-preview"


def test_a_model_that_cannot_serve_the_operation_is_a_configuration_error(providers_env, settings):
    settings.MODEL_UPSCALE_V4 = "gemini-3.1-flash-image"

    with pytest.raises(ConfigurationError, match="MODEL_UPSCALE_V4"):
        providers.upscale_image(
            providers.UpscaleImageRequest(image=providers.ImageInput(data=b"x")), version="v4"
        )


def test_an_uncatalogued_model_is_routed_by_its_id_and_flagged(default_models, settings):
    settings.MODEL_IMAGE = "gemini-nano-banana-2.1"

    route = catalog.resolve(Operation.IMAGE_GENERATE)

    assert route.family == Family.GEMINI_IMAGE and route.location == "global"
    assert route.model.lifecycle == Lifecycle.UNKNOWN
    assert any("gemini-nano-banana-2.1 is not in the catalog" in w for w in catalog.lifecycle_warnings())


def test_lifecycle_follows_googles_published_dates():
    imagen = catalog.MODELS["imagen-3.0-generate-002"]

    assert imagen.retirement_date == dt.date(2026, 6, 30)
    assert imagen.status(dt.date(2026, 6, 1)) == Lifecycle.DEPRECATED
    assert imagen.status(dt.date(2026, 7, 1)) == Lifecycle.RETIRED
    assert catalog.MODELS["veo-3.1-generate-001"].status() == Lifecycle.GA


def test_lifecycle_warnings_name_the_setting_and_the_successor(providers_env):
    warnings = catalog.lifecycle_warnings(dt.date(2026, 11, 23))

    assert (
        "image_generate: imagen-3.0-generate-002 was retired by Google on 2026-06-30; "
        "set MODEL_IMAGE_GENERATE=gemini-3.1-flash-image"
    ) in warnings
    assert any(w.startswith("upscale_v3:") and "imagen-4.0-upscale-preview" in w for w in warnings)
    assert catalog.lifecycle_warnings(dt.date(2026, 5, 1))[0].startswith(
        "image_generate: imagen-3.0-generate-002 retires on 2026-06-30"
    )


def test_provider_check_prints_catalog_configuration_breakers_and_warnings(providers_env):
    out = StringIO()

    call_command("provider_check", stdout=out)

    text = out.getvalue()
    assert "veo-3.1-fast-generate-001" in text and "video / video_audio" in text
    assert f"VERTEX_BASE_URL: {providers_env.base_url}" in text
    assert "imagen-4.0-upscale-preview: closed (0 consecutive failures)" in text
    assert "was retired by Google on 2026-06-30" in text
    assert "Live calls" not in text


def test_provider_check_warns_when_the_pollinations_key_is_missing(providers_env, settings):
    out = StringIO()
    call_command("provider_check", stdout=out)
    assert "Configuration warnings\n  none" in out.getvalue()

    settings.POLLINATIONS_API_KEY = ""
    out = StringIO()
    call_command("provider_check", "--live", stdout=out)

    text = out.getvalue()
    assert "POLLINATIONS_API_KEY: not set" in text
    assert (
        "image_preview: POLLINATIONS_API_KEY is not set and Pollinations now refuses anonymous calls (401), "
        "so every call to flux fails"
    ) in text
    # The live call shows the same refusal, from the emulator acting as Pollinations' gateway.
    assert "FAILED image_preview flux" in text and "Pollinations 401: Authentication required" in text
    assert providers.configuration_warnings() and "1 of the live calls failed" in text


def test_provider_check_live_calls_every_configured_model_once(providers_env):
    out = StringIO()

    call_command("provider_check", "--live", stdout=out)

    text = out.getvalue()
    assert "every live call succeeded" in text, text
    called = {r["model"] for r in providers_env.requests() if r["model"]}
    assert called == {
        "imagen-3.0-generate-002",
        "imagen-3.0-capability-001",
        "flux",
        "imagen-4.0-upscale-preview",
        "veo-3.1-generate-001",
        "veo-3.1-fast-generate-001",
        "veo-3.1-lite-generate-001",
        "gemini-3.8-flash",
        "gemini-3.1-flash-image",  # compose: only a Gemini image model serves it
    }
    assert "storage media-studio-local" in text


def test_with_no_model_settings_every_live_call_succeeds_on_todays_models(default_models):
    out = StringIO()

    call_command("provider_check", "--live", stdout=out)

    text = out.getvalue()
    assert "every live call succeeded" in text, text
    called = {r["model"] for r in default_models.requests() if r["model"]}
    assert called == {
        "gemini-3.1-flash-image",
        "flux",
        "imagen-4.0-upscale-preview",
        "veo-3.1-generate-001",
        "veo-3.1-fast-generate-001",
        "veo-3.1-lite-generate-001",
        "gemini-3.8-flash",
    }
    assert not any(catalog.model_info(model).status() == Lifecycle.RETIRED for model in called)


def test_the_seeds_models_fail_live_once_the_emulators_clock_passes_their_shutdown(providers_env):
    providers_env.set_clock(dt.date(2026, 6, 30))
    out = StringIO()

    call_command("provider_check", "--live", stdout=out)

    text = out.getvalue()
    assert "FAILED image_generate imagen-3.0-generate-002" in text
    assert "FAILED image_edit imagen-3.0-capability-001" in text
    assert "Its successor is gemini-3.1-flash-image" in text


def test_provider_check_live_reports_a_retired_model(providers_env):
    providers_env.inject("404", times=-1, match={"model": "imagen-3.0-capability-001"})
    out = StringIO()

    call_command("provider_check", "--live", stdout=out)

    text = out.getvalue()
    assert "FAILED image_edit imagen-3.0-capability-001" in text
    assert "Its successor is gemini-3.1-flash-image" in text
    assert "1 of the live calls failed" in text


def test_every_price_class_the_catalog_names_is_priced_by_billing(db):
    """The catalog only names price classes; billing's price list must have a row for each."""
    from billing.models import Price
    from studio.providers.catalog import OPERATIONS

    named = {spec.price_class for spec in OPERATIONS.values()}
    named |= {spec.audio_price_class for spec in OPERATIONS.values() if spec.audio_price_class}
    named.discard("text")  # token-priced by the model's input and output rows only (billing.pricing)
    priced = set(Price.objects.values_list("price_class", flat=True))
    assert named <= priced, named - priced
