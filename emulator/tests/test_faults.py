"""Injected faults (over HTTP and as [[fault:KIND]] markers) answer as Google does.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import time

import httpx2 as httpx
import pytest
from google.genai import errors as genai_errors
from google.genai import types

from emulator.tests.helpers import (
    CAPABILITY,
    IMAGEN,
    VEO,
    generate_one,
    make_client,
    vertex_url,
)

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


@pytest.mark.parametrize(
    "fault, code, status",
    [
        ("429", 429, "RESOURCE_EXHAUSTED"),
        ("500", 500, "INTERNAL"),
        ("503", 503, "UNAVAILABLE"),
        ("404", 404, "NOT_FOUND"),
        ("403", 403, "PERMISSION_DENIED"),
    ],
)
def test_injected_status_faults_answer_the_google_error_body_once(emu, fault, code, status):
    emu.inject(fault)
    body = {"instances": [{"prompt": "a fox"}], "parameters": {"sampleCount": 1}}
    failed = httpx.post(vertex_url(emu, IMAGEN, "predict"), json=body)
    assert failed.status_code == code
    assert failed.json()["error"]["code"] == code and failed.json()["error"]["status"] == status
    assert failed.json()["error"]["message"]
    assert httpx.post(vertex_url(emu, IMAGEN, "predict"), json=body).status_code == 200


def test_quota_error_reaches_the_sdk_as_client_error(client, emu):
    emu.inject("429")
    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client)
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    assert "Quota exceeded" in caught.value.message


def test_marker_with_count_fails_only_the_first_requests_and_the_log_times_retries(emu):
    retrying = make_client(
        emu,
        retry_options=types.HttpRetryOptions(
            attempts=3, initial_delay=0.2, max_delay=0.5, http_status_codes=[429]
        ),
    )
    response = generate_one(retrying, prompt="a fox [[fault:429x2]]")
    assert len(response.generated_images) == 1
    log = [entry for entry in emu.requests() if entry["kind"] == "imagen_generate"]
    assert [entry["status"] for entry in log] == [429, 429, 200]
    assert [entry["fault"] for entry in log] == ["429", "429", None]
    assert log[1]["monotonic"] - log[0]["monotonic"] >= 0.15


def test_marker_without_count_fails_every_time(client):
    for _ in range(2):
        with pytest.raises(genai_errors.ServerError):
            generate_one(client, prompt="a fox [[fault:503]]")


def test_fault_match_limits_it_to_one_model_and_forever_lasts_until_reset(client, emu):
    emu.inject("500", times=-1, match={"model": CAPABILITY})
    generate_one(client)  # another model is unaffected
    answer = httpx.post(vertex_url(emu, CAPABILITY, "predict"), json={"instances": [{"prompt": "x"}]})
    assert answer.status_code == 500
    assert (
        httpx.post(vertex_url(emu, CAPABILITY, "predict"), json={"instances": [{"prompt": "x"}]}).status_code
        == 500
    )
    emu.reset()
    assert (
        httpx.post(vertex_url(emu, CAPABILITY, "predict"), json={"instances": [{"prompt": "x"}]}).status_code
        == 400
    )


def test_path_contains_match(emu):
    emu.inject("503", match={"path_contains": ":predictLongRunning"})
    assert (
        httpx.post(
            vertex_url(emu, IMAGEN, "predict"),
            json={"instances": [{"prompt": "a"}], "parameters": {"sampleCount": 1}},
        ).status_code
        == 200
    )
    assert (
        httpx.post(
            vertex_url(emu, VEO, "predictLongRunning"), json={"instances": [{"prompt": "a"}]}
        ).status_code
        == 503
    )


def test_imagen_blocked_prompt_is_a_400_with_the_real_message(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client, prompt="a bad thing [[fault:blocked]]")
    assert caught.value.code == 400 and "Responsible AI practices" in caught.value.message


def test_imagen_filter_some_and_filter_all(client, emu):
    emu.inject("filter_some")
    some = client.models.generate_images(
        model=IMAGEN,
        prompt="foxes",
        config=types.GenerateImagesConfig(number_of_images=4, include_rai_reason=True),
    )
    images = [g for g in some.generated_images if g.image and g.image.image_bytes]
    reasons = [g.rai_filtered_reason for g in some.generated_images if g.rai_filtered_reason]
    assert len(images) == 2 and len(reasons) == 1 and "filtered out 2" in reasons[0]

    emu.inject("filter_all")
    none = client.models.generate_images(
        model=IMAGEN, prompt="foxes", config=types.GenerateImagesConfig(number_of_images=2)
    )
    assert none.generated_images is None


def test_drop_closes_the_connection_without_an_answer(emu):
    emu.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(vertex_url(emu, IMAGEN, "predict"), json={"instances": [{"prompt": "a"}]})


def test_slow_answers_after_the_delay(emu):
    emu.inject("slow", delay=0.6)
    with pytest.raises(httpx.TimeoutException):
        httpx.post(vertex_url(emu, IMAGEN, "predict"), json={"instances": [{"prompt": "a"}]}, timeout=0.2)
    emu.inject("slow", delay=0.3)
    started = time.monotonic()
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"),
        json={"instances": [{"prompt": "a"}], "parameters": {"sampleCount": 1}},
        timeout=5,
    )
    assert answer.status_code == 200 and time.monotonic() - started >= 0.3


def test_unknown_fault_kind_is_refused(emu):
    with pytest.raises(ValueError):
        emu.inject("meteor")
