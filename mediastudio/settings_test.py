"""Settings for the test suite (pyproject.toml points pytest here): production's settings, with
a fixed test key, plain HTTP and a fast password hasher.

The key and HTTPS=false go into the environment before the settings are read, so every process
the tests start (the qcluster of studio/tests/cluster.py, manage.py and probe subprocesses, which
inherit this environment and DJANGO_SETTINGS_MODULE) reads the same configuration. A subprocess
that wants production's module exactly sets DJANGO_SETTINGS_MODULE=mediastudio.settings itself.
"""

from __future__ import annotations

import os

# Public, so good for nothing but tests; strong by Django's test (W009) so DEBUG can stay off.
os.environ["SECRET_KEY"] = "test-suite-only-key-Xq7mR2vL9pW4nT8sK3jH6fB1cZ5yD0gA"
os.environ.pop("SECRET_KEY_FILE", None)
os.environ["HTTPS"] = "false"

# Under `pytest -n N` (make test) each xdist worker ("gw0", "gw1", ...) has its own test database
# (pytest-django suffixes its name). Everything else two workers could share carries the worker's
# name too: the breaker namespace (in the environment, which the processes a worker starts
# inherit), and below the default breaker file, the cache's keys and django-q2's queue (a worker's
# children read this module with the same PYTEST_XDIST_WORKER, so they agree with it).
# The suite's older tests are about the seed's Imagen 3 models (their ids, faults matched on them,
# R0.74 quotes), which Google shut down on 2026-06-30; the product's defaults are today's models
# (studio/providers/catalog.py). So the tests pin the seed's models here (every process they start
# inherits this), and studio/tests/conftest.py starts the emulator with its clock before that date.
# Tests about the defaults blank these settings and move the emulator's clock to today.
SEED_MODELS = {
    "MODEL_IMAGE_GENERATE": "imagen-3.0-generate-002",
    "MODEL_IMAGE_EDIT": "imagen-3.0-capability-001",
    "MODEL_UPSCALE_V3": "imagen-3.0-generate-002",
}
for _name, _model in SEED_MODELS.items():
    os.environ.setdefault(_name, _model)

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    os.environ.setdefault("BREAKER_NAMESPACE", f"mediastudio-{XDIST_WORKER}")

from mediastudio.settings import *  # noqa: E402, F403
from mediastudio.settings import BREAKER_STATE_PATH, CACHES, Q_CLUSTER, STORAGES  # noqa: E402

# Hashing thousands of test passwords with PBKDF2 costs minutes; MD5 is fine for throwaway users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-allauth's own rate limits (a verification mail per address per 3 minutes, ...) count in the
# cache, which outlives a test (and on Redis, a run): tests sign up the same addresses again and
# again. Our caps on sign-ups and reset mails count in the database and stay on.
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth takes False for "none"

# Pages read static files from the source folders (no collectstatic before a test run); the
# production storage (hashed names) is tested by test_static_files.py under mediastudio.settings.
# Media stay on disk whatever GCS_BUCKET says: the qcluster of studio/tests/cluster.py gets the
# emulator's bucket for Veo's outputs and shares the test's media folder. A test that wants media
# in the bucket asks for the gcs_media fixture (studio/tests/conftest.py).
STORAGES = {
    **STORAGES,
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# ...and WhiteNoise finds them there too, as it does with DEBUG on (no STATIC_ROOT needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if XDIST_WORKER:
    if "BREAKER_STATE_PATH" not in os.environ:  # the default file beside the database
        BREAKER_STATE_PATH = BREAKER_STATE_PATH.with_name(f"{BREAKER_STATE_PATH.stem}-{XDIST_WORKER}.sqlite3")
    # One Redis database serves both workers: keys and the task queue carry the worker's name.
    CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": XDIST_WORKER}}
    Q_CLUSTER = {**Q_CLUSTER, "name": f"{Q_CLUSTER['name']}-{XDIST_WORKER}"}

# The brief per-process caches (mediastudio/brief.py) are off: a test that edits a price or revokes
# a token with a queryset update sees it at once. Their bounds have tests of their own.
API_TOKEN_CACHE_SECONDS = 0
PRICE_CACHE_SECONDS = 0
