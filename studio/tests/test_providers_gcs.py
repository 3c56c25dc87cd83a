"""Contract tests: GCS through google-cloud-storage against the emulator (vertex-wire-format.md §8)."""

from __future__ import annotations

import base64
import urllib.parse
import urllib.request

import pytest

from studio.providers import gcs
from studio.providers.base import ConfigurationError, InvalidRequestError

from .conftest import EMULATOR_BUCKET


def test_it_uploads_and_downloads(providers_env):
    uri = gcs.upload(b"\x89PNG fake", "contract/roundtrip.png", content_type="image/png")

    assert uri == f"gs://{EMULATOR_BUCKET}/contract/roundtrip.png"
    assert gcs.download(uri) == b"\x89PNG fake"
    assert gcs.read_range(uri, 1, 4) == b"PNG"
    assert gcs.size(uri) == 9


def test_it_signs_v4_urls_valid_for_24_hours_offline(providers_env, signing_key):
    uri = gcs.upload(b"video bytes", "contract/clip.mp4", content_type="video/mp4")

    url = gcs.signed_url(uri, download_name="clip.mp4")

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["86400"]
    assert query["X-Goog-Credential"][0].startswith("signer@test-project.iam.gserviceaccount.com/")
    assert 'filename="clip.mp4"' in query["response-content-disposition"][0]
    # The emulator serves signed URLs without checking the signature.
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"video bytes"


def test_signing_without_a_key_or_a_service_account_is_a_configuration_error(providers_env, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    uri = gcs.upload(b"x", "contract/unsigned.txt", content_type="text/plain")

    with pytest.raises(ConfigurationError):
        gcs.signed_url(uri)


def test_without_a_bucket_downloads_fall_back_to_base64(providers_env, settings):
    settings.GCS_BUCKET = ""

    url = gcs.download_url(mime_type="image/png", data=b"pixels")

    assert url == "data:image/png;base64," + base64.b64encode(b"pixels").decode()
    assert gcs.output_prefix("jobs", "1") is None


def test_a_missing_object_is_an_invalid_request(providers_env):
    with pytest.raises(InvalidRequestError):
        gcs.download(f"gs://{EMULATOR_BUCKET}/contract/missing.png")
