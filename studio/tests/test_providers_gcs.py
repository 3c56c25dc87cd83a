"""Contract tests: GCS through google-cloud-storage against the emulator, and media links signed
by django-storages (V4) for a bucket storage."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
import urllib.request

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.gcloud import GoogleCloudStorage

from studio import providers
from studio.providers import gcs
from studio.providers.base import ConfigurationError, InvalidRequestError

from .conftest import EMULATOR_BUCKET


def test_it_uploads_and_downloads(providers_env):
    uri = gcs.upload(b"\x89PNG fake", "contract/roundtrip.png", content_type="image/png")

    assert uri == f"gs://{EMULATOR_BUCKET}/contract/roundtrip.png"
    assert gcs.download(uri) == b"\x89PNG fake"
    assert gcs.read_range(uri, 1, 4) == b"PNG"
    assert gcs.size(uri) == 9


def bucket_storage(**options) -> GoogleCloudStorage:
    """django-storages' backend on the emulator's bucket, configured as settings.py does."""
    defaults = {"bucket_name": EMULATOR_BUCKET, "location": "media", "file_overwrite": False}
    return GoogleCloudStorage(**{**defaults, "querystring_auth": True, "iam_sign_blob": False, **options})


def verify_v4_signature(url: str, public_key) -> dict[str, str]:
    """Check `url` as Google checks a V4 signed URL (the GOOG4-RSA-SHA256 algorithm, written from
    Google's description, not the library's code) and return its query. The emulator serves signed
    URLs without checking them, so this is where a wrong signature would show."""
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    signed = sorted((key, value) for key, value in pairs if key != "X-Goog-Signature")
    canonical_query = "&".join(
        f"{urllib.parse.quote(key, safe='-_.~')}={urllib.parse.quote(value, safe='-_.~')}"
        for key, value in signed
    )
    assert query["X-Goog-SignedHeaders"] == "host"
    canonical_request = "\n".join(
        ["GET", parts.path, canonical_query, f"host:{parts.netloc}\n", "host", "UNSIGNED-PAYLOAD"]
    )
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            query["X-Goog-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    # Raises InvalidSignature unless the key signed exactly this method, object, host and query.
    public_key.verify(
        bytes.fromhex(query["X-Goog-Signature"]), string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return query


def public_key_of(key_file) -> object:
    pem = json.loads(key_file.read_text())["private_key"].encode()
    return serialization.load_pem_private_key(pem, password=None).public_key()


def test_it_signs_v4_urls_for_a_bucket_storage_offline_with_a_key_file(providers_env, signing_key):
    storage = bucket_storage()
    name = storage.save("contract/clip one.mp4", ContentFile(b"video bytes"))

    url = providers.signed_storage_url(storage, name, hours=24, download_name="clip.mp4")

    parts = urllib.parse.urlsplit(url)
    query = verify_v4_signature(url, public_key_of(signing_key))
    assert f"{parts.scheme}://{parts.netloc}" == providers_env.gcs_url  # STORAGE_EMULATOR_HOST's
    assert parts.path == f"/{EMULATOR_BUCKET}/media/contract/clip%20one.mp4"  # under the location
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "86400"
    signed_at = dt.datetime.strptime(query["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - signed_at).total_seconds()) < 60
    assert query["X-Goog-Credential"].startswith("signer@test-project.iam.gserviceaccount.com/")
    assert query["X-Goog-Credential"].endswith("/auto/storage/goog4_request")
    assert query["response-content-disposition"] == 'attachment; filename="clip.mp4"'
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"video bytes"


def test_a_tampered_signed_url_fails_the_check(providers_env, signing_key):
    """The check above can fail: another object, a longer life or another key are all refused."""
    storage = bucket_storage()
    name = storage.save("contract/tamper.txt", ContentFile(b"x"))
    url = providers.signed_storage_url(storage, name, hours=1)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()

    for tampered, key in (
        (url.replace("tamper.txt", "other.txt"), public_key_of(signing_key)),
        (url.replace("X-Goog-Expires=3600", "X-Goog-Expires=7200"), public_key_of(signing_key)),
        (url, other_key),
    ):
        with pytest.raises(InvalidSignature):
            verify_v4_signature(tampered, key)


def test_signing_without_a_key_or_a_service_account_is_a_configuration_error(providers_env, settings):
    settings.GCS_SIGNING_KEY_FILE = ""
    storage = bucket_storage()  # the emulator's client holds anonymous credentials: nothing signs
    name = storage.save("contract/unsigned.txt", ContentFile(b"x"))

    with pytest.raises(ConfigurationError, match="Cannot sign GCS URLs"):
        providers.signed_storage_url(storage, name, hours=1)


def test_signing_through_signblob_without_application_default_credentials_is_a_configuration_error(
    providers_env, settings, monkeypatch
):
    """Without a key file django-storages signs through IAM signBlob as the ADC service account;
    with no ADC to be found that is a configuration error, not a crash."""
    settings.GCS_SIGNING_KEY_FILE = ""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")

    with pytest.raises(ConfigurationError):
        providers.signed_storage_url(bucket_storage(iam_sign_blob=True), "contract/any.txt", hours=1)


def test_an_unreadable_key_file_is_a_configuration_error(providers_env, settings, tmp_path):
    settings.GCS_SIGNING_KEY_FILE = str(tmp_path / "missing-key.json")

    with pytest.raises(ConfigurationError, match="GCS_SIGNING_KEY_FILE"):
        providers.signed_storage_url(bucket_storage(), "contract/any.txt", hours=1)


def test_it_tells_bucket_storage_from_local_storage(tmp_path):
    assert providers.is_bucket_storage(bucket_storage())
    assert not providers.is_bucket_storage(FileSystemStorage(location=tmp_path))


def test_without_a_bucket_there_is_no_output_folder(providers_env, settings):
    settings.GCS_BUCKET = ""

    assert gcs.output_prefix("jobs", "1") is None


def test_a_missing_object_is_an_invalid_request(providers_env):
    with pytest.raises(InvalidRequestError):
        gcs.download(f"gs://{EMULATOR_BUCKET}/contract/missing.png")
