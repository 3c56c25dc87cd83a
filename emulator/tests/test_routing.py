"""Routing, the model catalogue's 404s, the publisher-model GET and the request log.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import time

import httpx2 as httpx
import pytest
from google.genai import errors as genai_errors

from emulator.tests.helpers import (
    IMAGEN,
    generate_one,
    vertex_url,
)

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


def test_unknown_model_is_the_real_404(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client, model="imagen-3.0-generate-001")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert "Publisher Model" in caught.value.message


def test_publisher_model_get_for_the_aiplatform_sdk(emu):
    answer = httpx.get(
        f"{emu.base_url}/v1/publishers/google/models/{IMAGEN}?%24alt=json%3Benum-encoding%3Dint"
    )
    assert answer.status_code == 200
    assert answer.json()["publisherModelTemplate"].endswith(f"/publishers/google/models/{IMAGEN}")
    assert answer.json()["predictSchemata"]["instanceSchemaUri"].endswith(
        "vision_generative_model_1.0.0.yaml"
    )
    assert httpx.get(f"{emu.base_url}/v1/publishers/google/models/nope").status_code == 404


def test_request_log_records_what_the_client_sent(client, emu):
    generate_one(client, prompt="logged fox")
    [entry] = emu.requests()
    assert entry["method"] == "POST"
    assert entry["path"].endswith(f"/models/{IMAGEN}:predict")
    assert entry["headers"]["authorization"] == "Bearer emulator-token"
    assert entry["json"]["instances"] == [{"prompt": "logged fox"}]
    assert entry["status"] == 200 and entry["model"] == IMAGEN
    assert abs(entry["time"] - time.time()) < 60 and entry["query"] == {}


def test_request_log_keeps_only_the_size_of_binary_bodies(emu):
    body = b"\x89PNG\x00\x01binary"
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"), content=body, headers={"Content-Type": "application/octet-stream"}
    )
    assert answer.status_code == 400
    [entry] = emu.requests()
    assert entry["json"] is None and entry["body_size"] == len(body)
