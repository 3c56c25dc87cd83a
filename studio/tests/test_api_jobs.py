"""Submit → worker → emulator → stored asset → result URL, through the JSON API.

The worker runs inline (django-q2 sync mode) after the request's transaction commits; the
providers talk real HTTP to the offline emulator. The same pipeline under a real qcluster is in
test_worker_cluster.py.
"""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from PIL import Image

from billing.models import Allowance, CostEntry, Reservation
from studio import assets, worker
from studio.models import MediaAsset, MediaJob
from studio.tests.factories import make_photo, make_png


def _result(api, accepted):
    status = api.get(accepted["status_url"]).json()
    assert status["state"] == "succeeded", status
    return api.get(accepted["result_url"]).json()


def _fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def _upload(api, data=None):
    response = api.upload(data or make_photo((128, 96)))
    assert response.status_code == 201, response.content
    return response.json()["asset_id"]


def test_it_generates_images_for_a_paid_tier(studio_env, api, make_user, client):
    user = make_user(tier="JIVE")
    response = api.login(user).post("/images/generate", {"prompt": "a protea at dawn", "count": 2})

    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["quote"]["zar"] == "R1.48" and accepted["quote"]["usd"] == "$0.08"
    result = _result(api, accepted)
    assert len(result["assets"]) == 2
    image = result["assets"][0]
    assert image["synthid"] is True and image["watermarked"] is False
    data = _fetch(client, image["url"])
    assert Image.open(io.BytesIO(data)).size == (image["width"], image["height"])
    entry = CostEntry.objects.get(reference=f"job:{accepted['job_id']}")
    assert (entry.units, entry.zar_cents, entry.usd_micros) == (2, 148, 80_000)
    assert Allowance.objects.get(user=user, meter="images").used == 2


def test_it_gives_free_users_a_watermarked_preview_once_a_day(studio_env, api, make_user, client):
    user = make_user(tier="FREE")
    api.login(user)
    first = api.post("/images/generate", {"prompt": "Table Mountain"})
    assert first.status_code == 202, first.content
    assert first.json()["quote"]["zar"] == "R0.00"
    assert first.json()["model"] == "flux"
    result = _result(api, first.json())
    asset = MediaAsset.objects.get(pk=result["assets"][0]["asset_id"])
    assert asset.watermarked and not asset.synthid
    # The mark is in the pixels: the bottom band is darkened compared with the source image.
    pixels = Image.open(io.BytesIO(_fetch(client, result["assets"][0]["url"]))).convert("L")
    width, height = pixels.size
    band = [pixels.getpixel((x, height - 3)) for x in range(0, width, 7)]
    assert max(band) < 200

    second = api.post("/images/generate", {"prompt": "Table Mountain again"})
    assert second.status_code == 429
    error = second.json()["error"]
    assert error["code"] == "quota_exceeded" and error["remaining"] == 0
    assert error["resets_at"] and [o["tier"] for o in error["upgrade"]] == ["JIVE", "JIGGA"]
    assert MediaJob.objects.filter(owner=user).count() == 1


@pytest.mark.parametrize("operation", ["/images/edit", "/images/upscale", "/videos/generate"])
def test_it_refuses_free_users_paid_operations_with_an_upgrade_answer(studio_env, api, make_user, operation):
    user = make_user(tier="FREE")
    api.login(user)
    image_id = _upload(api)
    body = {
        "/images/edit": {"image_id": image_id, "mode": "background_swap", "prompt": "a beach"},
        "/images/upscale": {"image_id": image_id, "factor": "x2"},
        "/videos/generate": {"prompt": "waves at Muizenberg", "duration_seconds": 4},
    }[operation]
    response = api.post(operation, body)

    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "upgrade_required" and error["tier"] == "FREE"
    assert error["upgrade"][0]["tier"] == "JIVE" and error["upgrade"][0]["price"] == "R49.00"
    assert not Reservation.objects.filter(user=user).exists()
    assert not MediaJob.objects.filter(owner=user).exists()


def test_it_edits_inside_the_painted_mask(studio_env, api, make_user, client):
    user = make_user(tier="JIVE")
    api.login(user)
    image_id = _upload(api, make_photo((128, 96)))
    mask = Image.new("L", (128, 96), 0)
    mask.paste(255, (32, 24, 96, 72))
    out = io.BytesIO()
    mask.save(out, format="PNG")
    body = {
        "image_id": image_id,
        "mode": "insert",
        "prompt": "a hot air balloon",
        "mask": "data:image/png;base64," + base64.b64encode(out.getvalue()).decode(),
    }
    response = api.post("/images/edit", body)

    assert response.status_code == 202, response.content
    result = _result(api, response.json())
    edited = MediaAsset.objects.get(pk=result["assets"][0]["asset_id"])
    assert str(edited.parent_id) == image_id
    assert CostEntry.objects.get(reference=f"job:{response.json()['job_id']}").operation == "edit_image"
    assert Allowance.objects.get(user=user, meter="edits").used == 1


def test_it_refuses_a_mask_of_the_wrong_size_without_charging(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    image_id = _upload(api, make_photo((128, 96)))
    mask = base64.b64encode(make_png((64, 64), (255, 255, 255))).decode()
    response = api.post("/images/edit", {"image_id": image_id, "mode": "remove", "mask": mask})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mask_size_mismatch"
    assert not Reservation.objects.filter(user=user).exists()


def test_it_upscales_with_v3_and_v4_as_the_tier_allows(studio_env, api, make_user, client):
    jive = make_user(tier="JIVE")
    api.login(jive)
    image_id = _upload(api, make_photo((64, 48)))
    refused = api.post("/images/upscale", {"image_id": image_id, "factor": "x2", "model": "v4"})
    assert refused.status_code == 403
    assert [o["tier"] for o in refused.json()["error"]["upgrade"]] == ["JIGGA"]

    accepted = api.post("/images/upscale", {"image_id": image_id, "factor": "x4", "model": "v3"})
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["quote"]["zar"] == "R0.74"
    result = _result(api, accepted.json())
    assert (result["assets"][0]["width"], result["assets"][0]["height"]) == (256, 192)

    jigga = make_user(tier="JIGGA")
    api.login(jigga)
    own = _upload(api, make_photo((64, 48)))
    v4 = api.post("/images/upscale", {"image_id": own, "factor": "x2", "model": "v4"})
    assert v4.status_code == 202 and v4.json()["quote"]["zar"] == "R1.11"
    assert _result(api, v4.json())["assets"][0]["width"] == 128


def test_it_makes_a_video_with_audio_from_a_first_frame(studio_env, api, make_user, client):
    user = make_user(tier="JIGGA")
    api.login(user)
    frame = _upload(api, make_photo((160, 90)))
    body = {
        "prompt": "the frame comes alive",
        "duration_seconds": 4,
        "generate_audio": True,
        "first_frame_id": frame,
        "fast": True,
    }
    response = api.post("/videos/generate", body)

    assert response.status_code == 202, response.content
    accepted = response.json()
    # Veo 3.1 Fast at 720p with audio: $0.10 a second (billing.ModelPrice), 4 s = $0.40 = R7.40.
    assert accepted["meter"] == "video_audio_seconds" and accepted["quote"]["zar"] == "R7.40"
    job = MediaJob.objects.get(pk=accepted["job_id"])
    assert job.provider_job_name.startswith("projects/")
    result = _result(api, accepted)
    video = result["assets"][0]
    assert video["mime_type"] == "video/mp4" and video["has_audio"] is True
    assert video["duration_seconds"] == pytest.approx(4, abs=0.5)
    assert video["thumbnail_url"]
    assert _fetch(client, video["url"])[4:8] == b"ftyp"
    assert Allowance.objects.get(user=user, meter="video_audio_seconds").used == 4


def test_it_charges_nothing_when_the_provider_fails(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    studio_env.inject("500", times=20)
    response = api.post("/images/generate", {"prompt": "a failing request"})

    assert response.status_code == 202
    status = api.get(response.json()["status_url"]).json()
    assert status["state"] == "failed" and status["error"]["code"] == "provider_unavailable"
    assert Reservation.objects.get(reference=f"job:{status['job_id']}").state == "released"
    assert not CostEntry.objects.filter(user=user).exists()
    assert Allowance.objects.get(user=user, meter="images").reserved == 0


def test_it_releases_the_reservation_when_safety_filters_block(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    response = api.post("/images/generate", {"prompt": "a street scene [[fault:blocked]]"})

    status = api.get(response.json()["status_url"]).json()
    assert status["state"] == "failed" and status["error"]["code"] == "safety_blocked"
    assert Reservation.objects.get(reference=f"job:{status['job_id']}").state == "released"
    assert not CostEntry.objects.filter(user=user).exists()


def test_it_charges_only_the_images_that_survived_filtering(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    response = api.post("/images/generate", {"prompt": "a crowd [[fault:filter_some]]", "count": 3})

    status = api.get(response.json()["status_url"]).json()
    assert status["state"] == "succeeded", status
    delivered = MediaAsset.objects.filter(source_job_id=status["job_id"]).count()
    assert 1 <= delivered < 3
    entry = CostEntry.objects.get(reference=f"job:{status['job_id']}")
    assert entry.units == delivered and entry.zar_cents == 74 * delivered
    allowance = Allowance.objects.get(user=user, meter="images")
    assert (allowance.used, allowance.reserved) == (delivered, 0)


def test_it_does_nothing_when_a_task_is_delivered_twice(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    response = api.post("/images/generate", {"prompt": "once only"})
    job_id = response.json()["job_id"]
    calls_before = len(studio_env.requests())

    worker.run_job(job_id)  # the redelivery

    assert len(studio_env.requests()) == calls_before
    assert CostEntry.objects.filter(reference=f"job:{job_id}").count() == 1
    assert MediaAsset.objects.filter(source_job_id=job_id).count() == 1


def test_it_hides_other_users_jobs_assets_and_results(studio_env, api, make_user, client):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    api.login(alice)
    accepted = api.post("/images/generate", {"prompt": "alice's picture"}).json()
    result = _result(api, accepted)
    asset_id = result["assets"][0]["asset_id"]
    unsigned_media = f"/media/a/{asset_id}/file"

    api.login(bob)
    assert api.get(accepted["status_url"]).status_code == 404
    assert api.get(accepted["result_url"]).status_code == 404
    assert api.get(f"/assets/{asset_id}").status_code == 404
    assert client.get(unsigned_media).status_code == 404
    upscale = api.post("/images/upscale", {"image_id": asset_id, "factor": "x2"})
    assert upscale.status_code == 404 and upscale.json()["error"]["code"] == "not_found"
    assert not Reservation.objects.filter(user=bob).exists()
    # The signed link Alice got works for anyone holding it, which is what it is for.
    assert client.get(result["assets"][0]["url"]).status_code == 200


def test_it_answers_bad_input_with_codes_and_charges_nothing(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    cases = [
        (api.post("/images/generate", raw="{not json"), 400, "malformed_json"),
        (api.post("/images/generate", {"prompt": ""}), 422, "validation_error"),
        (api.post("/images/generate", {"prompt": "x" * 2001}), 422, "validation_error"),
        (api.post("/images/generate", {"prompt": "hi", "aspect_ratio": "7:3"}), 422, "validation_error"),
        (api.post("/images/generate", {"prompt": "hi", "colour": "red"}), 422, "validation_error"),
        (api.post("/images/generate", {"prompt": "hi", "count": 9}), 422, "validation_error"),
        # PostgreSQL cannot store NUL in JSON: refused up front instead of a 500 at the INSERT.
        (api.post("/images/generate", {"prompt": "a\u0000b"}), 422, "validation_error"),
        (api.post("/videos/generate", {"prompt": "a", "negative_prompt": "\u0007"}), 422, "validation_error"),
        (api.post("/videos/generate", {"prompt": "x", "duration_seconds": 5}), 422, "validation_error"),
        (
            api.post("/images/edit", {"image_id": str(uuid.uuid4()), "mode": "remove"}),
            422,
            "validation_error",
        ),
        (api.post("/images/upscale", {"image_id": str(uuid.uuid4())}), 404, "not_found"),
        (api.post("/images/generate", {"prompt": "hi"}, key="not-a-uuid"), 400, "invalid_idempotency_key"),
        (api.upload(b"GIF89a" + b"\0" * 100, name="x.gif", content_type="image/gif"), None, None),
    ]
    for response, status, code in cases:
        assert 400 <= response.status_code < 500, response.content
        if status:
            assert response.status_code == status, response.content
            assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
    assert not Reservation.objects.filter(user=user).exists()
    assert not MediaJob.objects.filter(owner=user).exists()
    assert not MediaAsset.objects.filter(owner=user).exists()


def test_it_requires_authentication(db, client):
    response = client.post(
        "/api/v1/media/images/generate", '{"prompt": "x"}', content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"


def test_it_reports_quota_with_prices(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    api.post("/images/generate", {"prompt": "one"})
    quota = api.get("/quota").json()

    assert quota["tier"] == "JIVE"
    images = next(m for m in quota["meters"] if m["meter"] == "images")
    assert (images["allowance"], images["used"], images["remaining"]) == (50, 1, 49)
    # The per-model rows quotes and charges use (billing.ModelPrice), not a per-class list.
    prices = {(p["model"], p["variant"]): p for p in quota["prices"]}
    lite = prices[("veo-3.1-lite-generate-001", "720p+audio")]
    assert (lite["usd"], lite["unit"], lite["usd_micros"]) == ("$0.050000", "second", 50_000)
    assert prices[("veo-3.1-generate-001", "4k+audio")]["usd_micros"] == 600_000
    assert quota["plan"]["video_resolutions"] == ["720p", "1080p"]
    assert [u["tier"] for u in quota["upgrade"]] == ["JIGGA"]


def test_it_serves_an_openapi_document(db, client):
    document = client.get("/api/v1/media/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/media/images/generate",
        "/api/v1/media/images/edit",
        "/api/v1/media/images/upscale",
        "/api/v1/media/videos/generate",
        "/api/v1/media/{kind}/{job_id}/status",
        "/api/v1/media/{kind}/{job_id}/result",
        "/api/v1/media/quota",
        "/api/v1/media/health",
    ):
        assert path in paths
    schemas = document["components"]["schemas"]
    assert schemas["GenerateImage"]["properties"]["count"]["maximum"] == 4


def test_it_refuses_an_oversized_upload_with_413(studio_env, api, make_user, settings):
    settings.UPLOAD_MAX_BYTES = 50_000
    api.login(make_user(tier="JIVE"))
    response = api.upload(b"\x89PNG" + b"\0" * 80_000)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"
    assert not MediaAsset.objects.exists()


def test_it_strips_exif_from_uploads(studio_env, api, make_user, client):
    image = Image.new("RGB", (40, 20), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    api.login(make_user(tier="JIVE"))
    body = api.upload(out.getvalue(), name="p.jpg", content_type="image/jpeg").json()

    stored = Image.open(io.BytesIO(_fetch(client, body["url"])))
    assert stored.size == (20, 40)
    assert not stored.getexif()


def test_it_stores_outputs_in_gcs_when_a_bucket_is_configured(gcs_media, studio_env, api, make_user, client):
    import urllib.request

    api.login(make_user(tier="JIGGA"))
    image = _result(api, api.post("/images/generate", {"prompt": "stored in a bucket"}).json())["assets"][0]
    video = _result(api, api.post("/videos/generate", {"prompt": "also", "duration_seconds": 4}).json())[
        "assets"
    ][0]

    for item in (image, video):
        assert item["url"].startswith(gcs_media.gcs_url) and "X-Goog-Signature" in item["url"]
        asset = MediaAsset.objects.get(pk=item["asset_id"])
        with urllib.request.urlopen(item["url"], timeout=10) as stored:
            assert len(stored.read()) == asset.bytes
    assert client.get(f"/media/a/{image['asset_id']}/file").status_code == 302  # the owner's session
    client.logout()
    assert client.get(f"/media/a/{image['asset_id']}/file").status_code == 404  # no session, no signature


def test_it_offers_the_tools_and_calls_them_for_the_user(studio_env, api, make_user):
    api.login(make_user(tier="FREE"))
    definitions = api.get("/tools").json()
    assert [t["function"]["name"] for t in definitions["openai"]] == [
        "generate_image",
        "edit_image",
        "compose_image",
        "upscale_image",
        "generate_video",
        "extend_video",
    ]
    assert len(definitions["gemini"]["functionDeclarations"]) == 6

    refused = api.post("/tools/call", {"name": "generate_video", "arguments": {"prompt": "a braai"}})
    assert refused.status_code == 200
    assert refused.json()["ok"] is False and refused.json()["error"]["code"] == "upgrade_required"
    accepted = api.post("/tools/call", {"name": "generate_image", "arguments": '{"prompt": "a braai"}'})
    assert accepted.status_code == 202 and accepted.json()["ok"] is True
    assert MediaJob.objects.get(pk=accepted.json()["job_id"]).state == "succeeded"
    assert api.post("/tools/call", {"name": "make_coffee"}).status_code == 404


def test_it_answers_503_when_gcs_links_cannot_be_signed(
    gcs_media, studio_env, api, make_user, settings, tmp_path
):
    api.login(make_user(tier="JIVE"))
    accepted = api.post("/images/generate", {"prompt": "unsignable"}).json()
    asset_id = MediaAsset.objects.get(source_job_id=accepted["job_id"]).id
    settings.GCS_SIGNING_KEY_FILE = str(tmp_path / "missing-key.json")

    result = api.get(accepted["result_url"])
    assert result.status_code == 503
    assert result.json()["error"]["code"] == "provider_unavailable"
    assert api.client.get(f"/media/a/{asset_id}/file").status_code == 503


def test_it_refuses_an_upscale_above_the_upscalers_limit_before_charging(studio_env, api, make_user):
    user = make_user(tier="JIGGA")
    api.login(user)
    big = assets.save_upload(user, make_photo((2400, 1800)))  # x2 is 17.28 MP, x1 would be 4.3

    response = api.post("/images/upscale", {"image_id": str(big.id), "factor": "x2", "model": "v4"})

    assert response.status_code == 422, response.content
    assert "17 megapixels" in response.json()["error"]["message"]
    assert not Reservation.objects.filter(user=user).exists()
    assert not MediaJob.objects.filter(owner=user).exists()
