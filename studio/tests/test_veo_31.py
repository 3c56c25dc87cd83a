"""Veo 3.1 through the JSON API, the worker and the emulator: reference-to-video, extending a
video, the Lite model, 4K, prompt enhancement, and video output through storageUri or inline.
Every refusal is a clear error with a stable code, and nothing is reserved or charged."""

from __future__ import annotations

import pytest

from billing.models import CostEntry, Reservation
from studio import assets, operations, providers
from studio.models import MediaAsset, MediaJob
from studio.tests.factories import make_photo, make_video_clip

from .conftest import product_requests
from .test_api_jobs import _result, _upload

# USD per second from the price rows (billing migration 0004; README "Prices").
PER_SECOND = {
    ("generate_video", False, False): (200_000, 400_000),  # Veo 3.1 at 720p, without / with audio
    ("generate_video", True, False): (80_000, 100_000),  # Fast
    ("generate_video", False, True): (30_000, 50_000),  # Lite
}


def nothing_reserved(user) -> bool:
    return (
        not Reservation.objects.filter(user=user).exists()
        and not MediaJob.objects.filter(owner=user).exists()
    )


def submits(emulator) -> list[dict]:
    return [r["json"] for r in product_requests(emulator) if r["path"].endswith(":predictLongRunning")]


# --- Reference-to-video ---------------------------------------------------------------------


def test_reference_images_make_an_8_second_video_charged_as_8_seconds(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    refs = [_upload(api, make_photo((160, 90))), _upload(api, make_photo((90, 160)))]

    response = api.post(
        "/videos/generate",
        {
            "prompt": "the two of them at a braai",
            "reference_image_ids": refs,
            "fast": True,
            "aspect_ratio": "9:16",
        },
    )

    assert response.status_code == 202, response.content
    # Veo 3.1 Fast at 720p without audio: $0.08 a second, 8 s = $0.64.
    assert response.json()["quote"]["usd"] == "$0.64"
    video = _result(api, response.json())["assets"][0]
    assert video["duration_seconds"] == pytest.approx(8, abs=0.3) and video["height"] > video["width"]
    sent = submits(studio_env)[0]["instances"][0]["referenceImages"]
    assert [r["referenceType"].lower() for r in sent] == ["asset", "asset"]
    entry = CostEntry.objects.get(reference=f"job:{response.json()['job_id']}")
    assert (entry.model, entry.variant, entry.units, entry.usd_micros) == (
        "veo-3.1-fast-generate-001",
        "720p",
        8,
        640_000,
    )


@pytest.mark.parametrize(
    ("body", "code", "detail_type"),
    [
        ({"fast": True}, "validation_error", "too_long"),  # four: more than any Veo 3.1 model takes
        ({"lite": True, "count_refs": 1}, "too_many_images", None),  # Lite takes none
        ({"duration_seconds": 6, "count_refs": 1}, "validation_error", "references_last_eight_seconds"),
    ],
)
def test_reference_images_the_model_does_not_take_are_refused_uncharged(
    studio_env, api, make_user, body, code, detail_type
):
    user = make_user(tier="JIGGA")
    api.login(user)
    count = body.pop("count_refs", 4)
    refs = [_upload(api, make_photo((64 + i, 48))) for i in range(count)]

    response = api.post("/videos/generate", {"prompt": "a kudu", "reference_image_ids": refs, **body})

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if detail_type:
        assert [d["type"] for d in error["details"]] == [detail_type]
    else:
        assert (error["field"], error["most"]) == ("reference_image_ids", 0)
        assert error["message"] == "Veo 3.1 Lite cannot use reference images (you chose 1)."
    assert nothing_reserved(user) and submits(studio_env) == []


def test_another_users_image_as_a_reference_is_not_found_and_uncharged(studio_env, api, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    bobs = assets.save_upload(bob, make_photo((64, 48)))
    api.login(alice)
    mine = _upload(api)

    response = api.post("/videos/generate", {"prompt": "a kudu", "reference_image_ids": [mine, str(bobs.id)]})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert nothing_reserved(alice)


# --- Lite and the price rows ------------------------------------------------------------------


@pytest.mark.parametrize(("fast", "lite"), [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("audio", [False, True])
def test_each_model_quotes_its_own_price_row(db, make_user, fast, lite, audio):
    user = make_user(tier="JIVE")

    _, quote = operations.quote(user, "generate_video", 8, fast=fast, lite=lite, generate_audio=audio)

    assert quote.usd_micros == 8 * PER_SECOND[("generate_video", fast, lite)][audio]
    assert quote.variant == ("720p+audio" if audio else "720p")


def test_a_lite_video_is_charged_from_the_lite_row(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    response = api.login(user).post(
        "/videos/generate", {"prompt": "waves", "lite": True, "duration_seconds": 4, "generate_audio": True}
    )

    assert response.status_code == 202, response.content
    _result(api, response.json())
    entry = CostEntry.objects.get(reference=f"job:{response.json()['job_id']}")
    assert (entry.model, entry.variant, entry.usd_micros) == (
        "veo-3.1-lite-generate-001",
        "720p+audio",
        200_000,
    )
    assert "/veo-3.1-lite-generate-001:" in product_requests(studio_env)[0]["path"]


def test_choosing_both_fast_and_lite_is_refused(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    response = api.login(user).post("/videos/generate", {"prompt": "waves", "fast": True, "lite": True})

    assert response.status_code == 422
    assert [d["type"] for d in response.json()["error"]["details"]] == ["video_one_model"]
    assert nothing_reserved(user)


# --- 4K ----------------------------------------------------------------------------------------


def test_4k_is_a_jigga_choice_and_jive_gets_the_way_up(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    response = api.login(user).post("/videos/generate", {"prompt": "waves", "resolution": "4k"})

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "upgrade_required" and [o["tier"] for o in error["upgrade"]] == ["JIGGA"]
    assert nothing_reserved(user)


@pytest.mark.parametrize("model", ["fast", "lite"])
def test_4k_on_a_model_that_does_not_make_it_is_a_clear_error(studio_env, api, make_user, model):
    user = make_user(tier="JIGGA")
    response = api.login(user).post("/videos/generate", {"prompt": "waves", "resolution": "4k", model: True})

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["supported"]) == (
        "unsupported_resolution",
        "resolution",
        ["720p", "1080p"],
    )
    assert "makes 720p, 1080p videos, not 4K" in error["message"]
    assert nothing_reserved(user)


def test_jigga_makes_4k_on_the_standard_model_priced_from_its_row(studio_env, api, make_user, settings):
    settings.VIDEO_POLLER_BUDGET_SECONDS = 180  # a 4K render takes the emulator's ffmpeg a while
    user = make_user(tier="JIGGA")
    response = api.login(user).post(
        "/videos/generate", {"prompt": "waves", "resolution": "4k", "duration_seconds": 4}
    )

    assert response.status_code == 202, response.content
    assert response.json()["quote"]["usd"] == "$1.60"  # $0.40 a second at 4K without audio
    video = _result(api, response.json())["assets"][0]
    assert (video["width"], video["height"]) == (3840, 2160)
    assert submits(studio_env)[0]["parameters"]["resolution"] == "4k"


# --- Prompt enhancement and the seed -------------------------------------------------------------


def test_enhance_prompt_off_is_sent_and_the_seed_is_applied(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    response = api.post(
        "/videos/generate", {"prompt": "waves", "duration_seconds": 4, "seed": 11, "enhance_prompt": False}
    )
    on = api.post("/videos/generate", {"prompt": "waves", "duration_seconds": 4, "seed": 11})

    first, second = submits(studio_env)
    assert first["parameters"]["enhancePrompt"] is False and second["parameters"]["enhancePrompt"] is True
    assert MediaJob.objects.get(pk=response.json()["job_id"]).seed_applied is True
    assert MediaJob.objects.get(pk=on.json()["job_id"]).seed_applied is False
    assert providers.seed_note(providers.Operation.VIDEO, enhance_prompt=False) == ""
    assert "prompt enhancement is on" in providers.seed_note(providers.Operation.VIDEO, enhance_prompt=True)


# --- Extend ------------------------------------------------------------------------------------


def _a_video(api, **body) -> dict:
    response = api.post("/videos/generate", {"prompt": "waves", "duration_seconds": 4, "lite": True, **body})
    assert response.status_code == 202, response.content
    return _result(api, response.json())["assets"][0]


def test_it_extends_a_users_video_by_7_seconds_through_the_bucket(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    source = _a_video(api)

    response = api.post("/videos/extend", {"video_id": source["asset_id"], "prompt": "the tide comes in"})

    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["units"] == 7 and accepted["quote"]["usd"] == "$1.40"  # Veo 3.1 720p: $0.20 a second
    extended = _result(api, accepted)["assets"][0]
    assert extended["duration_seconds"] == pytest.approx(11, abs=0.3)
    submit = submits(studio_env)[1]
    assert submit["instances"][0]["video"]["mimeType"] == "video/mp4"
    assert submit["parameters"]["durationSeconds"] == 7
    assert submit["parameters"]["storageUri"].endswith(f"/videos/{accepted['job_id']}/")  # out through GCS
    entry = CostEntry.objects.get(reference=f"job:{accepted['job_id']}")
    assert (entry.operation, entry.units, entry.usd_micros) == ("extend_video", 7, 1_400_000)


def test_without_a_bucket_the_extended_video_comes_back_inline(studio_env, api, make_user, settings):
    settings.GCS_BUCKET = ""
    user = make_user(tier="JIVE")
    api.login(user)
    source = _a_video(api)

    response = api.post("/videos/extend", {"video_id": source["asset_id"], "fast": True})

    extended = _result(api, response.json())["assets"][0]
    assert extended["duration_seconds"] == pytest.approx(11, abs=0.3)
    submit = submits(studio_env)[1]
    assert (
        "storageUri" not in submit["parameters"] and "bytesBase64Encoded" in submit["instances"][0]["video"]
    )


def test_a_video_too_long_to_extend_is_refused_uncharged(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    long = assets.create_video_asset(owner=user, data=make_video_clip(31), synthid=True)

    response = api.login(user).post("/videos/extend", {"video_id": str(long.id)})

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["most"]) == ("video_too_long", "video_id", 30)
    assert "31 seconds long" in error["message"] and "up to 30 seconds" in error["message"]
    assert nothing_reserved(user) and submits(studio_env) == []


def test_another_users_video_or_an_image_cannot_be_extended(studio_env, api, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    bobs = assets.create_video_asset(owner=bob, data=make_video_clip(4), synthid=True)
    api.login(alice)
    image = _upload(api)

    for video_id in (str(bobs.id), image):
        response = api.post("/videos/extend", {"video_id": video_id})
        assert response.status_code == 404
        assert response.json()["error"] == {"code": "not_found", "message": "No video with that id."}
    assert nothing_reserved(alice) and submits(studio_env) == []
    assert MediaAsset.objects.filter(owner=alice).count() == 1


def test_free_users_cannot_extend(studio_env, api, make_user):
    user = make_user(tier="FREE")
    own = assets.create_video_asset(owner=user, data=make_video_clip(4), synthid=True)

    response = api.login(user).post("/videos/extend", {"video_id": str(own.id)})

    assert response.status_code == 403 and response.json()["error"]["code"] == "upgrade_required"
    assert not Reservation.objects.filter(user=user).exists()
