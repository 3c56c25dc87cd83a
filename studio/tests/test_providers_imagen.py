"""Contract tests: the Imagen adapter against the emulator over real HTTP."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from studio import providers
from studio.providers import gcs
from studio.providers.base import EditMode, ImageInput, Outpaint
from studio.tests.factories import make_mask, make_photo, make_png

from .conftest import EMULATOR_BUCKET, product_requests

PREDICT = "/v1/projects/test-project/locations/us-central1/publishers/google/models/{model}:predict"


def only_request(emulator) -> dict:
    requests = product_requests(emulator)
    assert len(requests) == 1, requests
    return requests[0]


def decode_png(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_it_sends_every_generate_parameter(providers_env):
    result = providers.generate_images(
        providers.GenerateImagesRequest(
            prompt="a red fox in the snow",
            count=2,
            aspect_ratio="16:9",
            negative_prompt="blurry",
            seed=42,
            add_watermark=False,
            safety_setting="block_only_high",
            person_generation="allow_adult",
            output_mime_type="image/jpeg",
        )
    )

    request = only_request(providers_env)
    assert request["method"] == "POST"
    assert request["path"] == PREDICT.format(model="imagen-3.0-generate-002")
    assert request["headers"]["authorization"] == "Bearer emulator-token"
    assert request["json"]["instances"] == [{"prompt": "a red fox in the snow"}]
    params = request["json"]["parameters"]
    assert params["sampleCount"] == 2
    assert params["aspectRatio"] == "16:9"
    assert params["negativePrompt"] == "blurry"
    assert params["seed"] == 42
    assert params["addWatermark"] is False
    assert params["safetySetting"].lower() == "block_only_high"
    assert params["personGeneration"].lower() == "allow_adult"
    assert params["outputOptions"] == {"mimeType": "image/jpeg"}
    assert params["includeRaiReason"] is True

    assert [(i.width, i.height, i.mime_type) for i in result.images] == [(1408, 768, "image/jpeg")] * 2
    assert all(i.data and i.gcs_uri is None for i in result.images)
    assert result.model == "imagen-3.0-generate-002"
    assert result.price_class == "image"
    assert result.synthid is False
    assert result.seed_applied is True
    assert result.filtered_count == 0


@pytest.mark.parametrize("operation", ["generate", "edit"])
def test_it_never_sends_a_seed_together_with_the_watermark(providers_env, operation):
    photo = make_photo()
    if operation == "generate":
        result = providers.generate_images(providers.GenerateImagesRequest(prompt="a fox", seed=7))
    else:
        result = providers.edit_image(
            providers.EditImageRequest(
                image=ImageInput(data=photo),
                mask=ImageInput(data=make_mask((96, 64), (10, 10, 40, 40))),
                mode=EditMode.INSERT,
                prompt="a hat",
                seed=7,
            )
        )

    params = only_request(providers_env)["json"]["parameters"]
    assert params["addWatermark"] is True
    assert "seed" not in params
    assert result.synthid is True
    assert result.seed_applied is False


def test_it_returns_gs_uris_with_their_pixel_size_when_given_a_storage_uri(providers_env):
    prefix = gcs.output_prefix("contract", "imagen")
    result = providers.generate_images(
        providers.GenerateImagesRequest(
            prompt="a lighthouse", count=2, aspect_ratio="3:4", output_gcs_uri=prefix
        )
    )

    assert only_request(providers_env)["json"]["parameters"]["storageUri"] == prefix
    assert len(result.images) == 2
    for image in result.images:
        assert image.data is None
        assert image.gcs_uri.startswith(f"gs://{EMULATOR_BUCKET}/generated/contract/imagen/")
        assert (image.width, image.height) == (896, 1280)
        assert Image.open(io.BytesIO(gcs.download(image.gcs_uri))).size == (896, 1280)


def test_it_counts_outputs_the_safety_filters_removed(providers_env):
    providers_env.inject("filter_some")

    result = providers.generate_images(providers.GenerateImagesRequest(prompt="a crowd", count=4))

    assert len(result.images) == 2
    assert result.filtered_count == 2
    assert "filtered out 2 generated images" in result.filtered_reasons[0]


def test_it_raises_safety_blocked_when_every_output_is_filtered(providers_env):
    providers_env.inject("filter_all")

    with pytest.raises(providers.SafetyBlockedError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="a crowd", count=3))

    assert caught.value.filtered_count == 3
    assert len(product_requests(providers_env)) == 1


def test_it_raises_safety_blocked_for_a_refused_prompt_without_retrying(providers_env):
    providers_env.inject("blocked")

    with pytest.raises(providers.SafetyBlockedError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="something unsafe"))

    assert "Responsible AI" in caught.value.message
    assert caught.value.http_status == 400
    assert not caught.value.retryable
    assert len(product_requests(providers_env)) == 1


def test_a_404_for_the_seed_model_names_the_catalog_successor(providers_env):
    providers_env.inject("404", match={"model": "imagen-3.0-generate-002"})

    with pytest.raises(providers.ModelUnavailableError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="a fox"))

    assert caught.value.successor == "gemini-3.1-flash-image"
    assert "MODEL_IMAGE_GENERATE=gemini-3.1-flash-image" in caught.value.message
    assert len(product_requests(providers_env)) == 1  # a 404 is not retried


def test_a_404_names_the_successor_the_settings_configure(providers_env, settings):
    settings.MODEL_SUCCESSORS = "imagen-3.0-generate-002=gemini-3-pro-image"
    providers_env.inject("404", match={"model": "imagen-3.0-generate-002"})

    with pytest.raises(providers.ModelUnavailableError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="a fox"))

    assert caught.value.successor == "gemini-3-pro-image"
    assert "gemini-3-pro-image" in caught.value.message


def test_a_404_on_the_v3_upscaler_points_to_the_v4_upscaler(providers_env):
    providers_env.inject("404", match={"model": "imagen-3.0-generate-002"})

    with pytest.raises(providers.ModelUnavailableError) as caught:
        providers.upscale_image(
            providers.UpscaleImageRequest(image=ImageInput(data=make_png())), version="v3"
        )

    assert caught.value.successor == "imagen-4.0-upscale-preview"


def test_a_403_is_a_configuration_error(providers_env):
    providers_env.inject("403")

    with pytest.raises(providers.ConfigurationError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="a fox"))

    assert "Permission" in caught.value.message
    assert len(product_requests(providers_env)) == 1


def test_it_sends_an_insert_edit_with_the_users_mask(providers_env):
    photo = make_photo((96, 64))
    mask = make_mask((96, 64), (30, 20, 60, 50))

    result = providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=photo),
            mask=ImageInput(data=mask),
            mode=EditMode.INSERT,
            prompt="a white ceramic bowl",
            count=2,
            negative_prompt="text",
            seed=11,
            add_watermark=False,
            safety_setting="block_medium_and_above",
            person_generation="dont_allow",
            mask_dilation=0.02,
            base_steps=35,
        )
    )

    request = only_request(providers_env)
    assert request["path"] == PREDICT.format(model="imagen-3.0-capability-001")
    instance = request["json"]["instances"][0]
    assert instance["prompt"] == "a white ceramic bowl"
    raw, mask_ref = instance["referenceImages"]
    assert raw["referenceType"] == "REFERENCE_TYPE_RAW" and raw["referenceId"] == 1
    assert base64.b64decode(raw["referenceImage"]["bytesBase64Encoded"]) == photo
    assert raw["referenceImage"]["mimeType"] == "image/png"
    assert mask_ref["referenceType"] == "REFERENCE_TYPE_MASK" and mask_ref["referenceId"] == 2
    assert mask_ref["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.02}
    assert decode_png(mask_ref["referenceImage"]["bytesBase64Encoded"]).getbbox() == (30, 20, 60, 50)
    params = request["json"]["parameters"]
    assert params["editMode"] == "EDIT_MODE_INPAINT_INSERTION"
    assert params["editConfig"] == {"baseSteps": 35}
    assert params["sampleCount"] == 2
    assert params["negativePrompt"] == "text"
    assert params["seed"] == 11 and params["addWatermark"] is False
    assert params["safetySetting"].lower() == "block_medium_and_above"
    assert params["personGeneration"].lower() == "dont_allow"
    assert [(i.width, i.height) for i in result.images] == [(96, 64), (96, 64)]


def test_it_sends_a_removal_with_an_empty_prompt(providers_env):
    providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=make_photo()),
            mask=ImageInput(data=make_mask((96, 64), (0, 0, 20, 20))),
            mode=EditMode.REMOVE,
        )
    )

    request = only_request(providers_env)["json"]
    assert request["parameters"]["editMode"] == "EDIT_MODE_INPAINT_REMOVAL"
    assert request["instances"][0]["prompt"] == ""


def test_a_background_swap_without_a_mask_asks_imagen_to_find_the_background(providers_env):
    providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=make_photo()), mode=EditMode.BACKGROUND_SWAP, prompt="a beach"
        )
    )

    request = only_request(providers_env)["json"]
    assert request["parameters"]["editMode"] == "EDIT_MODE_BGSWAP"
    mask_ref = request["instances"][0]["referenceImages"][1]
    assert mask_ref["maskImageConfig"]["maskMode"] == "MASK_MODE_BACKGROUND"
    assert "referenceImage" not in mask_ref


def test_an_outpaint_sends_the_padded_canvas_and_a_mask_over_the_new_area(providers_env):
    result = providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=make_photo((96, 64))),
            mode=EditMode.OUTPAINT,
            outpaint=Outpaint(left=32, right=16, top=8),
        )
    )

    request = only_request(providers_env)["json"]
    assert request["parameters"]["editMode"] == "EDIT_MODE_OUTPAINT"
    raw, mask_ref = request["instances"][0]["referenceImages"]
    canvas = decode_png(raw["referenceImage"]["bytesBase64Encoded"])
    mask = decode_png(mask_ref["referenceImage"]["bytesBase64Encoded"])
    assert canvas.size == mask.size == (144, 72)
    assert mask.getpixel((0, 0)) == 255 and mask.getpixel((32 + 10, 8 + 10)) == 0
    assert mask_ref["maskImageConfig"]["maskMode"] == "MASK_MODE_USER_PROVIDED"
    assert (result.images[0].width, result.images[0].height) == (144, 72)


def test_a_mask_of_the_wrong_size_is_refused_before_anything_is_sent(providers_env):
    with pytest.raises(providers.InvalidRequestError):
        providers.edit_image(
            providers.EditImageRequest(
                image=ImageInput(data=make_photo((96, 64))),
                mask=ImageInput(data=make_mask((50, 50), (0, 0, 10, 10))),
                mode=EditMode.INSERT,
                prompt="a hat",
            )
        )

    assert product_requests(providers_env) == []


@pytest.mark.parametrize(
    ("version", "model", "factor", "scale"),
    [
        ("v3", "imagen-3.0-generate-002", "x2", 2),
        ("v4", "imagen-4.0-upscale-preview", "x3", 3),
        ("v4", "imagen-4.0-upscale-preview", "x4", 4),
    ],
)
def test_it_upscales_with_the_v3_or_v4_model(providers_env, version, model, factor, scale):
    source = make_photo((80, 60))

    result = providers.upscale_image(
        providers.UpscaleImageRequest(image=ImageInput(data=source), factor=factor, add_watermark=False),
        version=version,
    )

    request = only_request(providers_env)
    assert request["path"] == PREDICT.format(model=model)
    instance = request["json"]["instances"][0]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == source
    assert instance["image"]["mimeType"] == "image/png"
    params = request["json"]["parameters"]
    assert params["mode"] == "upscale"
    assert params["upscaleConfig"]["upscaleFactor"] == factor
    assert params["sampleCount"] == 1
    assert params["addWatermark"] is False
    assert (result.images[0].width, result.images[0].height) == (80 * scale, 60 * scale)
    assert result.price_class == f"upscale_{version}"
    assert result.synthid is False


def test_an_upscale_leaves_the_watermark_to_google_unless_told(providers_env):
    result = providers.upscale_image(
        providers.UpscaleImageRequest(image=ImageInput(data=make_png())), version="v4"
    )

    assert "addWatermark" not in only_request(providers_env)["json"]["parameters"]
    assert result.synthid is True


def test_an_unknown_upscale_factor_is_refused_locally(providers_env):
    with pytest.raises(providers.InvalidRequestError):
        providers.upscale_image(providers.UpscaleImageRequest(image=ImageInput(data=make_png()), factor="x8"))

    assert product_requests(providers_env) == []
