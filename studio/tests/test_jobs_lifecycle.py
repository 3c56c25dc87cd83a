"""The worker's housekeeping: the sweeper, the video poller and its deadline, /health."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from billing.models import CostEntry, Reservation
from studio import worker
from studio.models import MediaJob, WorkerLease
from studio.schemas import GenerateImage, GenerateVideo
from studio.tests.factories import submit_unqueued


def _queued(user, params, capture):
    return submit_unqueued(user, _operation(params), params, capture)


def _operation(params) -> str:
    return {"GenerateImage": "generate_image", "GenerateVideo": "generate_video"}[type(params).__name__]


def test_it_re_enqueues_a_job_whose_task_went_missing(
    studio_env, make_user, django_capture_on_commit_callbacks
):
    user = make_user(tier="JIVE")
    job = _queued(user, GenerateImage(prompt="lost task"), django_capture_on_commit_callbacks)
    assert worker.sweep()["requeued"] == 0  # not yet: it may simply be waiting in the queue

    MediaJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert worker.sweep()["requeued"] == 1

    job.refresh_from_db()
    assert job.state == "succeeded"
    assert CostEntry.objects.filter(reference=job.reservation_reference).count() == 1


def test_it_fails_and_releases_a_video_past_its_deadline(
    studio_env, make_user, django_capture_on_commit_callbacks
):
    user = make_user(tier="JIVE")
    job = _queued(
        user, GenerateVideo(prompt="forever", duration_seconds=4), django_capture_on_commit_callbacks
    )
    MediaJob.objects.filter(pk=job.pk).update(
        state="waiting",
        provider_job_name="projects/p/locations/us-central1/publishers/google/models/"
        "veo-3.1-generate-001/operations/never",
        deadline_at=timezone.now() - timedelta(seconds=1),
        next_poll_at=timezone.now(),
    )

    assert worker.sweep()["timed_out"] == 1

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "video_timeout")
    assert Reservation.objects.get(reference=job.reservation_reference).state == "released"


def test_it_keeps_polling_through_a_transient_error(studio_env, api, make_user):
    api.login(make_user(tier="JIVE"))
    studio_env.inject("503", times=1, match={"path_contains": "fetchPredictOperation"})
    accepted = api.post("/videos/generate", {"prompt": "a steady shot", "duration_seconds": 4}).json()

    status = api.get(accepted["status_url"]).json()
    assert status["state"] == "succeeded", status


def test_it_releases_a_failed_or_filtered_video(studio_env, api, make_user):
    user = make_user(tier="JIVE")
    api.login(user)
    failed = api.post(
        "/videos/generate", {"prompt": "boom [[fault:operation_failed]]", "duration_seconds": 4}
    )
    filtered = api.post(
        "/videos/generate", {"prompt": "hidden [[fault:video_filtered]]", "duration_seconds": 4}
    )

    codes = [api.get(r.json()["status_url"]).json()["error"]["code"] for r in (failed, filtered)]
    assert codes == ["provider_failed", "safety_blocked"]
    assert not CostEntry.objects.filter(user=user).exists()
    assert set(Reservation.objects.filter(user=user).values_list("state", flat=True)) == {"released"}


def test_it_lets_only_one_poller_run_at_a_time(studio_env, make_user, django_capture_on_commit_callbacks):
    user = make_user(tier="JIVE")
    job = _queued(user, GenerateVideo(prompt="wait", duration_seconds=4), django_capture_on_commit_callbacks)
    MediaJob.objects.filter(pk=job.pk).update(state="waiting", next_poll_at=timezone.now())
    assert WorkerLease.try_take(worker.POLLER_LEASE, "another-worker", 60)

    assert worker.poll_videos(budget_seconds=0.5) == 0


def test_it_reports_health_without_secrets(db, studio_env, client, settings, make_user):
    settings.SECRET_KEY = "a-very-secret-key-for-this-test"
    client.force_login(make_user(staff=True))  # the details are staff-only (test_error_words.py)
    response = client.get("/api/v1/media/health")
    body = response.json()

    assert response.status_code == 200 and body["serving"] is True, body["checks"]
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["cluster"]["ok"] is False  # no worker has beaten yet
    assert body["status"] == "degraded"
    assert {b["model"] for b in body["breakers"]} >= {"veo-3.1-generate-001"}
    assert any(m["operation"] == "image_generate" for m in body["models"])
    assert any("retired" in w for w in body["model_warnings"])
    text = response.content.decode()
    assert settings.SECRET_KEY not in text and settings.VERTEX_FIXED_TOKEN not in text

    worker.sweep()
    assert client.get("/api/v1/media/health").json()["checks"]["cluster"]["ok"] is True


def test_health_warns_staff_when_the_pollinations_key_is_missing(db, studio_env, client, settings, make_user):
    worker.sweep()  # a fresh heartbeat
    settings.POLLINATIONS_API_KEY = ""
    anonymous = client.get("/api/v1/media/health").json()
    client.force_login(make_user(staff=True))
    body = client.get("/api/v1/media/health").json()

    assert body["status"] == "degraded" and body["serving"] is True
    [warning] = body["configuration_warnings"]
    assert warning.startswith("image_preview: POLLINATIONS_API_KEY is not set")
    assert "https://enter.pollinations.ai" in warning
    assert anonymous["status"] == "degraded" and "configuration_warnings" not in anonymous
    assert "POLLINATIONS" not in str(anonymous)

    settings.POLLINATIONS_API_KEY = "sk_test"
    assert client.get("/api/v1/media/health").json()["configuration_warnings"] == []


def test_it_answers_503_when_the_broker_is_down(db, studio_env, client, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/api/v1/media/health")

    assert response.status_code == 503
    body = response.json()
    assert body["serving"] is False and body["checks"]["broker"]["ok"] is False
