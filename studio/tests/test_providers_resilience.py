"""Contract tests: retries (count and real spacing) and circuit breakers (opening, sharing across
processes, recovery), measured from the emulator's request log."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from studio import providers
from studio.providers import resilience
from studio.providers.base import Family, InvalidRequestError, RetryableError
from studio.providers.resilience import RetryPolicy, breaker_state, retry_call

from .conftest import product_requests

IMAGEN = "imagen-3.0-generate-002"
SLACK = 0.25  # request handling and scheduling on top of the policy's delay


def gaps(requests: list[dict]) -> list[float]:
    times = [r["monotonic"] for r in requests]
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def generate() -> providers.ImageResult:
    return providers.generate_images(providers.GenerateImagesRequest(prompt="a fox"))


def test_two_429s_then_success_give_one_result_after_three_requests_spaced_per_the_policy(providers_env):
    providers_env.inject("429", times=2)

    result = generate()

    assert len(result.images) == 1
    requests = product_requests(providers_env)
    assert [r["status"] for r in requests] == [429, 429, 200]
    first, second = gaps(requests)
    jitter = django_settings.PROVIDER_RETRY_JITTER_SECONDS
    assert 0.05 <= first < 0.05 + jitter + SLACK
    assert 0.10 <= second < 0.10 + jitter + SLACK


def test_a_permanent_503_gives_five_attempts_then_a_retryable_error(providers_env):
    providers_env.inject("503", times=-1)

    with pytest.raises(RetryableError) as caught:
        generate()

    assert caught.value.http_status == 503
    requests = product_requests(providers_env)
    assert len(requests) == 5
    # 0.05, 0.1, 0.2, then capped at 0.4 (the scaled 1 s / 2 s / 4 s / 8 s of the seed's policy).
    for gap, delay in zip(gaps(requests), [0.05, 0.1, 0.2, 0.4], strict=True):
        assert delay <= gap < delay + django_settings.PROVIDER_RETRY_JITTER_SECONDS + SLACK


def test_a_400_is_tried_once(providers_env):
    with pytest.raises(InvalidRequestError) as caught:
        providers.generate_images(providers.GenerateImagesRequest(prompt="a fox", aspect_ratio="2:1"))

    assert caught.value.http_status == 400
    assert len(product_requests(providers_env)) == 1


def test_a_timeout_is_retried(providers_env, settings):
    settings.PROVIDER_IMAGE_TIMEOUT_SECONDS = 0.5
    providers_env.inject("slow", times=1, delay=3)

    result = generate()

    assert len(result.images) == 1
    assert len(product_requests(providers_env)) == 2


def test_a_dropped_connection_is_retried(providers_env):
    providers_env.inject("drop", times=1)

    result = generate()

    assert len(result.images) == 1
    assert len(product_requests(providers_env)) == 2


def test_the_seed_policy_waits_1_2_4_8_seconds_plus_jitter(settings):
    settings.PROVIDER_RETRY_ATTEMPTS = 5
    settings.PROVIDER_RETRY_INITIAL_SECONDS = 1.0
    settings.PROVIDER_RETRY_MULTIPLIER = 2.0
    settings.PROVIDER_RETRY_MAX_SECONDS = 8.0
    settings.PROVIDER_RETRY_JITTER_SECONDS = 0.25
    slept: list[float] = []
    attempts = []

    def always_busy():
        attempts.append(1)
        raise RetryableError("busy")

    with pytest.raises(RetryableError):
        retry_call(always_busy, sleep=slept.append)

    assert len(attempts) == 5
    for delay, base in zip(slept, [1, 2, 4, 8], strict=True):
        assert base <= delay <= base + 0.25
    assert RetryPolicy.from_settings().delay(10) <= 8.25  # capped


def test_other_client_errors_are_never_retried():
    attempts = []

    def bad_request():
        attempts.append(1)
        raise InvalidRequestError("no")

    with pytest.raises(InvalidRequestError):
        retry_call(bad_request, sleep=lambda _: None)

    assert len(attempts) == 1


def test_client_errors_do_not_count_towards_the_breaker(providers_env):
    for _ in range(6):
        with pytest.raises(InvalidRequestError):
            providers.generate_images(providers.GenerateImagesRequest(prompt="a fox", aspect_ratio="2:1"))

    assert breaker_state(IMAGEN, Family.IMAGEN) == ("closed", 0)


def test_one_call_whose_five_attempts_fail_counts_as_one_breaker_failure(providers_env):
    providers_env.inject("503", times=-1)

    with pytest.raises(RetryableError):
        generate()

    assert len(product_requests(providers_env)) == 5
    assert breaker_state(IMAGEN, Family.IMAGEN) == ("closed", 1)


def test_the_veo_breaker_opens_after_three_failed_calls_and_then_sends_nothing(providers_env):
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))
    providers_env.reset()
    providers_env.inject("503", times=-1)

    for _ in range(3):
        with pytest.raises(RetryableError) as caught:
            providers.poll_video(operation.name)
        assert not isinstance(caught.value, providers.CircuitOpenError)
    assert len(product_requests(providers_env)) == 15
    assert breaker_state("veo-3.1-generate-001", Family.VEO)[0] == "open"

    with pytest.raises(providers.CircuitOpenError) as refused:
        providers.poll_video(operation.name)
    assert len(product_requests(providers_env)) == 15
    assert 55 <= refused.value.retry_after <= 60


def test_a_call_stops_retrying_once_another_process_opened_the_breaker(providers_env):
    breaker = resilience.breaker_for(IMAGEN, Family.IMAGEN)
    attempts = []

    def busy():
        attempts.append(1)
        raise RetryableError("busy")

    def another_process_trips_it(seconds):  # while this call waits to retry
        breaker.storage.opened_at = dt.datetime.now(dt.UTC)
        breaker.storage.state = "open"

    with pytest.raises(RetryableError):
        resilience.call_guarded(busy, model_id=IMAGEN, family=Family.IMAGEN, sleep=another_process_trips_it)

    assert len(attempts) == 2


# --- Shared breaker state -----------------------------------------------------------------

CHILD = """
import json, django
django.setup()
from studio import providers
try:
    providers.generate_images(providers.GenerateImagesRequest(prompt="a fox"))
    print(json.dumps({"outcome": "ok"}))
except providers.ProviderError as error:
    print(json.dumps({"outcome": type(error).__name__}))
"""


def run_second_process(emulator, *, redis_url: str = "") -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mediastudio.settings",
        "VERTEX_BASE_URL": emulator.base_url,
        "VERTEX_PROJECT": django_settings.VERTEX_PROJECT,
        "BREAKER_NAMESPACE": django_settings.BREAKER_NAMESPACE,
        "BREAKER_STATE_PATH": str(django_settings.BREAKER_STATE_PATH),
        "REDIS_URL": redis_url,
        "PROVIDER_RETRY_ATTEMPTS": "1",
    }
    env.pop("MODEL_IMAGE", None)
    env["MODEL_IMAGE_GENERATE"] = IMAGEN  # the model (and so the breaker) this parent process uses
    finished = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=env,
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])["outcome"]


def redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def breaker_storage(request, settings):
    if request.param == "redis":
        url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        if not redis_available(url):
            pytest.skip("no Redis server")
        settings.REDIS_URL = url
        yield url
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{settings.BREAKER_NAMESPACE}:*"):
            client.delete(key)
    else:
        settings.REDIS_URL = ""
        yield ""


def trip_the_image_breaker(emulator, settings) -> None:
    """BREAKER_IMAGE_FAIL_MAX calls whose every attempt fails: the breaker opens."""
    emulator.inject("503", times=-1, match={"model": IMAGEN})
    for _ in range(settings.BREAKER_IMAGE_FAIL_MAX):
        with pytest.raises(RetryableError):
            generate()
    assert breaker_state(IMAGEN, Family.IMAGEN)[0] == "open"
    emulator.reset()  # a healthy provider now: the breaker alone must stop the calls


def test_after_five_failed_calls_a_second_process_sees_the_breaker_open_and_sends_nothing(
    providers_env, breaker_storage, settings
):
    trip_the_image_breaker(providers_env, settings)

    outcome = run_second_process(providers_env, redis_url=breaker_storage)

    assert outcome == "CircuitOpenError"
    assert product_requests(providers_env) == []


def test_the_breaker_recovers_after_its_reset_timeout(providers_env, breaker_storage, settings):
    # A long timeout while the open breaker is checked (a slow CI machine once took more than
    # half a second between the trip and the check), then a short one to watch it recover: the
    # breaker reads its timeout from settings on every call.
    settings.BREAKER_IMAGE_RESET_SECONDS = 60
    trip_the_image_breaker(providers_env, settings)
    with pytest.raises(providers.CircuitOpenError):
        generate()
    assert product_requests(providers_env) == []

    settings.BREAKER_IMAGE_RESET_SECONDS = 0.5
    time.sleep(0.6)
    result = generate()  # the trial call: it claims the trial, succeeds, closes the breaker

    assert len(result.images) == 1
    assert breaker_state(IMAGEN, Family.IMAGEN) == ("closed", 0)
    assert run_second_process(providers_env, redis_url=breaker_storage) == "ok"


def test_a_failed_trial_opens_the_breaker_for_another_reset_timeout(providers_env, breaker_storage, settings):
    settings.BREAKER_IMAGE_RESET_SECONDS = 0.5
    trip_the_image_breaker(providers_env, settings)
    time.sleep(0.6)
    providers_env.inject("503", times=-1, match={"model": IMAGEN})

    with pytest.raises(RetryableError) as trial:
        generate()

    assert not isinstance(trial.value, providers.CircuitOpenError)
    assert breaker_state(IMAGEN, Family.IMAGEN)[0] == "open"
    settings.BREAKER_IMAGE_RESET_SECONDS = 60  # so a slow machine still checks inside the new timeout
    providers_env.reset()
    with pytest.raises(providers.CircuitOpenError):
        generate()
    assert product_requests(providers_env) == []


def test_only_one_trial_at_a_time_across_processes(providers_env, breaker_storage, settings):
    settings.BREAKER_IMAGE_RESET_SECONDS = 0.5
    trip_the_image_breaker(providers_env, settings)
    time.sleep(0.6)

    first = resilience.admit(IMAGEN, Family.IMAGEN, holder="job-a")
    second = resilience.admit(IMAGEN, Family.IMAGEN, holder="job-b")

    assert (first.allowed, first.trial) == (True, "job-a")
    assert (second.allowed, second.trial) == (False, None) and second.retry_after > 0
    assert breaker_state(IMAGEN, Family.IMAGEN)[0] == "half-open"
    assert run_second_process(providers_env, redis_url=breaker_storage) == "CircuitOpenError"
    assert product_requests(providers_env) == []
    with resilience.job_scope("job-a"):  # the trial's own job goes through and closes it
        assert len(generate().images) == 1
    assert breaker_state(IMAGEN, Family.IMAGEN) == ("closed", 0)


def test_an_unreachable_redis_falls_back_to_local_shared_state(providers_env, settings, monkeypatch):
    monkeypatch.setattr(resilience, "_redis_down_until", {})
    settings.REDIS_URL = f"redis://127.0.0.1:1/{uuid.uuid4().int % 16}"

    result = generate()

    assert len(result.images) == 1
    breaker = resilience.breaker_for(IMAGEN, Family.IMAGEN)
    assert isinstance(breaker.storage, resilience.SQLiteBreakerStorage)
