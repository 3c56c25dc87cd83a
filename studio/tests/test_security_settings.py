"""Hardening by environment (mediastudio/settings.py): fail closed on a missing or weak key, HTTPS
settings with production defaults and HTTPS=false for plain HTTP here, `check --deploy` clean with
the README's production environment, and the Content Security Policy on every page.

Settings are read once per process, so each environment is tried in a subprocess that starts from
an empty environment (nothing inherited from the test run) with production's settings module.
"""

from __future__ import annotations

import ast
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from csp.decorators import csp_exempt, csp_update
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from mediastudio.csp import CSPMiddleware

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(50)

# The README's "Production environment" (For operators), less the services' real addresses.
PRODUCTION_ENV = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "studio.example.co.za",
    "CSRF_TRUSTED_ORIGINS": "https://studio.example.co.za",
    "SITE_ROOT": "https://studio.example.co.za",
    "DATABASE_URL": "postgres://mediastudio@db:5432/mediastudio",
    "REDIS_URL": "redis://cache:6379/0",
    "EMAIL_HOST": "smtp.example.co.za",
}


def run(code_or_args, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Python code (a str) or manage.py arguments (a list) under production's settings module and
    exactly `env` (plus PATH and a private SQLite file)."""
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "mediastudio.settings",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else ["manage.py", *code_or_args]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def refusal(result: subprocess.CompletedProcess) -> str:
    """The last line of a failed start: the one-line ImproperlyConfigured message."""
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


SETTINGS_AS_JSON = """
import json, django
django.setup()
from django.conf import settings
facts = {name: repr(getattr(settings, name)) for name in dir(settings) if name.isupper()}
print(json.dumps({name: value for name, value in facts.items() if " at 0x" not in value}))
"""


def settings_under(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    result = run(SETTINGS_AS_JSON, env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Fail closed ------------------------------------------------------------------------------


def test_with_no_environment_it_refuses_to_start_with_a_one_line_fix(tmp_path):
    line = refusal(run(["check"], {}, tmp_path))

    assert line.startswith("django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set")
    assert "secrets.token_urlsafe(50)" in line


def test_with_only_a_key_debug_is_off(tmp_path):
    assert settings_under({"SECRET_KEY": STRONG_KEY}, tmp_path)["DEBUG"] == "False"


@pytest.mark.parametrize(
    "weak_key",
    [
        "x",
        STRONG_KEY[:49],  # one short of Django's 50
        "ab" * 40,  # long, but 2 different characters
        "django-insecure-" + STRONG_KEY,  # startproject's placeholder
    ],
    ids=["one character", "49 characters", "few different characters", "django-insecure prefix"],
)
def test_with_debug_off_a_weak_key_is_refused(tmp_path, weak_key):
    line = refusal(run(["check"], {"SECRET_KEY": weak_key}, tmp_path))

    assert line.startswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is too weak for DEBUG=false"
    )
    assert "secrets.token_urlsafe(50)" in line


def test_debug_on_is_asked_for_and_then_takes_any_key(tmp_path):
    facts = settings_under({"SECRET_KEY": "dev", "DEBUG": "true"}, tmp_path)

    assert facts["DEBUG"] == "True" and facts["SECRET_KEY"] == "'dev'"


def test_the_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret-key"
    key_file.write_text(STRONG_KEY + "\n")

    assert settings_under({"SECRET_KEY_FILE": str(key_file)}, tmp_path)["SECRET_KEY"] == repr(STRONG_KEY)
    line = refusal(run(["check"], {"SECRET_KEY_FILE": str(tmp_path / "missing")}, tmp_path))
    assert line.startswith("django.core.exceptions.ImproperlyConfigured: SECRET_KEY_FILE cannot be read")


# --- HTTPS ------------------------------------------------------------------------------------


def test_production_defaults_are_https_only(tmp_path):
    facts = settings_under(PRODUCTION_ENV, tmp_path)

    assert facts["SECURE_SSL_REDIRECT"] == "True"
    assert facts["SECURE_HSTS_SECONDS"] == str(365 * 24 * 3600)
    assert facts["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == "True" and facts["SECURE_HSTS_PRELOAD"] == "True"
    assert facts["SESSION_COOKIE_SECURE"] == "True" and facts["CSRF_COOKIE_SECURE"] == "True"
    assert facts["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_https_false_turns_off_the_redirect_hsts_and_secure_cookies_and_nothing_else(tmp_path):
    """Every setting compared, with and without EMAIL_HOST. (Mail does not follow HTTPS: make run
    asks for the console backend through EMAIL_BACKEND; see the Mail section of settings.py.)"""
    without_mail = {name: value for name, value in PRODUCTION_ENV.items() if name != "EMAIL_HOST"}
    for env in (PRODUCTION_ENV, without_mail):
        https = settings_under(env, tmp_path)
        plain = settings_under({**env, "HTTPS": "false"}, tmp_path)

        changed = {name for name in https.keys() | plain.keys() if https.get(name) != plain.get(name)}
        assert changed == {
            "HTTPS",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "LANGUAGE_COOKIE_SECURE",
        }
        assert plain["SECURE_HSTS_SECONDS"] == "0" and plain["SECURE_SSL_REDIRECT"] == "False"


def test_each_setting_can_be_set_on_its_own(tmp_path):
    facts = settings_under(
        {
            **PRODUCTION_ENV,
            "SECURE_HSTS_SECONDS": "3600",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false",
            "SECURE_HSTS_PRELOAD": "false",
            "SECURE_PROXY_SSL_HEADER": "",
            "SECURE_REFERRER_POLICY": "no-referrer",
        },
        tmp_path,
    )

    assert facts["SECURE_HSTS_SECONDS"] == "3600"
    assert facts["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == "False" and facts["SECURE_HSTS_PRELOAD"] == "False"
    assert facts["SECURE_PROXY_SSL_HEADER"] == "None"
    assert facts["SECURE_REFERRER_POLICY"] == "'no-referrer'"


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = run(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_without_https(tmp_path):
    """The check above can fail: plain HTTP in production is exactly what it warns about."""
    result = run(
        ["check", "--deploy", "--fail-level", "WARNING"], {**PRODUCTION_ENV, "HTTPS": "false"}, tmp_path
    )

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


# The branded 404 page links its style sheets through collectstatic's manifest, so the test collects
# into its own STATIC_ROOT first, as a deployment does.
PRODUCTION_RESPONSES = """
import json, django
django.setup()
from django.test import Client
path = "/no-such-page/"
plain = Client().get(path)
secure = Client().get(path, secure=True)
proxied = Client().get(path, headers={"x-forwarded-proto": "https"})
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "secure": secure.status_code,
    "proxied": proxied.status_code,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "branded": b"Image Studio" in secure.content,
    "csp": secure.headers.get("Content-Security-Policy"),
}))
"""


def test_in_production_http_is_redirected_and_https_answers_with_hsts_and_the_policy(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    collected = run(["collectstatic", "--noinput", "-v0"], env, tmp_path)
    assert collected.returncode == 0, collected.stderr
    result = run(PRODUCTION_RESPONSES, env, tmp_path)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])

    assert facts["plain"] == [301, "https://testserver/no-such-page/"]
    assert facts["secure"] == 404 and facts["proxied"] == 404  # served, not redirected again
    assert facts["branded"]  # the 404 page with the navigation, under production's static files
    assert facts["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in facts["csp"]


# --- The Content Security Policy --------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_pages_carry_a_strict_policy_and_plain_http_here_sends_no_hsts(client, make_user):
    client.force_login(make_user())
    for path in ("/", "/images/", "/accounts/login/"):
        response = client.get(path, follow=True)
        policy = directives(response.headers["Content-Security-Policy"])

        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
        assert "Strict-Transport-Security" not in response.headers  # HTTPS=false in the tests


def test_media_in_a_bucket_are_allowed_as_images_and_video(tmp_path):
    facts = settings_under({**PRODUCTION_ENV, "GCS_BUCKET": "studio-media"}, tmp_path)
    policy = ast.literal_eval(facts["CONTENT_SECURITY_POLICY"])["DIRECTIVES"]

    assert policy["img-src"] == ["'self'", "data:", "https://storage.googleapis.com"]
    assert policy["media-src"] == ["'self'", "https://storage.googleapis.com"]
    assert policy["script-src"] == ["'self'"]


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_has_inline_script_or_style():
    """The browser tests catch a violation on the pages they visit; this catches every template."""
    found = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            # Template tags and variables are not markup ({% with one=... %} is no onclick).
            text = re.sub(r"{%.*?%}|{{.*?}}", " ", template.read_text(), flags=re.S)
            found += [
                f"{template.relative_to(ROOT)}: {kind}"
                for kind, pattern in INLINE.items()
                if pattern.search(text)
            ]
    assert not found


def test_every_aspect_ratio_icon_has_its_css_rule():
    """The ratio icons are shaped by app.css rules, not style attributes: a new ratio needs a rule."""
    from studio.schemas import IMAGE_ASPECT_RATIOS, VIDEO_ASPECT_RATIOS

    css = (ROOT / "static/studio/app.css").read_text()
    for ratio in {*IMAGE_ASPECT_RATIOS, *VIDEO_ASPECT_RATIOS}:
        shape = ratio.replace(":", "/")
        assert f'.ar[data-ar="{shape}"]{{aspect-ratio:{shape}}}' in css, ratio


def test_the_site_policy_built_once_is_django_csps_own(client, make_user, settings):
    """mediastudio.csp builds the site's header once per process: it is exactly what django-csp
    builds, an API answer carries it too, a settings change is seen, and a response that asks for
    its own policy (a csp_update, an exemption) still gets django-csp's handling."""
    client.force_login(make_user())
    assert client.get("/images/").headers["Content-Security-Policy"] == build_policy()
    assert client.get("/api/v1/media/jobs").headers["Content-Security-Policy"] == build_policy()

    def own_policy(decorator) -> HttpResponse:
        return CSPMiddleware(decorator(lambda request: HttpResponse()))(RequestFactory().get("/"))

    updated = own_policy(csp_update({"form-action": "https://pay.test"}))
    assert updated.headers["Content-Security-Policy"] == build_policy(
        update={"form-action": "https://pay.test"}
    )
    assert "Content-Security-Policy" not in own_policy(csp_exempt()).headers

    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "img-src": ["https://x.test"]}
    }
    assert "https://x.test" in client.get("/images/").headers["Content-Security-Policy"]


def test_postgresql_prepares_statements_unless_told_not_to(tmp_path):
    """Issue 17: server-side binding and prepared statements on PostgreSQL by default; off with
    DATABASE_PREPARED_STATEMENTS=false (a pooler in transaction mode); SQLite untouched."""
    on = settings_under(PRODUCTION_ENV, tmp_path)["DATABASES"]
    assert "'server_side_binding': True" in on and "'prepare_threshold': 5" in on
    off = settings_under({**PRODUCTION_ENV, "DATABASE_PREPARED_STATEMENTS": "false"}, tmp_path)["DATABASES"]
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    sqlite = settings_under({**PRODUCTION_ENV, "DATABASE_URL": ""}, tmp_path)["DATABASES"]
    assert "server_side_binding" not in sqlite
