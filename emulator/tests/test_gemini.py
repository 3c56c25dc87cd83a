"""Gemini image models through the real google-genai client.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import pytest
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image

from emulator.tests.helpers import (
    FLASH_IMAGE,
    PRO_IMAGE,
    changed_area,
    make_client,
    opened,
    picture,
    png,
    rect_mask,
)

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


def image_parts(response) -> list[Image.Image]:
    return [
        opened(part.inline_data.data)
        for part in response.candidates[0].content.parts
        if part.inline_data is not None and not part.thought
    ]


@pytest.mark.parametrize(
    "model, ratio, size, expected",
    [
        (FLASH_IMAGE, "16:9", "1K", (1344, 768)),
        (FLASH_IMAGE, "1:1", "512", (512, 512)),
        (PRO_IMAGE, "3:4", "2K", (1792, 2400)),
    ],
)
def test_gemini_image_size_follows_aspect_ratio_and_image_size(emu, model, ratio, size, expected):
    client = make_client(emu, location="global")
    response = client.models.generate_content(
        model=model,
        contents=["a lighthouse at dusk"],
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio=ratio, image_size=size)
        ),
    )
    [image] = image_parts(response)
    assert image.size == expected
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.candidates_token_count > 0


def test_gemini_is_deterministic_with_seed_and_answers_text_too_when_asked(client):
    def ask():
        return client.models.generate_content(
            model=FLASH_IMAGE,
            contents=["a lighthouse"],
            config=types.GenerateContentConfig(
                response_modalities=["TEXT", "IMAGE"],
                seed=5,
                image_config=types.ImageConfig(aspect_ratio="1:1"),
            ),
        )

    first, second = ask(), ask()
    assert first.candidates[0].content.parts[0].text
    assert (
        first.candidates[0].content.parts[1].inline_data.data
        == second.candidates[0].content.parts[1].inline_data.data
    )


def test_gemini_edit_with_a_mask_image_changes_only_the_white_area(client):
    base = picture(1344, 768)
    mask = rect_mask(1344, 768, (400, 200, 799, 499)).convert("RGB")
    response = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=[
            "Image 1 is a photo, image 2 a mask. Add a red boat in the white area.",
            types.Part.from_bytes(data=png(base), mime_type="image/png"),
            types.Part.from_bytes(data=png(mask), mime_type="image/png"),
        ],
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9", image_size="1K"),
        ),
    )
    [result] = image_parts(response)
    left, top, right, bottom = changed_area(base, result)
    assert left >= 400 and top >= 200 and right <= 800 and bottom <= 500


def test_gemini_reads_input_images_from_gcs(client, emu, monkeypatch):
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.gcs_url)
    blob = storage.Client(project="test-proj").bucket(emu.default_bucket).blob("inputs/photo.png")
    blob.upload_from_string(png(picture(768, 1344)), content_type="image/png")
    response = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=[
            "Make it evening.",
            types.Part.from_uri(
                file_uri=f"gs://{emu.default_bucket}/inputs/photo.png", mime_type="image/png"
            ),
        ],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    # No aspect ratio asked for: the output follows the input's shape.
    assert image_parts(response)[0].size == (768, 1344)


def test_gemini_rejects_an_aspect_ratio_the_model_does_not_have(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(
            model=PRO_IMAGE,
            contents=["a fox"],
            config=types.GenerateContentConfig(
                response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:8")
            ),
        )
    assert caught.value.code == 400


def test_gemini_blocked_prompt_has_prompt_feedback_and_no_candidates(client):
    response = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=["something nasty [[fault:blocked]]"],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert response.candidates is None
    assert response.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


def test_gemini_filtered_image_and_text_only_refusal(client, emu):
    emu.inject("filter_all", match={"model": FLASH_IMAGE})
    filtered = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=["a fox"],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert filtered.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    assert image_parts(filtered) == []
    refusal = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=["a fox [[fault:text_only]]"],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert refusal.candidates[0].finish_reason == types.FinishReason.STOP
    assert image_parts(refusal) == []


def test_gemini_streaming_answers_one_sse_frame(client):
    chunks = list(
        client.models.generate_content_stream(
            model=FLASH_IMAGE,
            contents=["a fox"],
            config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
        )
    )
    assert len(chunks) == 1 and image_parts(chunks[0])


@pytest.mark.parametrize(
    "model, image_config, words",
    [
        (PRO_IMAGE, {"image_size": "512"}, "Unsupported image size '512'"),
        (FLASH_IMAGE, {"image_size": "8K"}, "Unsupported image size '8K'"),
        # imageOutputOptions.mimeType: PNG and JPEG only (WebP output is not documented).
        (FLASH_IMAGE, {"output_mime_type": "image/webp"}, "imageOutputOptions.mimeType"),
    ],
)
def test_gemini_refuses_a_size_or_file_type_the_model_does_not_make(client, model, image_config, words):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(
            model=model,
            contents=["a fox"],
            config=types.GenerateContentConfig(
                response_modalities=["IMAGE"], image_config=types.ImageConfig(**image_config)
            ),
        )
    assert caught.value.code == 400 and words in str(caught.value)


def test_gemini_composes_up_to_fourteen_input_images_and_refuses_a_fifteenth(client):
    inputs = [
        types.Part.from_bytes(data=png(picture(64, 48, (10 * i, 80, 160))), mime_type="image/png")
        for i in range(15)
    ]
    config = types.GenerateContentConfig(response_modalities=["IMAGE"])
    response = client.models.generate_content(
        model=FLASH_IMAGE, contents=[*inputs[:14], "put them all in one picture"], config=config
    )
    assert len(image_parts(response)) == 1
    # Google prices each input image in tokens: 1120 each on 3.1 Flash Image.
    assert response.usage_metadata.prompt_token_count >= 14 * 1120

    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(model=FLASH_IMAGE, contents=[*inputs, "all of them"], config=config)
    assert caught.value.code == 400 and "at most 14 input images, got 15" in str(caught.value)
