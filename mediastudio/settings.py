"""Media Studio settings: one module, driven by environment variables.

Every value has a safe default: production's, for security. Production sets SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and the Vertex / GCS variables (see the README's operator
section); nothing else is needed for HTTPS, HSTS, secure cookies and the Content Security Policy.

Fail closed: with no environment at all DEBUG is off and the app refuses to start (one line,
ImproperlyConfigured) until SECRET_KEY is set, and with DEBUG off it refuses a weak key (Django's
W009 test: under 50 characters, under 5 different ones, or "django-insecure-..."). There is no
built-in key.

Running on this machine over plain HTTP (the contract with `make run` and the tests):
- `make run` generates a random key once into the git-ignored file `.secret-key` and runs with
  SECRET_KEY_FILE=.secret-key (or SECRET_KEY=...) and HTTPS=false, DEBUG left off.
- HTTPS=false means "served over plain HTTP on this machine": it turns off the redirect to
  https, HSTS and secure-only cookies, and nothing else (the CSP and every other header stay).
- The test suite runs on mediastudio/settings_test.py (pyproject.toml), which puts a test key and
  HTTPS=false into the environment, so every process the tests start gets the same settings.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from mediastudio.env import envbool, envint, envstr, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


# --- Debug, the secret key, hosts --------------------------------------------------------
# Off unless asked for: a forgotten variable must not serve debug pages to the world.
DEBUG = envbool("DEBUG", "false")
# The key signs sessions, password-reset links, media links and queued tasks (mediastudio/env.py).
SECRET_KEY = secret_key(debug=DEBUG)
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
    "csp",
    "template_partials",
    "django_q",
    "ninja",
    "allauth",  # sign-up, email verification, password reset and change (the Auth section below)
    "allauth.account",
    "axes",  # log-in throttling (the Auth section below)
    "billing",
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files in production: compressed, with hashed names cached for a year (below).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files go out without it: the policy is for pages.
    "mediastudio.csp.CSPMiddleware",  # django-csp's, the site policy built once (mediastudio/csp.py)
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's order): the language from the session
    # (set_language), then the language cookie, then Accept-Language — the API's too, which has no
    # session. A signed-in user's saved choice is applied right after authentication (below).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's language (their profile) wins over the browser's (studio/languages.py).
    "studio.languages.user_language",
    # billing.plan_for asks the database once per request (billing/middleware.py).
    "billing.middleware.plan_per_request",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the view, so rendering a page never writes: the header's new toasts are announced
    # here and put in the page (studio/pages/tray.py). Inside CommonMiddleware, which then
    # sets Content-Length.
    "studio.pages.tray.announce_new_toasts",
    # Last, as django-axes asks: it turns a locked-out log-in into the log-in page with a message.
    "axes.middleware.AxesMiddleware",
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
DATABASES: dict[str, Any]
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
        "DATABASE_PREPARED_STATEMENTS", "true"
    ):
        # Parameters bound by the server, and a statement run 5 times on a connection prepared
        # there, so PostgreSQL parses and plans each of the request path's few statements once
        # per connection, not on every request (Django's defaults turn both off for poolers
        # in transaction mode: set DATABASE_PREPARED_STATEMENTS=false behind one; issue 17).
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": 5,
            **DATABASES["default"].get("OPTIONS", {}),
        }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}}
# Whenever the engine is SQLite, however it was configured: WAL lets readers run beside the
# writer; IMMEDIATE takes the write lock at BEGIN so that the busy timeout applies instead of an
# instant "database is locked" on a read-then-write transaction.
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

# django-q2 for paid, slow tasks: no deep prefetch (bulk 1, a queue_limit of one per worker),
# retry well above timeout (studio.E004 checks it), and no queue-level re-runs of paid calls
# (the job state machine decides).
Q_CLUSTER: dict[str, Any] = {
    "name": "mediastudio",  # also the signing salt: do not change it while tasks are queued
    "workers": envint("Q_WORKERS", "2"),
    "queue_limit": envint("Q_WORKERS", "2"),
    "bulk": 1,
    # A task running longer is stopped by django-q2 (SIGALRM); see JOB_TASK_TIMEOUT_SECONDS below.
    "timeout": envint("JOB_TASK_TIMEOUT_SECONDS", "300"),
    "retry": envint("Q_RETRY_SECONDS", "900"),
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
# django-axes watches every authenticate() (our log-in page and the admin's) and refuses the
# right password too once a username has failed LOGIN_FAILURE_LIMIT times from one address, for
# LOGIN_LOCKOUT_MINUTES after the last failure. Its attempts live in the database (exact across
# processes, no shared cache needed); staff unlock by deleting them in the admin ("Access attempts").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: it refuses before the password is checked
    "allauth.account.auth_backends.AuthenticationBackend",  # the one allauth logs people in with
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", "15"))
# Per username and address together: a guesser is stopped without letting anyone lock a
# stranger out from elsewhere by typing the stranger's username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "studio.limits.client_ip"
AXES_LOCKOUT_CALLABLE = "studio.limits.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # no log of every successful log-in (it would grow without end)
AXES_VERBOSE = False  # no "AXES: BEGIN" banner on stderr: a command's error stays one line
# django-allauth: accounts have a username (what people log in with) and an email address that must
# be verified before the first log-in (a link by mail); reset, email and password changes by mail.
# An address that is already taken gets a mail saying so; the page says the same as for a new one.
# A link opens a page with a button (a mail scanner fetching it verifies nothing).
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Media Studio: "
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset asked for a stranger's address sends nothing
# Links in mails are built from the request (https behind the proxy: SECURE_PROXY_SSL_HEADER).
ACCOUNT_FORMS = {"login": "studio.pages.account.LoginForm"}
ACCOUNT_CHANGE_EMAIL = True  # one address at a time: a new one replaces the old once verified
# Failed log-ins are django-axes' (above); allauth's other cache-counted limits stay.
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# Abuse limits (studio/limits.py). Counted from database rows, so every process sees the same count.
# Uploads: a rolling 24 hours of a user's uploaded images, by count and by stored bytes.
UPLOADS_PER_DAY = envint("UPLOADS_PER_DAY", "100")
UPLOAD_BYTES_PER_DAY = envint("UPLOAD_BYTES_PER_DAY", str(300 * 1024 * 1024))
UPLOADS_PER_MINUTE = envint("UPLOADS_PER_MINUTE", "10")
SUBMITS_PER_MINUTE = envint("SUBMITS_PER_MINUTE", "10")  # accepted jobs, every channel together
if SUBMITS_PER_MINUTE < 1:  # the limit's SQL looks for the limit-th job of the minute (studio/limits.py)
    raise ImproperlyConfigured(f"SUBMITS_PER_MINUTE must be 1 or more, not {SUBMITS_PER_MINUTE}")
SIGNUPS_PER_ADDRESS = envint("SIGNUPS_PER_ADDRESS", "3")
SIGNUP_WINDOW_MINUTES = envint("SIGNUP_WINDOW_MINUTES", "60")
PASSWORD_RESETS_PER_ADDRESS = envint("PASSWORD_RESETS_PER_ADDRESS", "5")  # per SIGNUP_WINDOW_MINUTES
# How many proxies in front of the app append to X-Forwarded-For: the client's address is the
# N-th entry from the right (entries further left are whatever the client sent). 0 = REMOTE_ADDR.
# Cloud Run alone: 1; behind a Google external Application Load Balancer: 2.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")

# --- Locale -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-za"
TIME_ZONE = "Africa/Johannesburg"
USE_I18N = True
USE_TZ = True
# English is the source language; Afrikaans and isiZulu are translated (locale/, README "Languages").
# Django ships Afrikaans messages but no isiZulu ones and neither language's formats: ours are
# in mediastudio/formats/ (from CLDR, as Babel ships it). Django has no LANG_INFO for isiZulu
# either; studio/languages.py adds it (name_local for the switcher).
LANGUAGES = [("en-za", "English"), ("af", "Afrikaans"), ("zu", "isiZulu")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mediastudio.formats"]
LANGUAGE_COOKIE_NAME = "lang"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# The FREE tier's sample clips (studio/samples.py) are rendered into a static source folder of
# their own (under /static/samples/), so collectstatic gives them hashed names and WhiteNoise (or
# the front server) serves them with Range. Not inside static/: clips rendered there would shadow
# a SAMPLES_ROOT set elsewhere. The repository keeps the empty folder (samples/.gitkeep), so the
# static files check finds it before the first render.
SAMPLES_ROOT = Path(envstr("SAMPLES_ROOT", str(BASE_DIR / "samples")))
STATICFILES_DIRS.append(("samples", SAMPLES_ROOT))
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Behind nginx with local media: the internal location that maps to MEDIA_ROOT (e.g.
# /protected-media/). Django checks the owner or the link, then answers X-Accel-Redirect and nginx
# sends the bytes (Range, slow clients). Empty: Django streams them (asynchronously under
# mediastudio.asgi). GCS media is a redirect to a signed URL either way (studio/serving.py).
MEDIA_ACCEL_REDIRECT_PREFIX = envstr("MEDIA_ACCEL_REDIRECT_PREFIX")

# Google Cloud Storage: one bucket, GCS_BUCKET, for all the app keeps there. Without it media are
# local files under MEDIA_ROOT, served by studio.serving (owner or signed link, with HTTP Range),
# and Veo returns its videos inline. With it, media (outputs and uploads) live in the bucket under
# GCS_MEDIA_PREFIX through django-storages and are served as V4 signed URLs, and Imagen and Veo
# write their outputs under GCS_OUTPUT_PREFIX (studio/providers/gcs.py). google-cloud-storage
# reads STORAGE_EMULATOR_HOST from the environment itself. MEDIA_BUCKET and MEDIA_BUCKET_PREFIX
# are the names before one bucket; they are still read, for one release.
GCS_BUCKET = envstr("GCS_BUCKET")
if envstr("MEDIA_BUCKET") and GCS_BUCKET and envstr("MEDIA_BUCKET") != GCS_BUCKET:
    raise ImproperlyConfigured(
        f"MEDIA_BUCKET ({envstr('MEDIA_BUCKET')}) and GCS_BUCKET ({GCS_BUCKET}) differ: media and "
        "provider outputs share one bucket now; set GCS_BUCKET to the bucket holding the media"
    )
GCS_BUCKET = GCS_BUCKET or envstr("MEDIA_BUCKET")
GCS_MEDIA_PREFIX = envstr("GCS_MEDIA_PREFIX", envstr("MEDIA_BUCKET_PREFIX", "media"))
GCS_OUTPUT_PREFIX = envstr("GCS_OUTPUT_PREFIX", "generated")
# A service-account key file that signs media URLs offline; without one, the runtime service
# account signs them through IAM signBlob (studio/providers/gcs.py).
GCS_SIGNING_KEY_FILE = envstr("GCS_SIGNING_KEY_FILE")

# How long a media link works for whoever holds it. Local media: a django.core.signing link,
# checked against this when used. GCS: a V4 signed URL, which Google caps at 7 days.
MEDIA_SIGNED_URL_HOURS = envint("MEDIA_SIGNED_URL_HOURS", "24")
if not 1 <= MEDIA_SIGNED_URL_HOURS <= 168:
    raise ImproperlyConfigured(
        f"MEDIA_SIGNED_URL_HOURS must be 1 to 168 (a V4 signed URL lasts at most 7 days), "
        f"not {MEDIA_SIGNED_URL_HOURS}"
    )

# The MCP server at /mcp (studio/mcp_server.py, README "MCP"): a finished image up to this size also
# comes back inline as MCP image content (beside its signed link); larger ones as the link only.
MCP_IMAGE_CONTENT_MAX_BYTES = envint("MCP_IMAGE_CONTENT_MAX_BYTES", str(512 * 1024))
MCP_MAX_REQUEST_BYTES = envint("MCP_MAX_REQUEST_BYTES", str(256 * 1024))  # a bigger POST: 413
# Browser origins allowed to call /mcp (none by default: desktop and CLI clients send no Origin).
MCP_ALLOWED_ORIGINS = [o for o in envstr("MCP_ALLOWED_ORIGINS").split(",") if o]

STORAGES: dict[str, dict[str, Any]] = {
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
if GCS_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
        "OPTIONS": {
            "bucket_name": GCS_BUCKET,
            "location": GCS_MEDIA_PREFIX,
            "file_overwrite": False,
            "default_acl": None,
            # url() signs V4 URLs. studio.serving asks for one only after the owner or link check.
            "querystring_auth": True,
            "expiration": timedelta(hours=MEDIA_SIGNED_URL_HOURS),
            # Without a key file, sign through IAM signBlob as the ADC service account. Not with
            # the emulator: its client uses anonymous credentials, and there is no ADC to ask.
            "iam_sign_blob": not GCS_SIGNING_KEY_FILE and not os.environ.get("STORAGE_EMULATOR_HOST"),
        },
    }

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
# Time limits that fit inside each other (studio/checks.py refuses to start otherwise):
#   one provider attempt < JOB_PROVIDER_BUDGET_SECONDS < JOB_TASK_TIMEOUT_SECONDS < JOB_LEASE_SECONDS
# A job's provider calls, retries included, must end within the budget: a retry is made only if
# it can end in time, so a provider that stops answering fails the job as provider_timeout. The
# rest of the task timeout is for reading inputs and storing outputs. If django-q2 stops a task at
# its timeout all the same, the job is failed (provider_timeout) and released at once. A running
# job whose worker has not finished it within the lease was lost (the worker was killed): the
# sweeper, every minute, fails it and releases its allowance.
JOB_TASK_TIMEOUT_SECONDS = Q_CLUSTER["timeout"]
JOB_PROVIDER_BUDGET_SECONDS = envint("JOB_PROVIDER_BUDGET_SECONDS", "240")
JOB_LEASE_SECONDS = envint("JOB_LEASE_SECONDS", "330")
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
# How long a web process remembers an API token it has looked up (studio/auth.py): a token
# revoked, or a user deactivated, in another process is refused within this many seconds (at
# once in the process that did it).
API_TOKEN_CACHE_SECONDS = float(envstr("API_TOKEN_CACHE_SECONDS", "10"))

# --- Billing ----------------------------------------------------------------------------
# The USD→ZAR rate used for new cost records; every record stores the rate it used.
USD_TO_ZAR_RATE = Decimal(envstr("USD_TO_ZAR_RATE", "18.50"))
# How long a web process remembers a model's price for quotes (mediastudio/brief.py): a price
# edited in the admin reaches other processes' quotes within this; charges always read the row.
PRICE_CACHE_SECONDS = float(envstr("PRICE_CACHE_SECONDS", "10"))

# --- PayFast: plans are bought as a PayFast monthly subscription (billing/payfast.py) -------------
# The merchant's credentials come from the environment only; without them the plans page says
# payments are not set up and offers no checkout. PAYFAST_SANDBOX (the default) uses PayFast's
# sandbox; PAYFAST_SANDBOX=false its live site. Each URL can also be set on its own (`make run`
# points them at the offline emulator's stand-in).
PAYFAST_MERCHANT_ID = envstr("PAYFAST_MERCHANT_ID")
PAYFAST_MERCHANT_KEY = envstr("PAYFAST_MERCHANT_KEY")
PAYFAST_PASSPHRASE = envstr("PAYFAST_PASSPHRASE")  # required for subscriptions
PAYFAST_SANDBOX = envbool("PAYFAST_SANDBOX", "true")
_PAYFAST_HOST = "https://sandbox.payfast.co.za" if PAYFAST_SANDBOX else "https://www.payfast.co.za"
PAYFAST_PROCESS_URL = envstr("PAYFAST_PROCESS_URL", f"{_PAYFAST_HOST}/eng/process")
PAYFAST_VALIDATE_URL = envstr("PAYFAST_VALIDATE_URL", f"{_PAYFAST_HOST}/eng/query/validate")
PAYFAST_API_URL = envstr("PAYFAST_API_URL", "https://api.payfast.co.za")  # ?testing=true in the sandbox
# Where PayFast posts its notifications; empty: this site's own URL as the browser reached it. Set
# it to a public address (a tunnel such as ngrok) when trying the real sandbox from a laptop.
PAYFAST_NOTIFY_URL = envstr("PAYFAST_NOTIFY_URL")
# Notifications are believed only from PayFast's published addresses (behind TRUSTED_PROXY_COUNT
# proxies); off for the sandbox stand-in on this machine.
PAYFAST_CHECK_SOURCE_IP = envbool("PAYFAST_CHECK_SOURCE_IP", "true")
PAYFAST_TIMEOUT_SECONDS = float(envstr("PAYFAST_TIMEOUT_SECONDS", "8"))
# How long after a paid period ends a plan waits for PayFast's renewal notification before it
# falls back to FREE (PayFast charges on the billing date; its ITN can come hours later).
PAYFAST_GRACE = timedelta(hours=envint("PAYFAST_GRACE_HOURS", "24"))

# --- Security: HTTPS, cookies, headers ----------------------------------------------------
# Production is served over HTTPS only. HTTPS=false is for plain HTTP on this machine (make run,
# the tests): it turns off the redirect to https, HSTS and secure-only cookies, and nothing else.
# Each of those can also be set on its own; `manage.py check --deploy` is clean with the defaults.
HTTPS = envbool("HTTPS", "true")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(HTTPS))
# A year, this host and its subdomains, and eligible for the browsers' preload list (Cloud Run's
# run.app is on it already). Set SECURE_HSTS_INCLUDE_SUBDOMAINS=false if a subdomain serves plain
# HTTP; SECURE_HSTS_PRELOAD=false if the domain must be able to leave HTTPS within a year.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(HTTPS))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(HTTPS))
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# TLS ends at the proxy in front (Cloud Run, a load balancer), which says so in this header; it
# must be a header that proxy always sets, or a client could claim https. Empty: not behind one.
SECURE_PROXY_SSL_HEADER_NAME = envstr("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
if SECURE_PROXY_SSL_HEADER_NAME:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + SECURE_PROXY_SSL_HEADER_NAME.upper().replace("-", "_"), "https")
SECURE_REFERRER_POLICY = envstr("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): only this site's own scripts, styles, fonts and fetches;
# no inline script or style anywhere (the pages' scripts and styles are static files, htmx's
# indicator style is in app.css), no plugins, no framing, forms post only here. Images may also
# be data: URLs (the empty favicon); images and videos come from the bucket when media live in GCS
# (signed URLs). CSP_REPORT_URI, when set, receives the browsers' violation reports.
_MEDIA_ORIGINS = []
if GCS_BUCKET:
    _MEDIA_ORIGINS.append("https://storage.googleapis.com")
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        _MEDIA_ORIGINS.append(os.environ["STORAGE_EMULATOR_HOST"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_MEDIA_ORIGINS],
        "media-src": [SELF, *_MEDIA_ORIGINS],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": envstr("CSP_REPORT_URI") or None,
    },
}

# --- Mail -------------------------------------------------------------------------------
# Password reset sends real mail: SMTP to EMAIL_HOST. Printed on the console instead only with
# DEBUG and no EMAIL_HOST, or when asked (make run sets EMAIL_BACKEND to the console backend):
# never by default in production, where the log would hand reset links to anyone who reads it.
# A failed send is logged, never a 500 (Django's PasswordResetForm).
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "true")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")  # a stuck mail server must not hold a request worker
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Media Studio <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(3 * 60 * 60))  # a reset link lives 3 h


def _not_a_queue_push(record) -> bool:
    """django-q2 logs "Enqueued [queue] N" at INFO for every task pushed: one line per submit on
    the web workers, which say nothing the access log and the worker's own lines don't (and cost
    about 2% of a submit's time). Its other INFO lines (the cluster starting, a task's outcome) stay."""
    return record.levelno > logging.INFO or not record.getMessage().startswith("Enqueued [")


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"not_a_queue_push": {"()": "django.utils.log.CallbackFilter", "callback": _not_a_queue_push}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # django-axes logs every successful log-in at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
        "django-q": {"filters": ["not_a_queue_push"]},
    },
}

# --- Providers (Google, Pollinations, GCS) and the offline emulator ----------------------
# Filled in by the providers work (issue 3); kept in this one module like everything else.
# Everything here is read at call time by studio/providers/, so tests may override it.

# Vertex AI. With VERTEX_BASE_URL set, google-genai talks plain HTTP to that server (the offline
# emulator, or anything speaking the same wire format) with a fixed bearer token instead of
# Application Default Credentials.
VERTEX_PROJECT = envstr("VERTEX_PROJECT", "media-studio-local")
VERTEX_LOCATION = envstr("VERTEX_LOCATION", "us-central1")  # Veo 3.1 is served only in us-central1
GEMINI_LOCATION = envstr("GEMINI_LOCATION", "global")  # Gemini 3.x image models are global-only
VERTEX_BASE_URL = envstr("VERTEX_BASE_URL")
VERTEX_API_VERSION = envstr("VERTEX_API_VERSION", "v1")
VERTEX_FIXED_TOKEN = envstr("VERTEX_FIXED_TOKEN", "emulator-token")

# Pollinations (the FREE preview): the gen gateway; a secret key is sent as a Bearer token. The key
# is required (the gateway answers anonymous calls with 401); provider_check and /health warn without it.
# The media bucket's region (europe-west4) is chosen when it is created: README, "Deploying on Google Cloud".
POLLINATIONS_BASE_URL = envstr("POLLINATIONS_BASE_URL", "https://gen.pollinations.ai")
POLLINATIONS_API_KEY = envstr("POLLINATIONS_API_KEY")

# Google Cloud Storage (GCS_BUCKET and the rest) is set with the media, above.

# Which model serves each operation (studio/providers/catalog.py lists them). Empty means the
# catalog's default, a model Google serves today (generate and edit: gemini-3.1-flash-image).
# MODEL_IMAGE moves generate and edit together, e.g. MODEL_IMAGE=gemini-3-pro-image.
MODEL_IMAGE = envstr("MODEL_IMAGE")
MODEL_IMAGE_GENERATE = envstr("MODEL_IMAGE_GENERATE")
MODEL_IMAGE_EDIT = envstr("MODEL_IMAGE_EDIT")
MODEL_IMAGE_COMPOSE = envstr("MODEL_IMAGE_COMPOSE")  # a Gemini image model; default gemini-3.1-flash-image
MODEL_IMAGE_PREVIEW = envstr("MODEL_IMAGE_PREVIEW")  # a Pollinations model name; default flux
MODEL_UPSCALE_V3 = envstr("MODEL_UPSCALE_V3")
MODEL_UPSCALE_V4 = envstr("MODEL_UPSCALE_V4")
MODEL_VIDEO = envstr("MODEL_VIDEO")
MODEL_VIDEO_FAST = envstr("MODEL_VIDEO_FAST")
MODEL_VIDEO_LITE = envstr("MODEL_VIDEO_LITE")
MODEL_TEXT = envstr("MODEL_TEXT")  # the assistant and the prompt helper; default gemini-3.8-flash
MODEL_SUCCESSORS = envstr("MODEL_SUCCESSORS")  # "retired-id=successor-id,..." overrides the catalog

# Every provider call has an explicit timeout (google-genai's default is none).
PROVIDER_IMAGE_TIMEOUT_SECONDS = envint("PROVIDER_IMAGE_TIMEOUT_SECONDS", "120")
PROVIDER_VIDEO_TIMEOUT_SECONDS = envint("PROVIDER_VIDEO_TIMEOUT_SECONDS", "60")  # submit and poll
PROVIDER_POLLINATIONS_TIMEOUT_SECONDS = envint("PROVIDER_POLLINATIONS_TIMEOUT_SECONDS", "90")
PROVIDER_GCS_TIMEOUT_SECONDS = envint("PROVIDER_GCS_TIMEOUT_SECONDS", "60")
PROVIDER_TEXT_TIMEOUT_SECONDS = envint("PROVIDER_TEXT_TIMEOUT_SECONDS", "60")  # one text call (or a stream)

# The assistant (/studio/assistant/) asks the user before a tool call that costs more than this
# (ZAR, e.g. "2.00"; "0" asks every time). Its replies and the prompt helper's are capped in tokens.
ASSISTANT_CONFIRM_ABOVE_ZAR = envstr("ASSISTANT_CONFIRM_ABOVE_ZAR", "2.00")
ASSISTANT_MAX_OUTPUT_TOKENS = envint("ASSISTANT_MAX_OUTPUT_TOKENS", "1024")
PROMPT_HELPER_MAX_OUTPUT_TOKENS = envint("PROMPT_HELPER_MAX_OUTPUT_TOKENS", "512")

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
