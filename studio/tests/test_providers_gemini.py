"""Contract tests: Gemini image models through generateContent."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageChops

from studio import providers
from studio.providers import media
from studio.providers.base import EditMode, ImageInput, Outpaint
from studio.tests.factories import make_mask, make_photo

from .conftest import product_requests

GENERATE_CONTENT = (
    "/v1/projects/test-project/locations/global/publishers/google/models/{model}:generateContent"
)


@pytest.fixture
def gemini(default_models, settings):
    """One setting moves generate and edit to a Gemini image model (also the default now)."""
    settings.MODEL_IMAGE = "gemini-3.1-flash-image"
    return default_models


def inline_images(request: dict) -> list[Image.Image]:
    parts = request["json"]["contents"][0]["parts"]
    found = []
    for part in parts:
        inline = part.get("inlineData")
        if inline:
            data = inline["data"]
            found.append(Image.open(io.BytesIO(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))))
    return found


def test_one_setting_moves_generate_and_edit_to_gemini(gemini):
    from studio.providers import catalog
    from studio.providers.base import Family, Operation

    assert catalog.resolve(Operation.IMAGE_GENERATE).family == Family.GEMINI_IMAGE
    assert catalog.resolve(Operation.IMAGE_EDIT).family == Family.GEMINI_IMAGE
    assert catalog.resolve(Operation.IMAGE_GENERATE).location == "global"


def test_it_sends_every_generate_parameter_one_call_per_image(gemini):
    result = providers.generate_images(
        providers.GenerateImagesRequest(
            prompt="a red fox in the snow",
            count=2,
            aspect_ratio="16:9",
            image_size="2K",
            seed=42,
            negative_prompt="blurry",
            person_generation="allow_adult",
            safety_setting="block_only_high",
            output_mime_type="image/jpeg",
        )
    )

    requests = product_requests(gemini)
    assert len(requests) == 2  # the 3.x image models return one candidate per call
    for index, request in enumerate(requests):
        assert request["path"] == GENERATE_CONTENT.format(model="gemini-3.1-flash-image")
        body = request["json"]
        assert body["contents"][0]["role"] == "user"
        assert body["contents"][0]["parts"] == [{"text": "a red fox in the snow\n\nAvoid: blurry."}]
        config = body["generationConfig"]
        assert config["responseModalities"] == ["IMAGE"]
        assert config["candidateCount"] == 1
        assert config["seed"] == 42 + index
        assert config["imageConfig"]["aspectRatio"] == "16:9"
        assert config["imageConfig"]["imageSize"] == "2K"
        assert config["imageConfig"]["personGeneration"] == "ALLOW_ADULT"
        assert config["imageConfig"]["imageOutputOptions"] == {"mimeType": "image/jpeg"}
        assert {s["threshold"] for s in body["safetySettings"]} == {"BLOCK_ONLY_HIGH"}

    assert len(result.images) == 2
    assert all(i.mime_type == "image/jpeg" and i.width > i.height for i in result.images)
    assert result.synthid is True  # always on for Gemini image models
    assert result.seed_applied is True
    assert result.price_class == "image"


def test_an_insert_edit_leaves_every_unmasked_pixel_identical(gemini):
    photo = make_photo((120, 80))
    box = (40, 20, 90, 60)
    mask = make_mask((120, 80), box)

    result = providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=photo),
            mask=ImageInput(data=mask),
            mode=EditMode.INSERT,
            prompt="a red kite",
        )
    )

    request = product_requests(gemini)[0]
    sent_photo, sent_mask = inline_images(request)
    assert sent_photo.size == sent_mask.size == (120, 80)
    assert sent_mask.convert("L").getbbox() == box
    assert "WHITE marks the only area you may change" in request["json"]["contents"][0]["parts"][0]["text"]
    assert "a red kite" in request["json"]["contents"][0]["parts"][0]["text"]
    assert request["json"]["generationConfig"]["imageConfig"]["aspectRatio"] == "3:2"

    original = Image.open(io.BytesIO(photo)).convert("RGB")
    edited = Image.open(io.BytesIO(result.images[0].data)).convert("RGB")
    assert edited.size == original.size
    outside = Image.open(io.BytesIO(mask)).point(lambda v: 255 if v == 0 else 0)
    difference = ImageChops.difference(original, edited)
    assert ImageChops.multiply(difference.convert("L"), outside).getbbox() is None
    assert difference.crop(box).getbbox() is not None  # the model did change the masked area


def test_an_outpaint_extends_the_canvas_and_keeps_the_original_pixels(gemini):
    photo = make_photo((80, 60))

    result = providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=photo), mode=EditMode.OUTPAINT, outpaint=Outpaint(left=40, right=40)
        )
    )

    request = product_requests(gemini)[0]
    canvas, mask = inline_images(request)
    assert canvas.size == mask.size == (160, 60)
    assert request["json"]["generationConfig"]["imageConfig"]["aspectRatio"] == "21:9"
    edited = Image.open(io.BytesIO(result.images[0].data)).convert("RGB")
    assert edited.size == (160, 60)
    original = Image.open(io.BytesIO(photo)).convert("RGB")
    assert ImageChops.difference(edited.crop((40, 0, 120, 60)), original).getbbox() is None


def test_a_background_swap_without_a_mask_sends_only_the_photo(gemini):
    result = providers.edit_image(
        providers.EditImageRequest(
            image=ImageInput(data=make_photo()), mode=EditMode.BACKGROUND_SWAP, prompt="a beach"
        )
    )

    request = product_requests(gemini)[0]
    assert len(inline_images(request)) == 1
    assert "replace only the background with a beach" in request["json"]["contents"][0]["parts"][0]["text"]
    assert (result.images[0].width, result.images[0].height) == (96, 64)


@pytest.mark.parametrize("fault", ["blocked", "filter_all", "text_only"])
def test_no_image_back_is_a_safety_block_that_costs_nothing(gemini, fault):
    gemini.inject(fault)

    with pytest.raises(providers.SafetyBlockedError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="a fox"))

    assert caught.value.filtered_count == 1
    assert caught.value.reasons


def test_an_image_lost_among_several_is_counted_as_filtered(gemini):
    gemini.inject("filter_all", times=1)

    result = providers.generate_images(providers.GenerateImagesRequest(prompt="a fox", count=3))

    assert len(result.images) == 2
    assert result.filtered_count == 1


def test_an_aspect_ratio_the_model_lacks_is_refused_locally(gemini):
    with pytest.raises(providers.InvalidRequestError):
        providers.generate_images(providers.GenerateImagesRequest(prompt="a fox", aspect_ratio="7:3"))

    assert product_requests(gemini) == []


def test_compositing_restores_the_original_outside_the_mask_whatever_the_model_returns():
    original = Image.open(io.BytesIO(make_photo((50, 40))))
    generated = Image.new("RGB", (333, 222), (0, 0, 255))  # another size and nothing in common
    mask = Image.new("L", (50, 40), 0)
    mask.paste(200, (10, 10, 30, 30))  # a soft brush: partial strength

    out = media.composite_inside_mask(original, generated, mask).convert("RGB")

    outside = mask.point(lambda v: 255 if v == 0 else 0)
    difference = ImageChops.difference(out, original.convert("RGB")).convert("L")
    assert ImageChops.multiply(difference, outside).getbbox() is None
    assert out.getpixel((20, 20)) != original.convert("RGB").getpixel((20, 20))
