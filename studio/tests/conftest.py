"""Shared fixtures for the provider contract tests (studio/tests/test_providers_*.py).

One emulator runs for the whole session; each test gets a clean request log, no pending faults,
its own breaker namespace and state file, and a retry policy scaled down 20x so that spacing is
still real but the suite stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mediastudio.settings_test import SEED_MODELS

EMULATOR_BUCKET = "media-studio-local"
# The emulator's clock for the suite: before the seed's Imagen 3 models shut down (2026-06-30), since
# the tests pin those models (mediastudio/settings_test.py). The default_models fixture moves it to today.
SEED_ERA = dt.date(2026, 6, 1)


@pytest.fixture(scope="session")
def emulator():
    from emulator import start_emulator

    emu = start_emulator(host="127.0.0.1", port=0, gcs_port=0, operation_delay=0.5, today=SEED_ERA)
    yield emu
    emu.stop()


@pytest.fixture
def providers_env(emulator, settings, monkeypatch, tmp_path):
    """Point every provider at the emulator, with fresh breakers and a fast retry policy."""
    from emulator import POLLINATIONS_KEY

    emulator.reset()
    settings.VERTEX_BASE_URL = emulator.base_url
    settings.VERTEX_PROJECT = "test-project"
    settings.VERTEX_LOCATION = "us-central1"
    settings.GEMINI_LOCATION = "global"
    settings.POLLINATIONS_BASE_URL = emulator.base_url
    settings.POLLINATIONS_API_KEY = POLLINATIONS_KEY  # the emulator, like Pollinations, wants a key
    settings.GCS_BUCKET = EMULATOR_BUCKET
    settings.GCS_SIGNING_KEY_FILE = ""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.gcs_url)
    for name in (
        "MODEL_IMAGE",
        "MODEL_IMAGE_GENERATE",
        "MODEL_IMAGE_EDIT",
        "MODEL_IMAGE_COMPOSE",
        "MODEL_IMAGE_PREVIEW",
        "MODEL_UPSCALE_V3",
        "MODEL_UPSCALE_V4",
        "MODEL_VIDEO",
        "MODEL_VIDEO_FAST",
        "MODEL_VIDEO_LITE",
        "MODEL_SUCCESSORS",
    ):
        setattr(settings, name, "")
    for name, model in SEED_MODELS.items():  # what the suite's tests are about (settings_test.py)
        setattr(settings, name, model)
    settings.REDIS_URL = ""
    settings.BREAKER_NAMESPACE = f"test-{uuid.uuid4().hex[:12]}"
    settings.BREAKER_STATE_PATH = tmp_path / "breakers.sqlite3"
    settings.PROVIDER_RETRY_ATTEMPTS = 5
    settings.PROVIDER_RETRY_INITIAL_SECONDS = 0.05
    settings.PROVIDER_RETRY_MULTIPLIER = 2.0
    settings.PROVIDER_RETRY_MAX_SECONDS = 0.4
    settings.PROVIDER_RETRY_JITTER_SECONDS = 0.0125
    settings.PROVIDER_IMAGE_TIMEOUT_SECONDS = 20
    settings.PROVIDER_VIDEO_TIMEOUT_SECONDS = 20
    return emulator


@pytest.fixture
def default_models(providers_env, settings):
    """No model settings at all, and the emulator's clock on today's date: the product's defaults."""
    for name in SEED_MODELS:
        setattr(settings, name, "")
    providers_env.set_clock(None)
    return providers_env


def product_requests(emulator) -> list[dict]:
    """The logged requests to Vertex and Pollinations (GCS traffic goes to its own server)."""
    return [r for r in emulator.requests() if not r["path"].startswith("/_emulator")]


@pytest.fixture
def q_sync(monkeypatch):
    """Run django-q2 tasks inline. Conf is read once at import, so override_settings cannot do
    this."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def studio_env(providers_env, settings, tmp_path, q_sync):
    """The whole job pipeline in-process: providers on the emulator, tasks inline, media in tmp."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VIDEO_POLL_SECONDS = 0.1
    settings.VIDEO_POLLER_BUDGET_SECONDS = 30
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.5
    return providers_env


@pytest.fixture
def alice(make_user):
    """Two JIVE users, for tests of what one may do to the other's things."""
    return make_user(username="alice", tier="JIVE")


@pytest.fixture
def bob(make_user):
    return make_user(username="bob", tier="JIVE")


@pytest.fixture
def api(client, django_capture_on_commit_callbacks):
    """A JSON client for /api/v1/media/ that runs on-commit work (the enqueue) like production."""
    return ApiClient(client, django_capture_on_commit_callbacks)


class ApiClient:
    prefix = "/api/v1/media"

    def __init__(self, client, capture):
        self.client = client
        self.capture = capture

    def login(self, user):
        self.client.force_login(user)
        return self

    def post(self, path, body=None, *, key=None, raw=None, **headers):
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = str(key)
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        with self.capture(execute=True):
            return self.client.post(self.prefix + path, data, content_type="application/json", **headers)

    def upload(self, data: bytes, name="photo.png", content_type="image/png", **headers):
        from django.core.files.uploadedfile import SimpleUploadedFile

        with self.capture(execute=True):
            return self.client.post(
                self.prefix + "/uploads", {"file": SimpleUploadedFile(name, data, content_type)}, **headers
            )

    def get(self, path, **kwargs):
        return self.client.get(
            self.prefix + path if path.startswith("/") and not path.startswith(self.prefix) else path,
            **kwargs,
        )


@pytest.fixture
def signing_key(tmp_path, settings):
    """A locally generated service-account key: V4 signing works offline."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path / "signer.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "test-project",
                "private_key_id": "local",
                "private_key": pem,
                "client_email": "signer@test-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    settings.GCS_SIGNING_KEY_FILE = str(path)
    return path


@pytest.fixture
def gcs_media(providers_env, signing_key, settings):
    """Media in the emulator's bucket through django-storages, configured as settings.py does
    with GCS_BUCKET, the emulator and a signing key file."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
            "OPTIONS": {
                "bucket_name": EMULATOR_BUCKET,
                "location": "media",
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
                "expiration": timedelta(hours=settings.MEDIA_SIGNED_URL_HOURS),
                "iam_sign_blob": False,
            },
        },
    }
    return providers_env
