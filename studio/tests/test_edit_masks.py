"""The edit operation's three ways to say where (issue 15.2), through the JSON API and the LLM tools'
call endpoint: a mask that is one of the user's uploaded images (`mask_asset_id`), the area in words
(`mask_description`, mask-free editing on the Gemini image models) and the background
(`background_swap`, no mask). Jobs run inline on the emulator (studio_env)."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from billing import services as billing
from studio import assets, schemas
from studio.models import MediaJob
from studio.tests.factories import make_mask, make_photo

from .conftest import product_requests
from .test_providers_gemini import inline_images

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user(username="alice", tier="JIVE")
    api.login(user)
    return user


def upload(user, data: bytes):
    return assets.save_upload(user, data)


def edits_left(user) -> int:
    return next(b.remaining for b in billing.remaining(user) if b.meter == "edits")


def test_an_uploaded_mask_image_is_the_mask_of_an_insert_edit(api, alice, studio_env):
    photo = upload(alice, make_photo())
    mask = upload(alice, make_mask((96, 64), (10, 10, 40, 40)))

    answer = api.post(
        "/images/edit",
        {"image_id": str(photo.id), "mode": "insert", "prompt": "a sunbird", "mask_asset_id": str(mask.id)},
    )

    assert answer.status_code == 202, answer.json()
    job = MediaJob.objects.get(pk=answer.json()["job_id"])
    assert job.state == MediaJob.State.SUCCEEDED
    stored = Image.open(io.BytesIO(assets.read_bytes(job.mask)))
    assert stored.size == (96, 64) and stored.getbbox() == (10, 10, 40, 40)
    assert job.params["mask_asset_id"] == str(mask.id)
    # Imagen (the suite's seed edit model) got the mask as its mask reference image.
    sent = product_requests(studio_env)[-1]["json"]["instances"][0]["referenceImages"]
    assert [ref["referenceType"] for ref in sent] == ["REFERENCE_TYPE_RAW", "REFERENCE_TYPE_MASK"]


def test_another_users_mask_image_is_not_found_and_costs_nothing(api, alice, make_user, studio_env):
    photo = upload(alice, make_photo())
    bobs = upload(make_user(username="bob", tier="JIVE"), make_mask((96, 64), (0, 0, 10, 10)))
    before = edits_left(alice)

    answer = api.post(
        "/images/edit", {"image_id": str(photo.id), "mode": "remove", "mask_asset_id": str(bobs.id)}
    )

    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert edits_left(alice) == before and not MediaJob.objects.exists()


@pytest.mark.parametrize(
    ("mask_png", "code"),
    [
        (make_mask((50, 50), (0, 0, 10, 10)), "mask_size_mismatch"),
        (make_mask((96, 64), (0, 0, 0, 0)), "invalid_mask"),
    ],
)
def test_a_mask_image_that_does_not_fit_is_refused(api, alice, studio_env, mask_png, code):
    photo = upload(alice, make_photo())
    mask = upload(alice, mask_png)
    answer = api.post(
        "/images/edit", {"image_id": str(photo.id), "mode": "remove", "mask_asset_id": str(mask.id)}
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == code
    assert not MediaJob.objects.exists()


def test_an_area_in_words_edits_without_a_mask_on_the_gemini_models(api, alice, studio_env, default_models):
    photo = upload(alice, make_photo())

    answer = api.post(
        "/images/edit",
        {"image_id": str(photo.id), "mode": "remove", "mask_description": "the green square"},
    )

    assert answer.status_code == 202, answer.json()
    job = MediaJob.objects.get(pk=answer.json()["job_id"])
    assert job.state == MediaJob.State.SUCCEEDED and job.model == "gemini-3.1-flash-image"
    assert not job.mask
    request = product_requests(default_models)[-1]
    assert len(inline_images(request)) == 1  # the photo alone: no mask image
    text = request["json"]["contents"][0]["parts"][0]["text"]
    assert "remove only the green square" in text
    assert job.assets.get().width == 96


def test_an_area_in_words_is_refused_when_the_edit_model_needs_a_mask(api, alice, studio_env):
    photo = upload(alice, make_photo())  # the suite's edit model is Imagen 3's (a mask image)
    before = edits_left(alice)

    answer = api.post(
        "/images/edit",
        {"image_id": str(photo.id), "mode": "insert", "prompt": "a sunbird", "mask_description": "the sky"},
    )

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "mask_description"
    assert error["details"][0]["type"] == "mask_description_unsupported"
    assert edits_left(alice) == before and not MediaJob.objects.exists()


def test_the_background_needs_no_mask(api, alice, studio_env):
    photo = upload(alice, make_photo())
    answer = api.post(
        "/tools/call",
        {
            "name": "edit_image",
            "arguments": {"image_id": str(photo.id), "mode": "background_swap", "prompt": "a beach at dusk"},
        },
    )
    assert answer.status_code == 202, answer.json()
    assert MediaJob.objects.get(pk=answer.json()["job_id"]).state == MediaJob.State.SUCCEEDED


IMAGE = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("arguments", "error_type"),
    [
        ({"mode": "remove"}, schemas.EDIT_NEEDS_MASK),
        ({"mode": "remove", "mask_asset_id": IMAGE, "mask_description": "the car"}, schemas.EDIT_ONE_MASK),
        (
            {"mode": "background_swap", "prompt": "a beach", "mask_description": "the sky"},
            schemas.MASK_DESCRIPTION_MODE,
        ),
        (
            {"mode": "outpaint", "outpaint_aspect_ratio": "16:9", "mask_asset_id": IMAGE},
            schemas.OUTPAINT_WITH_MASK,
        ),
        ({"mode": "remove", "mask_description": "..."}, "prompt_without_meaning"),
    ],
)
def test_the_mask_rules_are_the_same_for_the_api_and_the_tools(api, alice, arguments, error_type):
    body = {"image_id": IMAGE, **arguments}
    direct = api.post("/images/edit", body)
    tool = api.post("/tools/call", {"name": "edit_image", "arguments": body})
    assert direct.status_code == 422
    assert error_type in [item["type"] for item in direct.json()["error"]["details"]]
    assert tool.json()["ok"] is False
    assert error_type in [item["type"] for item in tool.json()["error"]["details"]]
    if error_type in (schemas.EDIT_NEEDS_MASK, schemas.EDIT_ONE_MASK):
        assert "mask_description" in tool.json()["message"]  # the hint says how


def test_the_openapi_document_states_the_rules(client):
    schema = client.get("/api/v1/media/openapi.json").json()["components"]["schemas"]["EditImage"]
    assert {"mask_asset_id", "mask_description", "mask"} <= set(schema["properties"])
    remove = next(rule for rule in schema["allOf"] if rule["if"]["properties"]["mode"]["const"] == "remove")
    assert len(remove["then"]["oneOf"]) == 3
