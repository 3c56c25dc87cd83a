"""Issue 11.1: an open breaker closes again, tested through submit on both breaker stores.

The API accepts the job, the worker (django-q2 in sync mode) runs it against the emulator with
injected faults, and the breaker's shared store (SQLite file, or Redis) decides. The same on
gunicorn + PostgreSQL + Redis with a real qcluster: scripts/breaker_recovery.py.
"""

from __future__ import annotations

import time

import pytest

from billing.models import CostEntry, Reservation
from studio import jobs
from studio.models import MediaJob
from studio.providers.base import Family
from studio.providers.resilience import breaker_state
from studio.schemas import GenerateImage
from studio.tests.conftest import product_requests
from studio.tests.test_providers_resilience import breaker_storage  # noqa: F401  (sqlite and redis)

IMAGEN = "imagen-3.0-generate-002"
VEO = "veo-3.1-generate-001"
RESET = 1.0  # the breakers' reset timeout, scaled down from 30 s (image) and 60 s (video)


@pytest.fixture
def recovery_env(studio_env, breaker_storage, settings):  # noqa: F811
    settings.BREAKER_IMAGE_RESET_SECONDS = RESET
    settings.BREAKER_VIDEO_RESET_SECONDS = RESET
    settings.SUBMITS_PER_MINUTE = 1000  # this test submits faster than a person may
    return studio_env


def _image(api):
    return api.post("/images/generate", {"prompt": "a quiver tree at noon"})


def _video(api):
    return api.post("/videos/generate", {"prompt": "a dhow at sea", "duration_seconds": 4})


def _trip(api, submit, fail_max: int) -> None:
    """`fail_max` accepted jobs whose provider call fails every attempt: the breaker opens."""
    for _ in range(fail_max):
        response = submit(api)
        assert response.status_code == 202, response.content
        job = MediaJob.objects.get(pk=response.json()["job_id"])
        assert (job.state, job.error_code) == ("failed", "provider_unavailable")


def _refused(response, reset: float = RESET) -> int:
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "provider_unavailable"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= reset + 1
    return retry_after


HELD_OPEN = 60.0


def _refused_while_open(api, submit, settings) -> None:
    """A submit to the open breaker is refused, says when to ask again and reserves nothing.

    Checked under a long reset timeout, then RESET again: on a loaded machine more than RESET
    can pass between the trip and this submit, which would then be let through as the trial.
    The breakers read their timeout from settings on every call; when it opened stays stored."""
    settings.BREAKER_IMAGE_RESET_SECONDS = settings.BREAKER_VIDEO_RESET_SECONDS = HELD_OPEN
    try:
        assert _refused(submit(api), reset=HELD_OPEN) > RESET + 1
    finally:
        settings.BREAKER_IMAGE_RESET_SECONDS = settings.BREAKER_VIDEO_RESET_SECONDS = RESET


def test_the_image_breaker_closes_when_a_submit_after_the_reset_timeout_succeeds(
    recovery_env, api, make_user, settings
):
    user = make_user(tier="JIVE")
    api.login(user)
    recovery_env.inject("500", times=-1, match={"model": IMAGEN})
    _trip(api, _image, fail_max=5)
    assert breaker_state(IMAGEN, Family.IMAGEN)[0] == "open"
    recovery_env.reset()  # Google is healthy again

    _refused_while_open(api, _image, settings)  # within the reset timeout
    assert product_requests(recovery_env) == []
    assert Reservation.objects.filter(user=user, state="reserved").count() == 0

    time.sleep(RESET + 0.1)
    response = _image(api)

    assert response.status_code == 202, response.content
    job = MediaJob.objects.get(pk=response.json()["job_id"])
    assert job.state == "succeeded", (job.error_code, job.error_detail)
    assert CostEntry.objects.filter(reference=job.reservation_reference).count() == 1
    assert breaker_state(IMAGEN, Family.IMAGEN) == ("closed", 0)
    assert len(product_requests(recovery_env)) == 1  # the trial was the one call
    assert _image(api).status_code == 202


def test_a_failed_trial_opens_the_breaker_again(recovery_env, api, make_user, settings):
    api.login(make_user(tier="JIVE"))
    recovery_env.inject("500", times=-1, match={"model": IMAGEN})
    _trip(api, _image, fail_max=5)
    time.sleep(RESET + 0.1)

    trial = _image(api)  # Google still fails

    assert trial.status_code == 202
    job = MediaJob.objects.get(pk=trial.json()["job_id"])
    assert (job.state, job.error_code) == ("failed", "provider_unavailable")
    assert breaker_state(IMAGEN, Family.IMAGEN)[0] == "open"
    calls = len(product_requests(recovery_env))
    _refused_while_open(api, _image, settings)
    assert len(product_requests(recovery_env)) == calls


def test_other_submits_wait_while_the_trial_job_is_queued(
    recovery_env, api, make_user, django_capture_on_commit_callbacks
):
    user = make_user(tier="JIVE")
    api.login(user)
    recovery_env.inject("500", times=-1, match={"model": IMAGEN})
    _trip(api, _image, fail_max=5)
    recovery_env.reset()
    time.sleep(RESET + 0.1)

    with django_capture_on_commit_callbacks(execute=False) as held:  # the trial job waits in the queue
        trial = jobs.submit_job(user, "generate_image", GenerateImage(prompt="the trial"))
    assert breaker_state(IMAGEN, Family.IMAGEN)[0] == "half-open"
    _refused(_image(api))
    assert product_requests(recovery_env) == []

    for enqueue in held:  # the worker takes the trial job
        enqueue()

    trial.refresh_from_db()
    assert trial.state == "succeeded"
    assert breaker_state(IMAGEN, Family.IMAGEN) == ("closed", 0)
    assert _image(api).status_code == 202


def test_the_veo_breaker_recovers_with_no_video_in_flight(recovery_env, api, make_user, settings):
    user = make_user(tier="JIGGA")
    api.login(user)
    recovery_env.inject("503", times=-1, match={"path_contains": "predictLongRunning"})
    _trip(api, _video, fail_max=3)
    assert breaker_state(VEO, Family.VEO)[0] == "open"
    assert not MediaJob.objects.filter(state__in=MediaJob.ACTIVE_STATES).exists()  # nothing to poll
    recovery_env.reset()

    _refused_while_open(api, _video, settings)
    time.sleep(RESET + 0.1)
    response = _video(api)

    assert response.status_code == 202, response.content
    job = MediaJob.objects.get(pk=response.json()["job_id"])
    assert job.state == "succeeded", (job.error_code, job.error_detail)
    assert breaker_state(VEO, Family.VEO) == ("closed", 0)
    # The submit was the trial: no poll of any other video came before it.
    assert product_requests(recovery_env)[0]["path"].endswith(":predictLongRunning")
    assert CostEntry.objects.filter(reference=job.reservation_reference).count() == 1
