"""Idempotency-Key on the JSON API: one job per key, replayed answers, 409 and 422."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from billing import services as billing
from billing.models import Reservation
from studio import idempotency
from studio.models import ApiToken, IdempotencyRecord, MediaJob
from studio.schemas import GenerateImage

GENERATE = "/images/generate"


@pytest.mark.both_databases
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_makes_one_job_from_fifty_concurrent_posts_with_one_key(
    studio_env, live_server, make_user, settings
):
    # Duplicates wait for the first answer; on a loaded machine the first can take over a second,
    # and a duplicate that gives up answers 409 (correct, but not what this test is about).
    settings.IDEMPOTENCY_WAIT_SECONDS = 30
    user = make_user(tier="JIVE")
    _, secret = ApiToken.issue(user)
    key = str(uuid.uuid4())
    url = f"{live_server.url}/api/v1/media{GENERATE}"
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": key}

    def post(_):
        response = requests.post(url, json={"prompt": "fifty at once"}, headers=headers, timeout=60)
        return response.status_code, response.text, response.headers.get("Idempotent-Replayed")

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))

    statuses = {status for status, _, _ in answers}
    assert statuses == {202}, answers[:3]
    assert len({body for _, body, _ in answers}) == 1  # byte-identical answers
    assert sum(1 for *_, replayed in answers if replayed == "true") == 49
    assert MediaJob.objects.filter(owner=user).count() == 1
    assert Reservation.objects.filter(user=user).count() == 1


def test_it_replays_the_first_answer(studio_env, api, make_user):
    api.login(make_user(tier="JIVE"))
    key = uuid.uuid4()
    first = api.post(GENERATE, {"prompt": "a kudu"}, key=key)
    again = api.post(GENERATE, {"prompt": "a kudu"}, key=key)

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert MediaJob.objects.count() == 1


def test_it_accepts_the_quoted_form_of_the_header(studio_env, api, make_user):
    api.login(make_user(tier="JIVE"))
    key = uuid.uuid4()
    first = api.post(GENERATE, {"prompt": "quoted"}, key=f'"{key}"')
    again = api.post(GENERATE, {"prompt": "quoted"}, key=key)
    assert again.json()["job_id"] == first.json()["job_id"]


def test_it_refuses_the_same_key_for_a_different_request(studio_env, api, make_user):
    api.login(make_user(tier="JIVE"))
    key = uuid.uuid4()
    api.post(GENERATE, {"prompt": "a kudu"}, key=key)
    other = api.post(GENERATE, {"prompt": "an eland"}, key=key)

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_mismatch"
    assert MediaJob.objects.count() == 1


def test_it_answers_409_while_the_first_request_is_in_flight(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    key = uuid.uuid4()
    _in_flight(user, key, {"prompt": "slow"}, locked_for=timedelta(seconds=30))

    response = api.post(GENERATE, {"prompt": "slow"}, key=key)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert response["Retry-After"] == "1"
    assert not MediaJob.objects.exists()


def test_it_takes_over_a_claim_whose_request_died(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    key = uuid.uuid4()
    _in_flight(user, key, {"prompt": "crashed"}, locked_for=timedelta(seconds=-1))

    response = api.post(GENERATE, {"prompt": "crashed"}, key=key)

    assert response.status_code == 202
    assert IdempotencyRecord.objects.get(user=user, key=key).state == "completed"


def test_it_does_not_store_refusals_so_a_retry_can_succeed(studio_env, api, make_user):
    user = make_user(tier="FREE")
    api.login(user)
    api.post(GENERATE, {"prompt": "today's preview"})
    key = uuid.uuid4()
    refused = api.post(GENERATE, {"prompt": "one more"}, key=key)
    assert refused.status_code == 429
    assert not IdempotencyRecord.objects.filter(key=key).exists()

    billing.grant(user, "images", 1, reason="support ticket", by=None)
    retried = api.post(GENERATE, {"prompt": "one more"}, key=key)
    assert retried.status_code == 202


def test_it_keeps_keys_per_user(studio_env, api, make_user):
    key = uuid.uuid4()
    api.login(make_user(tier="JIVE"))
    first = api.post(GENERATE, {"prompt": "shared key"}, key=key)
    api.login(make_user(tier="JIVE"))
    second = api.post(GENERATE, {"prompt": "shared key"}, key=key)

    assert first.json()["job_id"] != second.json()["job_id"]


def test_it_keeps_image_keys_an_hour_and_video_keys_two(studio_env, api, make_user):
    user = make_user(tier="JIGGA")
    api.login(user)
    image_key, video_key = uuid.uuid4(), uuid.uuid4()
    api.post(GENERATE, {"prompt": "short lived"}, key=image_key)
    api.post("/videos/generate", {"prompt": "long lived", "duration_seconds": 4}, key=video_key)

    def lifetime(key):
        record = IdempotencyRecord.objects.get(key=key)
        return record.expires_at - record.created_at

    assert lifetime(image_key) == timedelta(hours=1)
    assert lifetime(video_key) == timedelta(hours=2)


def test_it_treats_an_expired_key_as_new_and_purges_old_keys(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    key = uuid.uuid4()
    first = api.post(GENERATE, {"prompt": "yesterday"}, key=key)
    IdempotencyRecord.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(seconds=1))

    fresh = api.post(GENERATE, {"prompt": "today"}, key=key)
    assert fresh.status_code == 202 and fresh.json()["job_id"] != first.json()["job_id"]

    stale = uuid.uuid4()
    _in_flight(user, stale, {"prompt": "old"}, locked_for=timedelta(0), expires=timedelta(hours=-2))
    assert idempotency.purge_expired() == 1
    assert IdempotencyRecord.objects.filter(key=key).exists()


def _in_flight(user, key, body, *, locked_for, expires=timedelta(hours=1)):
    now = timezone.now()
    payload = GenerateImage(**body).model_dump(mode="json")
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        fingerprint=idempotency.fingerprint("POST", f"/api/v1/media{GENERATE}", payload),
        locked_until=now + locked_for,
        created_at=now,
        expires_at=now + expires,
    )


def test_tools_call_does_not_replay_a_refusal_after_a_grant(studio_env, api, make_user):
    """Like the REST endpoints: only accepted work is replayed (issue 11, point 6)."""
    user = make_user(tier="FREE")
    api.login(user)
    api.post(GENERATE, {"prompt": "today's preview"})
    key = uuid.uuid4()
    call = {"name": "generate_image", "arguments": {"prompt": "one more"}}

    refused = api.post("/tools/call", call, key=key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (200, "quota_exceeded")
    assert not IdempotencyRecord.objects.filter(key=key).exists()

    billing.grant(user, "images", 1, reason="support ticket", by=None)
    accepted = api.post("/tools/call", call, key=key)
    assert accepted.status_code == 202 and accepted.json()["ok"] is True
    assert not accepted.has_header("Idempotent-Replayed")

    replayed = api.post("/tools/call", call, key=key)  # accepted work is replayed, once
    assert replayed.json() == accepted.json() and replayed["Idempotent-Replayed"] == "true"
    assert MediaJob.objects.filter(owner=user).count() == 2
