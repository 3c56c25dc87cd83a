"""Image Studio, Edit tab: step 1 (pick or upload), the canvas page's form (modes, outpaint, cost,
errors), submitting an edit with a mask, and the FREE demo that creates nothing."""

from __future__ import annotations

import base64
import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from billing.models import Reservation
from studio import assets
from studio.models import IdempotencyRecord, MediaJob
from studio.tests.factories import make_mask, make_photo, make_png

EDIT = "/studio/images/edit/"
DEMO = "/studio/images/edit/demo/"
ESTIMATE = "/studio/images/edit/estimate/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def canvas(asset) -> str:
    return f"{EDIT}{asset.id}/"


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def form(**overrides) -> dict:
    data = {
        "mode": "insert",
        "prompt": "A sunbird on the branch",
        "count": "1",
        "negative_prompt": "",
        "seed": "",
        "mask": "",
        "outpaint_by": "sides",
        "left": "0",
        "top": "0",
        "right": "0",
        "bottom": "0",
        "outpaint_aspect_ratio": "16:9",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST and run the on-commit enqueue (inline with studio_env's q_sync)."""

    def post_(url, data, *, execute=True, **headers):
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(url, data, **headers)

    return post_


@pytest.fixture
def alice(make_user, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user(username="alice", tier="JIVE")
    client.force_login(user)
    return user


# --- Step 1 ---------------------------------------------------------------------------------


def test_it_lists_the_users_images_newest_first_and_not_anyone_elses(client, alice, make_user):
    older = assets.save_upload(alice, make_png((40, 30)))
    newer = assets.save_upload(alice, make_png((30, 40)))
    bobs = assets.save_upload(make_user(username="bob", tier="JIVE"), make_png())
    response = client.get(EDIT)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Edit' in text and 'aria-current="step">Pick an image' in text
    assert text.index(canvas(newer)) < text.index(canvas(older))
    assert canvas(bobs) not in text
    assert 'enctype="multipart/form-data"' in text and 'name="image" type="file"' in text


def test_it_pages_the_picker_with_a_link_to_older_images(client, alice, settings):
    settings.UPLOADS_PER_MINUTE = 25  # test data, not one person's burst
    for _ in range(25):
        assets.save_upload(alice, make_png((8, 8)))
    first = client.get(EDIT).content.decode()
    assert first.count('href="/studio/images/edit/') == 24 + 1  # 24 thumbnails and the Edit tab
    assert 'href="?page=2">Older images' in first
    main = client.get(EDIT, {"page": "2"}).content.decode().partition("<main")[2]
    assert main.count("<img") == 1


def test_it_uploads_an_image_and_opens_it_on_the_canvas(client, alice):
    response = client.post(EDIT, {"image": SimpleUploadedFile("p.png", make_photo((120, 80)), "image/png")})
    asset = alice.media_assets.get()
    assert response.status_code == 302 and response.url == canvas(asset)
    assert (asset.width, asset.height) == (120, 80)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"GIF89a" + b"\x00" * 40, "GIF images are not supported"),
        (b"this is not an image", "not a valid PNG, JPEG or WebP"),
        (make_png()[:60], "truncated or corrupt"),
        (b"", "The file is empty."),
    ],
)
def test_it_shows_a_bad_upload_as_a_form_error(client, alice, payload, message):
    response = client.post(EDIT, {"image": SimpleUploadedFile("x.png", payload, "image/png")})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="image-error"' in text and message in text and 'aria-invalid="true"' in text
    assert not alice.media_assets.exists()


def test_it_refuses_an_upload_over_the_byte_limit_as_a_form_error(client, alice, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    noise = io.BytesIO()
    Image.effect_noise((200, 200), 64).save(noise, "PNG")
    response = client.post(EDIT, {"image": SimpleUploadedFile("big.png", noise.getvalue(), "image/png")})
    assert response.status_code == 200 and "larger than 1000 bytes" in response.content.decode()
    assert not alice.media_assets.exists()


def test_it_asks_for_a_file_when_none_is_sent(client, alice):
    response = client.post(EDIT, {})
    assert response.status_code == 200 and "Choose an image file to upload." in response.content.decode()


# --- The canvas page ------------------------------------------------------------------------


def test_it_renders_the_canvas_at_the_images_pixel_size_with_tools_modes_and_cost(client, alice):
    asset = assets.save_upload(alice, make_photo((96, 64)))
    response = client.get(canvas(asset))
    text = response.content.decode()
    assert response.status_code == 200
    assert '<canvas width="96" height="64"' in text
    assert "mask_editor.js" in text and "edit.css" in text
    for label in ("Brush", "Eraser", "Undo", "Redo", "Clear", "Invert", "Mask only", "Shortcuts"):
        assert f">{label}<" in text
    for mode in ("insert", "remove", "background_swap", "outpaint"):
        assert f'name="mode" value="{mode}"' in text
    for side in ("left", "top", "right", "bottom"):
        assert f'name="{side}" type="number"' in text
    assert 'name="mask"' in text and 'name="idempotency_key"' in text
    assert "Painting a mask needs JavaScript" in text  # the <noscript> explanation
    assert "R0.74" in text and "$0.04" in text and "19 edits left this month" in text


def test_it_answers_404_for_someone_elses_image_and_for_a_video_or_unknown_id(client, alice, make_user):
    bobs = assets.save_upload(make_user(username="bob", tier="JIVE"), make_png())
    assert client.get(canvas(bobs)).status_code == 404
    assert (
        client.post(canvas(bobs), form(mask=data_url(make_mask((64, 48), (0, 0, 8, 8))))).status_code == 404
    )
    assert client.get(f"{EDIT}{uuid.uuid4()}/").status_code == 404
    assert not MediaJob.objects.exists()


def test_it_estimates_the_cost_for_the_count_and_what_is_left(client, alice):
    text = client.get(ESTIMATE, {"count": "3"}, **HTMX).content.decode()
    assert "R2.22" in text and "$0.12" in text and "17 edits left this month" in text
    assert "<html" not in text
    bad = client.get(ESTIMATE, {"count": "9"})
    assert bad.status_code == 200 and "Choose 1 to 4" in bad.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"prompt": ""}, "prompt", "Describe what to put in the edited area."),
        ({"mode": "remove"}, "mask", "Paint the area to edit on the picture first."),
        ({"mode": "sideways"}, "mode", "Choose one of the options."),
        ({"prompt": "x" * 2001}, "prompt", "At most 2\xa0000 characters"),
        ({"count": "7"}, "count", "Choose 1 to 4."),
        ({"seed": "-3"}, "seed", "A seed is a whole number"),
        ({"mode": "outpaint"}, "outpaint", "Extend at least one side by some pixels."),
        ({"mode": "outpaint", "left": "lots"}, "outpaint", "whole number of pixels"),
        (
            {"mode": "outpaint", "outpaint_by": "ratio", "outpaint_aspect_ratio": "2:1"},
            "outpaint_aspect_ratio",
            "Choose one",
        ),
    ],
)
def test_it_rerenders_invalid_input_as_form_errors_and_creates_no_job(
    client, alice, post, overrides, field, message
):
    asset = assets.save_upload(alice, make_photo((64, 48)))
    mask = data_url(make_mask((64, 48), (8, 8, 24, 24)))
    data = form(mask=mask if overrides.get("mode") != "remove" else "", **overrides)
    response = post(canvas(asset), data, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text and 'id="edit-form"' in text
    assert message in text, field
    assert f'value="{data["idempotency_key"]}"' in text  # the same request, still unsent
    assert mask not in text  # the mask stays on the canvas; it is never echoed back
    assert not MediaJob.objects.exists()


@pytest.mark.parametrize(
    ("mask_size", "message"),
    [((32, 24), "The mask is 32×24 pixels but the image is 64×48"), ((64, 48), "The mask is empty")],
)
def test_it_shows_a_mask_of_the_wrong_size_or_an_empty_one_next_to_the_canvas(
    client, alice, post, studio_env, mask_size, message
):
    asset = assets.save_upload(alice, make_photo((64, 48)))
    mask = (
        make_mask(mask_size, (4, 4, 8, 8))
        if message.startswith("The mask is 32")
        else make_png(mask_size, 0, mode="L")
    )
    response = post(canvas(asset), form(mask=data_url(mask)))
    text = response.content.decode()
    assert response.status_code == 200 and 'id="mask-error"' in text and message in text
    assert not MediaJob.objects.exists() and not Reservation.objects.exists()


def test_it_submits_an_insert_edit_with_the_mask_stored_at_the_images_size(client, alice, post, studio_env):
    asset = assets.save_upload(alice, make_photo((96, 64)))
    # What mask_editor.js sends: an opaque black-and-white PNG of the image's size.
    painted = Image.new("RGB", (96, 64), "black")
    painted.paste("white", (10, 12, 40, 30))
    buffer = io.BytesIO()
    painted.save(buffer, "PNG")
    response = post(canvas(asset), form(mask=data_url(buffer.getvalue()), count="2"))
    job = MediaJob.objects.get()
    assert response.status_code == 302 and response.url == f"/studio/jobs/{job.id}/"
    assert job.owner == alice and job.operation == "edit_image" and job.units == 2
    assert job.params["mode"] == "insert" and job.params["image_id"] == str(asset.id)
    assert "mask" not in job.params and job.params["outpaint"] is None
    with job.mask.open("rb") as f, Image.open(f) as stored:
        assert stored.size == (96, 64) and stored.mode == "L"
        assert stored.getbbox() == (10, 12, 40, 30)
        assert sum(stored.histogram()[1:255]) == 0  # black and white only
    job.refresh_from_db()
    assert job.state == MediaJob.State.SUCCEEDED  # ran inline on the emulator
    assert job.assets.count() == 2
    # The edit shows on the canvas page's list of this image's edits.
    assert f'id="job-{job.id}"' in client.get(canvas(asset)).content.decode()


def test_it_renders_the_progress_card_and_a_fresh_form_for_htmx(client, alice, post, studio_env):
    asset = assets.save_upload(alice, make_photo((64, 48)))
    data = form(mode="remove", prompt="", mask=data_url(make_mask((64, 48), (8, 8, 24, 24))))
    response = post(canvas(asset), data, execute=False, **HTMX)
    text = response.content.decode()
    job = MediaJob.objects.get()
    assert response.status_code == 200 and "<html" not in text
    assert 'id="edit-form"' in text and data["idempotency_key"] not in text
    assert 'hx-swap-oob="afterbegin:#edit-results"' in text and f'id="job-{job.id}"' in text
    assert f'hx-get="/studio/jobs/{job.id}/"' in text and 'hx-trigger="every 3s"' in text


def test_it_makes_one_job_when_the_same_form_is_sent_twice(client, alice, post, studio_env):
    asset = assets.save_upload(alice, make_photo((64, 48)))
    data = form(mask=data_url(make_mask((64, 48), (8, 8, 24, 24))))
    first, second = post(canvas(asset), data), post(canvas(asset), data)
    assert MediaJob.objects.count() == 1 and first.url == second.url


@pytest.mark.parametrize(
    ("overrides", "sides", "ratio"),
    [
        ({"left": "16", "bottom": "8"}, {"left": 16, "top": 0, "right": 0, "bottom": 8}, None),
        ({"outpaint_by": "ratio", "outpaint_aspect_ratio": "16:9", "left": "99"}, None, "16:9"),
    ],
)
def test_it_submits_an_outpaint_by_sides_or_by_aspect_ratio(
    client, alice, post, studio_env, overrides, sides, ratio
):
    asset = assets.save_upload(alice, make_photo((64, 48)))
    # A mask painted before switching to outpaint is not part of the request.
    data = form(mode="outpaint", prompt="", mask=data_url(make_mask((64, 48), (0, 0, 8, 8))), **overrides)
    response = post(canvas(asset), data)
    job = MediaJob.objects.get()
    assert response.status_code == 302
    assert job.params["outpaint"] == sides and job.params["outpaint_aspect_ratio"] == ratio
    assert not job.mask
    job.refresh_from_db()
    assert job.state == MediaJob.State.SUCCEEDED
    result = job.assets.get()
    expected = (64 + 16, 48 + 8) if sides else (85, 48)  # 16:9 around 64×48 adds width
    assert (result.width, result.height) == expected


def test_it_shows_the_upgrade_prompt_when_the_allowance_is_used_up(
    client, alice, post, studio_env, make_user
):
    asset = assets.save_upload(alice, make_photo((64, 48)))
    mask = data_url(make_mask((64, 48), (8, 8, 24, 24)))
    for _ in range(5):
        post(canvas(asset), form(mask=mask, count="4"))
    response = post(canvas(asset), form(mask=mask))
    text = response.content.decode()
    assert MediaJob.objects.count() == 5
    assert "Not enough allowance left" in text and "JIGGA" in text and "100 edits a month" in text


# --- FREE: the demo -------------------------------------------------------------------------


def test_it_shows_free_users_the_demo_with_a_prepared_mask_and_result(client, make_user):
    client.force_login(make_user(tier="FREE"))
    response = client.get(EDIT)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Demo." in text and 'data-mask-src="/static/studio/demo/edit-mask.png"' in text
    assert '<canvas width="768" height="512"' in text
    assert "/static/studio/demo/edit-source.webp" in text and "/static/studio/demo/edit-result.webp" in text
    assert f'action="{DEMO}"' in text
    # The estimate already says editing is not part of the plan, and what offers it.
    assert "not part of the Free plan" in text or "not part of the FREE plan" in text
    assert "JIVE (R49.00 a month, 20 edits)" in text
    assert 'name="image" type="file"' not in text  # no upload on a demo-only plan


def test_it_answers_a_free_apply_with_the_upgrade_prompt_and_creates_nothing(client, make_user, post):
    client.force_login(make_user(tier="FREE"))
    mask = data_url(make_mask((768, 512), (150, 36, 310, 280)))
    for headers in ({}, HTMX):
        response = post(DEMO, form(mask=mask), **headers)
        text = response.content.decode()
        assert response.status_code == 200
        assert 'role="alert"' in text and "Edit your own images with:" in text
        assert "<strong>JIVE</strong> — R49.00 a month: 20 edits a month" in text
        assert "<strong>JIGGA</strong> — R149.00 a month: 100 edits a month" in text
    assert not MediaJob.objects.exists() and not Reservation.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_it_refuses_a_free_users_edit_of_their_own_image_with_the_upgrade_prompt(
    client, make_user, post, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    bongi = make_user(tier="FREE")
    client.force_login(bongi)
    asset = assets.save_upload(bongi, make_photo((64, 48)))
    page = client.get(canvas(asset)).content.decode()
    assert "the editor is a demo" in page and '<canvas width="64" height="48"' in page
    response = post(canvas(asset), form(mask=data_url(make_mask((64, 48), (8, 8, 24, 24)))))
    text = response.content.decode()
    assert response.status_code == 200 and "Edit your own images with:" in text and "JIGGA" in text
    assert not MediaJob.objects.exists() and not Reservation.objects.exists()


def test_it_tells_a_paid_user_who_applies_the_demo_to_edit_their_own_images(client, alice, post):
    assert client.get(DEMO).status_code == 200
    text = post(DEMO, form()).content.decode()
    assert "This is the demo picture" in text and not MediaJob.objects.exists()


def test_it_issues_a_new_idempotency_key_for_each_render(client, alice):
    asset = assets.save_upload(alice, make_png())
    keys = {
        re.search(r'name="idempotency_key" value="([^"]+)"', client.get(canvas(asset)).content.decode())[1]
        for _ in range(2)
    }
    assert len(keys) == 2
