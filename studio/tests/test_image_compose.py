"""compose_image (issue 13.4): several of the user's images and a prompt make one new image, on the
real worker path through the emulator (a Gemini image model over HTTP). The API, the tool, the
slash command and the Compose tab; the user's own images only; the model's limit on inputs."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from billing.models import CostEntry, Reservation
from studio import assets, slash
from studio.models import MediaJob
from studio.tests.conftest import product_requests
from studio.tests.factories import make_png

COMPOSE = "/studio/images/compose/"
ESTIMATE = "/studio/images/compose/estimate/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _result(api, accepted):
    status = api.get(accepted["status_url"]).json()
    assert status["state"] == "succeeded", status
    return api.get(accepted["result_url"]).json()


def _photos(user, count):
    """`count` different uploads of the user's, oldest first."""
    return [assets.save_upload(user, make_png((64 + i, 48), (40 * i % 256, 120, 200))) for i in range(count)]


def _sent(emulator) -> list[dict]:
    return [r["json"] for r in product_requests(emulator) if r["path"].endswith(":generateContent")]


def _nothing_reserved(user):
    assert not Reservation.objects.filter(user=user).exists()
    assert not MediaJob.objects.filter(owner=user).exists()


def test_it_composes_the_users_images_in_order_and_charges_one_image(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    first, second = _photos(user, 2)
    body = {
        "image_ids": [str(second.id), str(first.id)],
        "prompt": "put the person from image 1 in front of Table Mountain from image 2",
        "aspect_ratio": "4:5",
        "image_size": "2K",
        "output_format": "webp",
    }
    response = api.login(user).post("/images/compose", body)

    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["quote"]["usd_micros"] == 100_800  # gemini-3.1-flash-image at 2K
    [image] = _result(api, accepted)["assets"]
    assert image["mime_type"] == "image/webp" and (image["width"], image["height"]) == (1856, 2304)

    [sent] = _sent(studio_env)
    parts = sent["contents"][0]["parts"]
    inline = [
        p.get("inlineData") or p.get("inline_data") for p in parts if "inlineData" in p or "inline_data" in p
    ]
    originals = [assets.read_bytes(second.file), assets.read_bytes(first.file)]
    assert [base64.urlsafe_b64decode(i["data"]) for i in inline] == originals  # image 1 first
    assert "Table Mountain" in " ".join(p.get("text", "") for p in parts)
    assert sent["generationConfig"]["imageConfig"]["imageSize"] == "2K"
    assert "mask" not in str(sent).lower()

    entry = CostEntry.objects.get(reference=f"job:{accepted['job_id']}")
    assert (entry.operation, entry.model, entry.variant, entry.units, entry.usd_micros) == (
        "compose_image",
        "gemini-3.1-flash-image",
        "2K",
        1,
        100_800,
    )


def test_another_users_image_is_not_found_and_nothing_is_charged(studio_env, api, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    [mine] = _photos(bob, 1)
    [hers] = _photos(alice, 1)
    response = api.login(bob).post(
        "/images/compose", {"image_ids": [str(mine.id), str(hers.id)], "prompt": "the two of us"}
    )

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert not product_requests(studio_env)
    _nothing_reserved(bob)


def test_more_images_than_the_model_takes_is_refused_with_its_code(studio_env, api, make_user, settings):
    # A Gemini id the catalog does not know composes with at most 3 (the oldest model's limit).
    settings.MODEL_IMAGE_COMPOSE = "gemini-2.5-flash-image"
    user = make_user(tier="JIGGA")
    ids = [str(a.id) for a in _photos(user, 4)]
    response = api.login(user).post("/images/compose", {"image_ids": ids, "prompt": "all four together"})

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert (error["code"], error["most"], error["field"]) == ("too_many_images", 3, "image_ids")
    assert not product_requests(studio_env)
    _nothing_reserved(user)


def test_more_than_any_model_takes_is_a_validation_error(studio_env, api, make_user):
    user = make_user(tier="JIGGA")
    ids = [str(uuid.uuid4()) for _ in range(15)]
    response = api.login(user).post("/images/compose", {"image_ids": ids, "prompt": "everyone"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "image_ids"
    _nothing_reserved(user)


def test_free_users_are_refused_with_an_upgrade_answer(studio_env, api, make_user):
    user = make_user(tier="FREE")
    [photo] = _photos(user, 1)
    response = api.login(user).post(
        "/images/compose", {"image_ids": [str(photo.id)], "prompt": "at the beach"}
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "upgrade_required"
    _nothing_reserved(user)


def test_the_tool_composes_for_the_user(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    first, second = _photos(user, 2)
    response = api.login(user).post(
        "/tools/call",
        {
            "name": "compose_image",
            "arguments": {"image_ids": [str(first.id), str(second.id)], "prompt": "together"},
        },
    )
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["ok"] is True and "composing 2 images" in answer["message"]
    assert MediaJob.objects.get(owner=user).operation == "compose_image"


def test_the_slash_command_takes_image_ids():
    a, b = uuid.uuid4(), uuid.uuid4()
    request = slash.parse(f"/compose put image 1 at Table Mountain --images {a},{b} --size 2K --format jpeg")
    assert request.operation == "compose_image"
    assert request.params.image_ids == [a, b] and request.params.prompt == "put image 1 at Table Mountain"
    assert (request.params.image_size, request.params.output_format) == ("2K", "jpeg")
    with pytest.raises(slash.CommandError, match="each image once"):
        slash.parse(f"/compose x --images {a} {a}")


# --- The Compose tab ------------------------------------------------------------------------


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def post_(data, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(COMPOSE, data, **headers)

    return post_


def _form(images, **overrides) -> dict:
    return {
        "images": [str(a.id) for a in images],
        "prompt": "put the person from image 1 at Table Mountain",
        "count": "1",
        "aspect_ratio": "",
        "image_size": "1K",
        "output_format": "png",
        "idempotency_key": str(uuid.uuid4()),
        **overrides,
    }


def test_the_tab_offers_free_users_the_plans_instead_of_a_form(studio_env, client, make_user):
    client.force_login(make_user(tier="FREE"))
    text = client.get(COMPOSE).content.decode()
    assert 'aria-current="page">Compose' in text and "Composing comes with a paid plan" in text
    assert 'id="compose-form"' not in text


def test_the_tab_lists_only_the_users_images_with_sizes_priced_and_gated(studio_env, client, make_user):
    jive = make_user(tier="JIVE")
    mine = _photos(jive, 2)
    _photos(make_user(tier="JIVE"), 1)  # someone else's
    client.force_login(jive)
    text = client.get(COMPOSE).content.decode()

    assert sorted(re.findall(r'type="checkbox" name="images" value="([^"]+)"', text)) == sorted(
        str(a.id) for a in mine
    )
    assert "R1.24 per image · $0.07" in text  # 1K on gemini-3.1-flash-image: $0.0672 at R18.50
    four_k = re.search(r'<input type="radio" name="image_size" value="4K"[^>]*>', text)[0]
    assert "disabled" in four_k and "4K is on JIGGA" in text and "R2.80 per image · $0.15" in text
    assert 'value="9:21"' in text  # every ratio 3.1 Flash Image makes


def test_the_estimate_numbers_the_ticked_images_and_follows_the_size(studio_env, client, make_user):
    jigga = make_user(tier="JIGGA")
    first, second = _photos(jigga, 2)
    client.force_login(jigga)
    query = f"?images={second.id}&images={first.id}&image_size=4K&count=1&prompt="
    text = client.get(ESTIMATE + query, **HTMX).content.decode()
    assert text.index(f"/media/a/{second.id}/") < text.index(f"/media/a/{first.id}/")
    assert "Image 1" in text and "Image 2" in text
    assert "R2.80" in text and "$0.15" in text and "1 × 4K" in text


def test_the_form_submits_one_job_and_shows_its_card(studio_env, client, make_user, post):
    jive = make_user(tier="JIVE")
    images = _photos(jive, 2)
    client.force_login(jive)
    response = post(_form(images), **HTMX)

    assert response.status_code == 200
    job = MediaJob.objects.get(owner=jive)
    assert job.operation == "compose_image" and job.state == "succeeded"
    assert job.params["image_ids"] == [str(a.id) for a in images]
    assert f'id="job-{job.id}"' in response.content.decode()


def test_the_form_shows_someone_elses_image_beside_the_picker(studio_env, client, make_user, post):
    jive = make_user(tier="JIVE")
    [mine] = _photos(jive, 1)
    [theirs] = _photos(make_user(tier="JIVE"), 1)
    client.force_login(jive)
    text = post(_form([mine, theirs]), **HTMX).content.decode()
    assert 'id="image-error">Choose your own images.' in text
    _nothing_reserved(jive)


def test_the_form_shows_too_many_images_beside_the_picker(studio_env, client, make_user, post, settings):
    settings.MODEL_IMAGE_COMPOSE = "gemini-2.5-flash-image"  # at most 3 (see above)
    jigga = make_user(tier="JIGGA")
    images = _photos(jigga, 4)
    client.force_login(jigga)
    text = post(_form(images), **HTMX).content.decode()
    assert 'id="image-error">The image model in use takes at most 3 images; 4 were chosen.' in text
    _nothing_reserved(jigga)


def test_the_command_box_composes_and_shows_the_card(
    studio_env, client, make_user, django_capture_on_commit_callbacks
):
    jive = make_user(tier="JIVE")
    first, second = _photos(jive, 2)
    client.force_login(jive)
    text = f"/compose put image 1 beside image 2 --images {first.id} {second.id} --format jpeg"
    data = {"command": text, "idempotency_key": str(uuid.uuid4()), "box": "h"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/studio/command/", data, **HTMX)

    assert response.status_code == 200
    job = MediaJob.objects.get(owner=jive)
    assert job.operation == "compose_image" and job.state == "succeeded"
    assert job.assets.get().mime_type == "image/jpeg"
    html = response.content.decode()
    assert f'id="job-{job.id}"' in html and "1 composition of 2 images" in html
