"""Imagen through the real google-genai client: generate, edit (masks, outpaint,
background swap) and upscale.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import base64
import io
import re

import httpx2 as httpx
import pytest
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image

from emulator.tests.helpers import (
    CAPABILITY,
    IMAGEN,
    UPSCALER,
    changed_area,
    make_client,
    opened,
    picture,
    png,
    rect_mask,
    vertex_url,
)

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


# --- Imagen generate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "aspect_ratio, size",
    [
        ("1:1", (1024, 1024)),
        ("3:4", (896, 1280)),
        ("4:3", (1280, 896)),
        ("9:16", (768, 1408)),
        ("16:9", (1408, 768)),
    ],
)
def test_generate_returns_the_documented_size_for_each_aspect_ratio(client, aspect_ratio, size):
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a red fox in the snow",
        config=types.GenerateImagesConfig(number_of_images=1, aspect_ratio=aspect_ratio),
    )
    [generated] = response.generated_images
    assert generated.image.mime_type == "image/png"
    assert opened(generated.image.image_bytes).size == size


def test_generate_is_deterministic_for_prompt_and_seed_and_random_without_seed(client):
    def images(prompt: str, seed: int | None, count: int = 2) -> list[bytes]:
        config = types.GenerateImagesConfig(
            number_of_images=count, seed=seed, add_watermark=False if seed else None
        )
        response = client.models.generate_images(model=IMAGEN, prompt=prompt, config=config)
        return [g.image.image_bytes for g in response.generated_images]

    first = images("a lighthouse", 42)
    assert len(first) == 2 and first[0] != first[1]  # samples of one request differ
    assert images("a lighthouse", 42) == first
    assert images("a lighthouse", 43) != first
    assert images("a lighthouthe", 42) != first
    assert images("a lighthouse", None, 1) != images("a lighthouse", None, 1)


def test_generate_defaults_to_four_images_like_the_rest_api(client):
    response = client.models.generate_images(model=IMAGEN, prompt="four foxes")
    assert len(response.generated_images) == 4


def test_seed_while_watermark_is_on_is_rejected(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_images(
            model=IMAGEN, prompt="a fox", config=types.GenerateImagesConfig(number_of_images=1, seed=1)
        )
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
    assert "addWatermark" in caught.value.message


@pytest.mark.parametrize(
    "parameters",
    [
        {"sampleCount": 5},
        {"sampleCount": 0},
        {"aspectRatio": "2:1"},
        {"seed": -1, "addWatermark": False},
        {"outputOptions": {"mimeType": "image/gif"}},
        {"outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 101}},
        {"safetySetting": "block_everything"},
        {"storageUri": "s3://bucket/x"},
    ],
)
def test_generate_rejects_what_the_service_rejects(emu, parameters):
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"),
        json={"instances": [{"prompt": "a fox"}], "parameters": parameters},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert answer.json()["error"]["code"] == 400


def test_generate_needs_a_prompt(emu):
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"), json={"instances": [{"prompt": ""}], "parameters": {}}
    )
    assert answer.status_code == 400


def test_generate_accepts_float_numbers_uppercase_enums_and_ignores_query_strings(emu):
    # What the aiplatform REST transport sends.
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict") + "?%24alt=json%3Benum-encoding%3Dint",
        json={
            "instances": [{"prompt": "a fox"}],
            "parameters": {
                "sampleCount": 2.0,
                "seed": 7.0,
                "addWatermark": False,
                "safetySetting": "BLOCK_MEDIUM_AND_ABOVE",
                "personGeneration": "allow_adult",
            },
        },
    )
    assert answer.status_code == 200
    assert len(answer.json()["predictions"]) == 2


def test_generate_answers_jpeg_when_asked(client):
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a fox",
        config=types.GenerateImagesConfig(
            number_of_images=1, output_mime_type="image/jpeg", output_compression_quality=60
        ),
    )
    image = response.generated_images[0].image
    assert image.mime_type == "image/jpeg"
    assert Image.open(io.BytesIO(image.image_bytes)).format == "JPEG"


def test_v1beta1_is_served_too(emu):
    beta = make_client(emu, api_version="v1beta1")
    response = beta.models.generate_images(
        model=IMAGEN, prompt="a fox", config=types.GenerateImagesConfig(number_of_images=1)
    )
    assert len(response.generated_images) == 1
    assert emu.requests()[-1]["path"].startswith("/v1beta1/projects/test-proj/")


def test_storage_uri_outputs_are_written_to_the_gcs_emulator(emu, client, monkeypatch):
    from google.cloud import storage

    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a fox",
        config=types.GenerateImagesConfig(
            number_of_images=2, output_gcs_uri=f"gs://{emu.default_bucket}/renders/"
        ),
    )
    uris = [g.image.gcs_uri for g in response.generated_images]
    assert all(
        re.fullmatch(rf"gs://{emu.default_bucket}/renders/\d{{13}}/sample_\d\.png", uri) for uri in uris
    )
    assert all(g.image.image_bytes is None for g in response.generated_images)

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.gcs_url)
    bucket = storage.Client(project="test-proj").bucket(emu.default_bucket)
    stored = bucket.blob(uris[0].split("/", 3)[3]).download_as_bytes()
    assert opened(stored).size == (1024, 1024)


def test_safety_attributes_and_enhanced_prompt_come_back_when_asked(client):
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a fox",
        config=types.GenerateImagesConfig(
            number_of_images=1, include_safety_attributes=True, enhance_prompt=True
        ),
    )
    assert len(response.generated_images) == 1
    assert response.generated_images[0].enhanced_prompt.startswith("a fox")
    assert response.positive_prompt_safety_attributes is not None


# --- Imagen edit ------------------------------------------------------------------------------


def edit(
    client,
    base: Image.Image,
    mask: Image.Image | None,
    mode: str,
    *,
    prompt="a wooden bench",
    mask_mode="MASK_MODE_USER_PROVIDED",
    dilation=None,
    **config,
):
    mask_image = types.Image(image_bytes=png(mask), mime_type="image/png") if mask is not None else None
    response = client.models.edit_image(
        model=CAPABILITY,
        prompt=prompt,
        reference_images=[
            types.RawReferenceImage(
                reference_id=1, reference_image=types.Image(image_bytes=png(base), mime_type="image/png")
            ),
            types.MaskReferenceImage(
                reference_id=2,
                reference_image=mask_image,
                config=types.MaskReferenceConfig(mask_mode=mask_mode, mask_dilation=dilation),
            ),
        ],
        config=types.EditImageConfig(edit_mode=mode, number_of_images=1, **config),
    )
    return opened(response.generated_images[0].image.image_bytes)


@pytest.mark.parametrize(
    "mode", ["EDIT_MODE_INPAINT_INSERTION", "EDIT_MODE_INPAINT_REMOVAL", "EDIT_MODE_BGSWAP"]
)
def test_edit_changes_only_the_masked_pixels(client, mode):
    base = picture(640, 480)
    box = (200, 150, 399, 329)
    result = edit(client, base, rect_mask(640, 480, box), mode)
    assert result.size == base.size
    changed = changed_area(base, result)
    assert changed is not None
    left, top, right, bottom = changed
    assert left >= 200 and top >= 150 and right <= 400 and bottom <= 330


def test_edit_mask_dilation_grows_the_edit_area_a_little(client):
    base = picture(640, 480)
    result = edit(
        client, base, rect_mask(640, 480, (200, 150, 399, 329)), "EDIT_MODE_INPAINT_INSERTION", dilation=0.02
    )  # 2% of 640 px = 13 px
    left, top, right, bottom = changed_area(base, result)
    assert 180 <= left < 200 and 130 <= top < 150 and 400 < right <= 420 and 330 < bottom <= 350


def test_outpaint_changes_only_the_new_canvas_area(client):
    original = picture(400, 300)
    canvas = Image.new("RGB", (700, 300), (128, 128, 128))
    canvas.paste(original, (150, 0))
    mask = Image.new("L", (700, 300), 255)
    mask.paste(0, (150, 0, 550, 300))
    result = edit(client, canvas, mask, "EDIT_MODE_OUTPAINT", prompt="extend the meadow")
    assert result.size == (700, 300)
    assert changed_area(original, result.crop((150, 0, 550, 300))) is None
    assert changed_area(canvas.crop((0, 0, 150, 300)), result.crop((0, 0, 150, 300))) is not None


def test_background_swap_with_automatic_mask_keeps_the_subject(client):
    base = picture(600, 400)
    result = edit(
        client, base, None, "EDIT_MODE_BGSWAP", prompt="a marble counter", mask_mode="MASK_MODE_BACKGROUND"
    )
    assert result.getpixel((300, 200)) == base.getpixel((300, 200))  # the subject in the middle
    assert result.getpixel((5, 5)) != base.getpixel((5, 5))


def test_edit_rejects_a_mask_of_another_size(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        edit(client, picture(640, 480), rect_mask(320, 240, (10, 10, 50, 50)), "EDIT_MODE_INPAINT_INSERTION")
    assert caught.value.code == 400 and "same size" in caught.value.message


def test_edit_needs_one_raw_and_one_mask_reference(emu):
    raw = {
        "referenceType": "REFERENCE_TYPE_RAW",
        "referenceId": 1,
        "referenceImage": {"bytesBase64Encoded": base64.b64encode(png(picture(64, 64))).decode()},
    }
    answer = httpx.post(
        vertex_url(emu, CAPABILITY, "predict"),
        json={
            "instances": [{"prompt": "x", "referenceImages": [raw]}],
            "parameters": {"editMode": "EDIT_MODE_INPAINT_INSERTION"},
        },
    )
    assert answer.status_code == 400


def test_edit_with_user_provided_mask_needs_mask_bytes(emu):
    raw = {
        "referenceType": "REFERENCE_TYPE_RAW",
        "referenceId": 1,
        "referenceImage": {"bytesBase64Encoded": base64.b64encode(png(picture(64, 64))).decode()},
    }
    mask = {
        "referenceType": "REFERENCE_TYPE_MASK",
        "referenceId": 2,
        "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.01},
    }
    answer = httpx.post(
        vertex_url(emu, CAPABILITY, "predict"),
        json={
            "instances": [{"prompt": "x", "referenceImages": [raw, mask]}],
            "parameters": {"editMode": "EDIT_MODE_INPAINT_INSERTION", "sampleCount": 1},
        },
    )
    assert answer.status_code == 400


# --- Upscale ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, factor, multiple",
    [(UPSCALER, "x2", 2), (UPSCALER, "x3", 3), (UPSCALER, "x4", 4), (IMAGEN, "x2", 2)],
)
def test_upscale_multiplies_the_input_size(client, model, factor, multiple):
    response = client.models.upscale_image(
        model=model,
        image=types.Image(image_bytes=png(picture(300, 200)), mime_type="image/png"),
        upscale_factor=factor,
    )
    [generated] = response.generated_images
    assert opened(generated.image.image_bytes).size == (300 * multiple, 200 * multiple)


def test_upscale_above_17_megapixels_is_rejected(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.upscale_image(
            model=UPSCALER,
            image=types.Image(image_bytes=png(Image.new("RGB", (2100, 2100))), mime_type="image/png"),
            upscale_factor="x2",
        )
    assert caught.value.code == 400


def test_upscale_rejects_an_unknown_factor(client):
    with pytest.raises(genai_errors.ClientError):
        client.models.upscale_image(
            model=UPSCALER,
            image=types.Image(image_bytes=png(picture(64, 64)), mime_type="image/png"),
            upscale_factor="x8",
        )
