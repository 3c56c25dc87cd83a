"""Per-user abuse limits (studio/limits.py): upload quotas per 24 hours (count and bytes) and rate
limits per minute on uploads and on submits, through the API, the pages, the LLM tools and under
concurrency. A refusal is a 429 with Retry-After (API) or a form error (pages); nothing is stored,
reserved or charged."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Allowance, Reservation
from billing.tests.helpers import race
from studio import assets, jobs
from studio.errors import StudioError
from studio.models import MediaAsset, MediaJob
from studio.tests.factories import make_photo, make_png

EDIT = "/studio/images/edit/"
CREATE = "/studio/images/create/"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def photo(seed: int) -> bytes:
    """A different picture each time, so no upload is taken for another."""
    return make_png((64, 48), (seed % 256, 40, 90))


# --- Upload quotas ---------------------------------------------------------------------------


def test_it_refuses_the_upload_over_the_daily_count_with_429_and_retry_after(api, make_user, media, settings):
    settings.UPLOADS_PER_DAY = 2
    user = make_user(tier="JIVE")
    api.login(user)
    assert api.upload(photo(1)).status_code == 201
    assert api.upload(photo(2)).status_code == 201
    files_before = stored_files(media)

    refused = api.upload(photo(3))

    assert refused.status_code == 429, refused.content
    error = refused.json()["error"]
    assert error["code"] == "upload_quota_exceeded"
    assert "2 images in the last 24 hours" in error["message"]
    assert (error["uploads_limit"], error["uploads_used"]) == (2, 2)
    # The first upload leaves the 24-hour window in (almost) a day: that is when to come back.
    retry_after = int(refused["Retry-After"])
    assert 86_000 < retry_after <= 86_400 and error["retry_after"] == retry_after
    assert MediaAsset.objects.filter(owner=user).count() == 2
    assert stored_files(media) == files_before  # nothing stored


def test_it_counts_a_rolling_24_hours(api, make_user, media, settings):
    settings.UPLOADS_PER_DAY = 1
    user = make_user(tier="JIVE")
    api.login(user)
    assert api.upload(photo(1)).status_code == 201
    assert api.upload(photo(2)).status_code == 429
    MediaAsset.objects.filter(owner=user).update(
        created_at=MediaAsset.objects.get().created_at - timedelta(hours=24)
    )
    assert api.upload(photo(3)).status_code == 201


def test_it_refuses_the_upload_over_the_daily_bytes_as_a_form_error(client, make_user, media, settings):
    user = make_user(tier="JIVE")
    client.force_login(user)
    first = make_photo((120, 80))
    response = client.post(EDIT, {"image": SimpleUploadedFile("a.png", first, "image/png")})
    assert response.status_code == 302
    used = MediaAsset.objects.get(owner=user).bytes
    settings.UPLOAD_BYTES_PER_DAY = used + 100  # room for the first, not for a second like it
    files_before = stored_files(media)

    response = client.post(EDIT, {"image": SimpleUploadedFile("b.png", make_photo((121, 80)), "image/png")})

    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="image-error"' in text and "would take your uploads of the last 24 hours to" in text
    assert "You can upload again in" in text
    assert MediaAsset.objects.filter(owner=user).count() == 1
    assert stored_files(media) == files_before


def test_it_does_not_count_a_resent_video_frame_twice(make_user, media, settings):
    """The Video Studio's form re-sends the same frame on a retry; that is not a new upload."""
    settings.UPLOADS_PER_DAY = 1
    user = make_user(tier="JIVE")
    frame = make_photo((96, 64))
    first = assets.save_upload(user, frame, reuse_within_minutes=10)
    again = assets.save_upload(user, frame, reuse_within_minutes=10)
    assert again.pk == first.pk
    with pytest.raises(StudioError) as refused:
        assets.save_upload(user, make_photo((97, 64)), reuse_within_minutes=10)
    assert refused.value.code == "upload_quota_exceeded"


def test_one_users_quota_is_not_anothers(api, make_user, media, settings):
    settings.UPLOADS_PER_DAY = 1
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    assert api.login(alice).upload(photo(1)).status_code == 201
    assert api.login(alice).upload(photo(2)).status_code == 429
    assert api.login(bob).upload(photo(3)).status_code == 201


# --- Upload rate ---------------------------------------------------------------------------------


def test_it_rate_limits_uploads_through_the_api(api, make_user, media, settings):
    settings.UPLOADS_PER_MINUTE = 2
    user = make_user(tier="JIVE")
    api.login(user)
    assert [api.upload(photo(i)).status_code for i in range(2)] == [201, 201]

    refused = api.upload(photo(9), HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))

    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "at most 2" in error["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert MediaAsset.objects.filter(owner=user).count() == 2
    # A minute later the oldest upload has left the window.
    MediaAsset.objects.filter(owner=user).update(
        created_at=MediaAsset.objects.earliest("created_at").created_at - timedelta(seconds=61)
    )
    assert api.upload(photo(10)).status_code == 201


def test_it_rate_limits_uploads_on_the_video_page_as_a_field_error(client, make_user, media, settings):
    settings.UPLOADS_PER_MINUTE = 1
    user = make_user(tier="JIVE")
    client.force_login(user)
    assets.save_upload(user, photo(1))

    response = client.post(
        "/studio/videos/new/",
        {
            "prompt": "A kudu walking through the bushveld",
            "first_frame_upload": SimpleUploadedFile("f.png", make_photo((96, 64)), "image/png"),
            "idempotency_key": str(uuid.uuid4()),
        },
    )

    text = response.content.decode()
    assert response.status_code == 200 and "Too many uploads in a minute" in text
    assert MediaAsset.objects.filter(owner=user).count() == 1
    assert not MediaJob.objects.filter(owner=user).exists()


# --- Submit rate ---------------------------------------------------------------------------------


def _reservations(user) -> int:
    return Reservation.objects.filter(user=user).count()


def test_it_rate_limits_submits_through_the_api(studio_env, api, make_user, settings):
    settings.SUBMITS_PER_MINUTE = 2
    user = make_user(tier="JIVE")
    api.login(user)
    for prompt in ("a kudu", "a protea"):
        assert api.post("/images/generate", {"prompt": prompt}).status_code == 202
    used_before = Allowance.objects.get(user=user, meter="images").used

    key = uuid.uuid4()
    refused = api.post("/images/generate", {"prompt": "a third one"}, key=key)

    assert refused.status_code == 429, refused.content
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "Nothing was charged" in error["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert MediaJob.objects.filter(owner=user).count() == 2 and _reservations(user) == 2
    allowance = Allowance.objects.get(user=user, meter="images")
    assert (allowance.used, allowance.reserved) == (used_before, 0)
    # The refusal was not stored under its key: once the minute has passed, the same key is accepted.
    MediaJob.objects.filter(owner=user).update(
        created_at=MediaJob.objects.earliest("created_at").created_at - timedelta(seconds=61)
    )
    assert api.post("/images/generate", {"prompt": "a third one"}, key=key).status_code == 202


def test_it_rate_limits_submits_on_the_create_page(
    client, make_user, settings, django_capture_on_commit_callbacks
):
    settings.SUBMITS_PER_MINUTE = 1
    user = make_user(tier="JIVE")
    client.force_login(user)

    def submit(prompt):
        data = {"prompt": prompt, "count": "1", "aspect_ratio": "1:1", "idempotency_key": str(uuid.uuid4())}
        with django_capture_on_commit_callbacks(execute=False):  # queued, not run: no provider needed
            return client.post(CREATE, data)

    assert submit("A protea at sunrise").status_code == 302
    response = submit("A kudu at dusk")

    text = response.content.decode()
    assert response.status_code == 200 and "Too many requests in a minute (at most 1)" in text
    assert MediaJob.objects.filter(owner=user).count() == 1 and _reservations(user) == 1


def test_it_rate_limits_the_llm_tools_with_the_same_code(
    api, make_user, settings, django_capture_on_commit_callbacks
):
    settings.SUBMITS_PER_MINUTE = 1
    user = make_user(tier="JIVE")
    api.login(user)
    call = {"name": "generate_image", "arguments": {"prompt": "a baobab at night"}}
    with django_capture_on_commit_callbacks(execute=False):
        first = api.client.post("/api/v1/media/tools/call", call, content_type="application/json")
        second = api.client.post("/api/v1/media/tools/call", call, content_type="application/json")
    assert first.status_code == 202
    assert second.status_code == 200
    body = second.json()
    assert body["ok"] is False and body["error"]["code"] == "rate_limited"
    assert body["error"]["retry_after"] >= 1 and "Too many requests" in body["message"]
    assert _reservations(user) == 1


# --- Concurrency: exact across connections ---------------------------------------------------


@pytest.mark.both_databases
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twelve_racing_uploads_get_exactly_the_three_the_minute_allows(make_user, media, settings):
    settings.UPLOADS_PER_MINUTE = 3
    user = make_user(tier="JIVE")

    outcomes = race(12, lambda i: assets.save_upload(user, photo(i)))

    stored = [o for o in outcomes if isinstance(o, MediaAsset)]
    refused = [o for o in outcomes if isinstance(o, StudioError) and o.code == "rate_limited"]
    assert (len(stored), len(refused)) == (3, 9), [repr(o) for o in outcomes]
    assert MediaAsset.objects.filter(owner=user).count() == 3


@pytest.mark.both_databases
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twelve_racing_submits_get_exactly_the_three_the_minute_allows(make_user, settings, tmp_path):
    from studio.schemas import GenerateImage

    settings.SUBMITS_PER_MINUTE = 3
    settings.BREAKER_STATE_PATH = tmp_path / "breakers.sqlite3"
    user = make_user(tier="JIVE")

    outcomes = race(12, lambda i: jobs.submit_job(user, "generate_image", GenerateImage(prompt=f"racer {i}")))

    accepted = [o for o in outcomes if isinstance(o, MediaJob)]
    refused = [o for o in outcomes if isinstance(o, StudioError) and o.code == "rate_limited"]
    assert (len(accepted), len(refused)) == (3, 9), [repr(o) for o in outcomes]
    allowance = Allowance.objects.get(user=user, meter="images")
    assert allowance.reserved == 3 and _reservations(user) == 3
