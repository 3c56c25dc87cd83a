"""Issue 13.4 on the real worker path: the Gemini image models' aspect ratios, output sizes (tier-gated
and priced per size) and file types, through the JSON API, the worker and the emulator over HTTP.

The suite pins the seed's Imagen models (settings_test.SEED_MODELS); tests here that are about a
Gemini model set it, as an operator would.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from billing.models import CostEntry, Reservation
from emulator.catalog import gemini_pixel_size
from studio import operations
from studio.models import MediaAsset, MediaJob
from studio.tests.conftest import product_requests

FLASH = "gemini-3.1-flash-image"
PRO = "gemini-3-pro-image"


def _result(api, accepted):
    status = api.get(accepted["status_url"]).json()
    assert status["state"] == "succeeded", status
    return api.get(accepted["result_url"]).json()


def _image_config(emulator) -> dict:
    [request] = [r for r in product_requests(emulator) if r["path"].endswith(":generateContent")]
    return request["json"]["generationConfig"]["imageConfig"]


def _nothing_reserved(user):
    assert not Reservation.objects.filter(user=user).exists()
    assert not MediaJob.objects.filter(owner=user).exists()


@pytest.fixture
def flash(studio_env, settings):
    settings.MODEL_IMAGE_GENERATE = FLASH
    return studio_env


@pytest.mark.parametrize(
    ("model", "size", "usd_micros"),
    # Google's per-image prices: 3.1 Flash $0.0672 at 1K, $0.1512 at 4K; 3 Pro $0.134 at 1K and 2K.
    [(FLASH, "1K", 67_200), (FLASH, "4K", 151_200), (PRO, "2K", 134_000)],
)
def test_an_image_is_quoted_charged_and_made_at_its_models_size(
    studio_env, api, make_user, settings, model, size, usd_micros
):
    settings.MODEL_IMAGE_GENERATE = model
    user = make_user(tier="JIGGA")
    body = {"prompt": "a baobab at dusk", "aspect_ratio": "21:9", "image_size": size, "output_format": "jpeg"}
    accepted = api.login(user).post("/images/generate", body).json()

    assert accepted["quote"]["usd_micros"] == usd_micros
    [image] = _result(api, accepted)["assets"]
    assert (image["width"], image["height"]) == gemini_pixel_size("21:9", size)
    assert _image_config(studio_env) == {
        "aspectRatio": "21:9",
        "imageSize": size,
        "imageOutputOptions": {"mimeType": "image/jpeg"},
    }
    entry = CostEntry.objects.get(reference=f"job:{accepted['job_id']}")
    assert (entry.model, entry.variant, entry.usd_micros) == (model, size, usd_micros)


def test_the_quote_follows_the_size_and_the_model(flash, make_user, settings):
    jigga = make_user(tier="JIGGA")
    prices = {
        s: operations.quote(jigga, "generate_image", 1, image_size=s)[1].usd_micros for s in ("512", "2K")
    }
    assert prices == {"512": 44_800, "2K": 100_800}
    settings.MODEL_IMAGE_GENERATE = PRO
    assert operations.quote(jigga, "generate_image", 1, image_size="4K")[1].usd_micros == 240_000


@pytest.mark.parametrize(
    ("tier", "size", "offered_by"),
    [("FREE", "2K", ["JIVE", "JIGGA"]), ("FREE", "512", ["JIVE", "JIGGA"]), ("JIVE", "4K", ["JIGGA"])],
)
def test_a_size_above_the_plans_is_refused_with_the_way_up(flash, api, make_user, tier, size, offered_by):
    user = make_user(tier=tier)
    response = api.login(user).post("/images/generate", {"prompt": "a kudu", "image_size": size})

    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "upgrade_required" and size in error["message"]
    assert [o["tier"] for o in error["upgrade"]] == offered_by
    _nothing_reserved(user)


@pytest.mark.parametrize(
    ("model", "body", "code", "supported"),
    [
        # Gemini 3 Pro Image has no 512 and ten ratios; Imagen (the seed's) five ratios and 1K only.
        (PRO, {"image_size": "512"}, "unsupported_image_size", ["1K", "2K", "4K"]),
        (PRO, {"aspect_ratio": "1:8"}, "unsupported_aspect_ratio", None),
        ("imagen-3.0-generate-002", {"aspect_ratio": "21:9"}, "unsupported_aspect_ratio", None),
        ("imagen-3.0-generate-002", {"image_size": "2K"}, "unsupported_image_size", ["1K"]),
    ],
)
def test_what_the_model_cannot_make_is_refused_before_anything_is_reserved(
    studio_env, api, make_user, settings, model, body, code, supported
):
    settings.MODEL_IMAGE_GENERATE = model
    user = make_user(tier="JIGGA")
    response = api.login(user).post("/images/generate", {"prompt": "a kudu", **body})

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["field"] in body
    if supported:
        assert error["supported"] == supported
    assert not product_requests(studio_env)  # Google was never asked
    _nothing_reserved(user)


def test_every_ratio_of_flash_image_is_made_in_its_shape(flash, api, make_user):
    api.login(make_user(tier="JIVE"))
    accepted = api.post("/images/generate", {"prompt": "a lighthouse", "aspect_ratio": "1:8"}).json()
    [image] = _result(api, accepted)["assets"]
    assert (image["width"], image["height"]) == gemini_pixel_size("1:8", "1K")


@pytest.mark.parametrize("model", [FLASH, "imagen-3.0-generate-002"])
def test_webp_is_converted_from_googles_png_and_served_as_webp(
    studio_env, api, make_user, client, settings, model
):
    settings.MODEL_IMAGE_GENERATE = model
    api.login(make_user(tier="JIVE"))
    accepted = api.post("/images/generate", {"prompt": "a protea", "output_format": "webp"}).json()
    [image] = _result(api, accepted)["assets"]

    asked = [r["json"] for r in product_requests(studio_env) if r["method"] == "POST"][0]
    options = asked.get("generationConfig", {}).get("imageConfig", {}).get("imageOutputOptions")
    options = options or asked.get("parameters", {}).get("outputOptions")
    assert options["mimeType"] == "image/png"  # Google is asked for what it makes
    asset = MediaAsset.objects.get(pk=image["asset_id"])
    assert asset.mime_type == image["mime_type"] == "image/webp" and asset.file.name.endswith(".webp")
    response = client.get(image["url"])
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(data)).format == "WEBP"


@pytest.mark.parametrize(
    ("asked", "stored", "extension"),
    [("webp", "image/webp", ".webp"), ("jpeg", "image/jpeg", ".jpg"), ("png", "image/jpeg", ".jpg")],
)
def test_a_free_preview_is_jpeg_or_webp(studio_env, api, make_user, asked, stored, extension):
    """FREE's preview comes in the file type asked, but as JPEG when PNG was asked (issue 17.4:
    previews as JPEG or WebP; PNG's full quality is the paid plans')."""
    api.login(make_user(tier="FREE"))
    accepted = api.post("/images/generate", {"prompt": "a protea", "output_format": asked}).json()
    [image] = _result(api, accepted)["assets"]
    assert image["mime_type"] == stored and image["watermarked"] is True
    asset = MediaAsset.objects.get(pk=image["asset_id"])
    assert asset.file.name.endswith(extension)
    with asset.file.open("rb") as f:
        assert Image.open(f).format == stored.split("/")[1].upper()


# --- The Create tab ---------------------------------------------------------------------------

CREATE = "/studio/images/create/"
ESTIMATE = "/studio/images/estimate/"


def _size_input(text: str, size: str) -> str:
    import re

    return re.search(rf'<input type="radio" name="image_size" value="{size}"[^>]*>', text)[0]


def test_create_offers_the_models_ratios_and_sizes_with_prices_gated_by_plan(flash, client, make_user):
    import re

    client.force_login(make_user(tier="JIVE"))
    text = client.get(CREATE).content.decode()

    assert re.findall(r'name="aspect_ratio" value="([^"]+)"', text)[-4:] == ["1:4", "4:1", "1:8", "8:1"]
    for size in ("512", "1K", "2K"):
        assert "disabled" not in _size_input(text, size)
    assert "disabled" in _size_input(text, "4K") and "4K is on JIGGA" in text
    # Each size with its price per image (gemini-3.1-flash-image at R18.50 a dollar).
    for price in ("R0.83 per image · $0.04", "R1.24 per image · $0.07", "R1.86 per image · $0.10"):
        assert price in text
    assert "R2.80 per image · $0.15" in text  # 4K's price, shown beside the way up
    assert re.findall(r'name="output_format" value="([^"]+)"', text) == ["png", "jpeg", "webp"]


def test_create_estimate_follows_the_size(flash, client, make_user):
    client.force_login(make_user(tier="JIGGA"))
    base = "?prompt=&count=2&aspect_ratio=1:1&output_format=png&negative_prompt=&seed=&style="
    one_k = client.get(ESTIMATE + base + "&image_size=1K", HTTP_HX_REQUEST="true").content.decode()
    four_k = client.get(ESTIMATE + base + "&image_size=4K", HTTP_HX_REQUEST="true").content.decode()
    assert "R2.49" in one_k and "2 × 1K" in one_k  # 2 × $0.0672 = $0.1344
    assert "R5.59" in four_k and "2 × 4K" in four_k  # 2 × $0.1512 = $0.3024


def test_create_shows_a_ratio_the_model_lacks_beside_the_field(studio_env, client, make_user, settings):
    import uuid

    settings.MODEL_IMAGE_GENERATE = PRO
    user = make_user(tier="JIGGA")
    client.force_login(user)
    form = {
        "prompt": "a kudu",
        "count": "1",
        "aspect_ratio": "1:8",  # 3.1 Flash makes it, 3 Pro does not (the page no longer offers it)
        "image_size": "1K",
        "output_format": "png",
        "idempotency_key": str(uuid.uuid4()),
    }
    text = client.post(CREATE, form, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="1:8"' not in text
    assert '<p class="error">The image model in use does not make 1:8 images.' in text
    _nothing_reserved(user)
