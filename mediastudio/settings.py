"""Media Studio settings: one module, driven by environment variables.

Every value has a safe local default so that `make run` works on a fresh machine with no
cloud account. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and the
Vertex / GCS variables (see the README's operator section).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", "true")
# The development key is only accepted while DEBUG is on; production must bring its own.
SECRET_KEY = envstr("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
if not DEBUG and SECRET_KEY.startswith("insecure-"):
    raise ValueError("Set SECRET_KEY when DEBUG is false")
ALLOWED_HOSTS = [h for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS").split(",") if o]
SITE_ROOT = envstr("SITE_ROOT", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "ninja",
    "billing",
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files in production: compressed, with hashed names cached for a year (below).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mediastudio.urls"
WSGI_APPLICATION = "mediastudio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite by default (SQLITE_PATH), or whatever DATABASE_URL names (postgres://…, sqlite:///…).
SQLITE_PATH = Path(envstr("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}}
# Whenever the engine is SQLite, however it was configured: WAL lets readers run beside the
# writer; IMMEDIATE takes the write lock at BEGIN so that the busy timeout applies instead of an
# instant "database is locked" on a read-then-write transaction (reliability-notes.md §5).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite = DATABASES["default"]
    _sqlite["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **_sqlite.get("OPTIONS", {}),
    }
    if str(_sqlite["NAME"]) != ":memory:":
        # A file, not Django's shared in-memory database: concurrency tests need real
        # SQLite locking, which shared-cache memory databases do not have.
        _name = Path(_sqlite["NAME"])
        _sqlite["TEST"] = {
            "NAME": str(_name.with_name(_name.stem + "_test.sqlite3")),
            **_sqlite.get("TEST", {}),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue --------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2, configured as reliability-notes.md §1.7 advises: no deep prefetch, retry well
# above timeout, and no queue-level re-runs of paid calls (the job state machine decides).
Q_CLUSTER = {
    "name": "mediastudio",  # also the signing salt: do not change it while tasks are queued
    "workers": envint("Q_WORKERS", "2"),
    "queue_limit": envint("Q_WORKERS", "2"),
    "bulk": 1,
    "timeout": 300,
    "retry": 900,
    "max_attempts": 1,
    "ack_failures": True,
    "save_limit": 1000,
    "catch_up": False,
    "poll": 1,
    "recycle": 200,
    "sync": envbool("Q_SYNC", "false"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"
LOGOUT_REDIRECT_URL = "login"

# --- Locale -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-za"
TIME_ZONE = "Africa/Johannesburg"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Generated and uploaded media go through Django's storage API: local files under MEDIA_ROOT by
# default; Google Cloud Storage (django-storages) when MEDIA_BUCKET is set. Local files are served
# by studio.serving (owner or signed URL, with HTTP Range); GCS files by V4 signed URLs.
MEDIA_BUCKET = envstr("MEDIA_BUCKET")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # With DEBUG off, collectstatic writes hashed and gzipped copies that
    # WhiteNoise serves with a year's cache: a returning visitor on a slow line downloads no CSS or
    # JavaScript at all. In development runserver serves the files as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if MEDIA_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "location": envstr("MEDIA_BUCKET_PREFIX", "media"),
            "file_overwrite": False,
            # We sign URLs ourselves (studio/providers/gcs.py), only after an ownership check.
            "querystring_auth": False,
            "default_acl": None,
        },
    }
# Result links (signed URLs) stay valid this long: a Django-signed URL for local files, a GCS
# V4 signed URL otherwise.
MEDIA_SIGNED_URL_HOURS = envint("MEDIA_SIGNED_URL_HOURS", "24")

# Uploads (edit, upscale, image-to-video): PNG, JPEG or WebP, capped while streaming.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))
UPLOAD_MAX_PIXELS = envint("UPLOAD_MAX_PIXELS", "40000000")
UPLOAD_MAX_SIDE = envint("UPLOAD_MAX_SIDE", "8192")
FILE_UPLOAD_HANDLERS = [
    "studio.uploads.MaxSizeUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A JSON body may carry a base64 mask for an edit: allow a little more than Django's 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", str(8 * 1024 * 1024))

# --- Jobs ---------------------------------------------------------------------------------
# A running job whose worker has not finished it within the lease was lost (the worker was
# killed): the sweeper fails it and releases its allowance. Keep it above Q_CLUSTER timeout.
JOB_LEASE_SECONDS = envint("JOB_LEASE_SECONDS", "360")
# A queued job whose task never arrived (a crash between commit and enqueue, a Redis flush) is
# enqueued again after this; the conditional claim makes a duplicate delivery harmless.
JOB_REQUEUE_SECONDS = envint("JOB_REQUEUE_SECONDS", "120")
VIDEO_POLL_SECONDS = float(envstr("VIDEO_POLL_SECONDS", "3"))
VIDEO_DEADLINE_MINUTES = envint("VIDEO_DEADLINE_MINUTES", "20")
# How long one poller task keeps polling before it hands over to the next scheduled run.
VIDEO_POLLER_BUDGET_SECONDS = envint("VIDEO_POLLER_BUDGET_SECONDS", "50")
# Idempotency-Key lifetimes (the seed's): images 1 h, video 2 h.
IDEMPOTENCY_IMAGE_TTL_MINUTES = envint("IDEMPOTENCY_IMAGE_TTL_MINUTES", "60")
IDEMPOTENCY_VIDEO_TTL_MINUTES = envint("IDEMPOTENCY_VIDEO_TTL_MINUTES", "120")
# A duplicate that arrives while the first request is still being handled waits this long for
# its answer before getting 409.
IDEMPOTENCY_WAIT_SECONDS = float(envstr("IDEMPOTENCY_WAIT_SECONDS", "3"))

# --- Billing ----------------------------------------------------------------------------
# The USD→ZAR rate used for new cost records; every record stores the rate it used.
USD_TO_ZAR_RATE = Decimal(envstr("USD_TO_ZAR_RATE", "18.50"))

# --- Security defaults for production -----------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

# --- Providers (Google, Pollinations, GCS) and the offline emulator ----------------------
# Filled in by the providers work (issue 3); kept in this one module like everything else.
# Everything here is read at call time by studio/providers/, so tests may override it.

# Vertex AI. With VERTEX_BASE_URL set, google-genai talks plain HTTP to that server (the offline
# emulator, or anything speaking the same wire format) with a fixed bearer token instead of
# Application Default Credentials.
VERTEX_PROJECT = envstr("VERTEX_PROJECT", "media-studio-local")
VERTEX_LOCATION = envstr("VERTEX_LOCATION", "us-central1")
GEMINI_LOCATION = envstr("GEMINI_LOCATION", "global")  # Gemini 3.x image models are global-only
VERTEX_BASE_URL = envstr("VERTEX_BASE_URL")
VERTEX_API_VERSION = envstr("VERTEX_API_VERSION", "v1")
VERTEX_FIXED_TOKEN = envstr("VERTEX_FIXED_TOKEN", "emulator-token")

# Pollinations (the FREE preview): the gen gateway; a secret key is sent as a Bearer token.
POLLINATIONS_BASE_URL = envstr("POLLINATIONS_BASE_URL", "https://gen.pollinations.ai")
POLLINATIONS_API_KEY = envstr("POLLINATIONS_API_KEY")

# Google Cloud Storage. google-cloud-storage reads STORAGE_EMULATOR_HOST from the environment
# itself. Without GCS_BUCKET, downloads fall back to base64 data URLs. Signing V4 URLs offline
# needs a service-account key file; without one, production signs through IAM signBlob.
GCS_BUCKET = envstr("GCS_BUCKET")
GCS_OUTPUT_PREFIX = envstr("GCS_OUTPUT_PREFIX", "generated")
GCS_SIGNING_KEY_FILE = envstr("GCS_SIGNING_KEY_FILE")
GCS_SIGNED_URL_HOURS = envint("GCS_SIGNED_URL_HOURS", "24")

# Which model serves each operation (studio/providers/catalog.py lists them). Empty means the
# seed's model. MODEL_IMAGE moves generate and edit together, e.g. MODEL_IMAGE=gemini-3.1-flash-image.
MODEL_IMAGE = envstr("MODEL_IMAGE")
MODEL_IMAGE_GENERATE = envstr("MODEL_IMAGE_GENERATE")
MODEL_IMAGE_EDIT = envstr("MODEL_IMAGE_EDIT")
MODEL_IMAGE_PREVIEW = envstr("MODEL_IMAGE_PREVIEW")  # a Pollinations model name; default flux
MODEL_UPSCALE_V3 = envstr("MODEL_UPSCALE_V3")
MODEL_UPSCALE_V4 = envstr("MODEL_UPSCALE_V4")
MODEL_VIDEO = envstr("MODEL_VIDEO")
MODEL_VIDEO_FAST = envstr("MODEL_VIDEO_FAST")
MODEL_SUCCESSORS = envstr("MODEL_SUCCESSORS")  # "retired-id=successor-id,..." overrides the catalog

# Every provider call has an explicit timeout (google-genai's default is none).
PROVIDER_IMAGE_TIMEOUT_SECONDS = envint("PROVIDER_IMAGE_TIMEOUT_SECONDS", "120")
PROVIDER_VIDEO_TIMEOUT_SECONDS = envint("PROVIDER_VIDEO_TIMEOUT_SECONDS", "60")  # submit and poll
PROVIDER_POLLINATIONS_TIMEOUT_SECONDS = envint("PROVIDER_POLLINATIONS_TIMEOUT_SECONDS", "90")
PROVIDER_GCS_TIMEOUT_SECONDS = envint("PROVIDER_GCS_TIMEOUT_SECONDS", "60")

# Retries (the seed's policy): 1 s, x2, capped at 8 s, plus up to 250 ms jitter, 5 attempts.
PROVIDER_RETRY_ATTEMPTS = envint("PROVIDER_RETRY_ATTEMPTS", "5")
PROVIDER_RETRY_INITIAL_SECONDS = float(envstr("PROVIDER_RETRY_INITIAL_SECONDS", "1.0"))
PROVIDER_RETRY_MULTIPLIER = float(envstr("PROVIDER_RETRY_MULTIPLIER", "2.0"))
PROVIDER_RETRY_MAX_SECONDS = float(envstr("PROVIDER_RETRY_MAX_SECONDS", "8.0"))
PROVIDER_RETRY_JITTER_SECONDS = float(envstr("PROVIDER_RETRY_JITTER_SECONDS", "0.25"))

# Circuit breakers, one per model, shared by every process: in Redis when REDIS_URL is set,
# otherwise in a small SQLite file that every process on this machine opens.
BREAKER_IMAGE_FAIL_MAX = envint("BREAKER_IMAGE_FAIL_MAX", "5")
BREAKER_IMAGE_RESET_SECONDS = float(envstr("BREAKER_IMAGE_RESET_SECONDS", "30"))
BREAKER_VIDEO_FAIL_MAX = envint("BREAKER_VIDEO_FAIL_MAX", "3")
BREAKER_VIDEO_RESET_SECONDS = float(envstr("BREAKER_VIDEO_RESET_SECONDS", "60"))
BREAKER_NAMESPACE = envstr("BREAKER_NAMESPACE", "mediastudio")
BREAKER_STATE_PATH = Path(
    envstr("BREAKER_STATE_PATH", str(SQLITE_PATH.with_name("provider-breakers.sqlite3")))
)
