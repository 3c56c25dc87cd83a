"""API tokens: the command issues a secret once and stores only its hash; the bearer auth accepts
only usable tokens and records their use; the session auth enforces Django's CSRF check.

The session tests run against a tiny ninja API defined here (this module is their URLconf), wired
exactly as the studio's API is: `auth=[ApiTokenAuth(), SessionCsrfAuth()]`.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI

from studio.auth import ApiTokenAuth, SessionCsrfAuth
from studio.management.commands.create_api_token import Command as CreateApiToken
from studio.models import ApiToken

api = NinjaAPI(auth=[ApiTokenAuth(), SessionCsrfAuth()], urls_namespace="test-api-tokens", docs_url=None)


@api.get("/whoami")
def whoami(request):
    # Calling get_token makes CsrfViewMiddleware set the csrftoken cookie, as the pages do.
    return {
        "username": request.user.username,
        "csrf": get_token(request),
        "via_token": hasattr(request, "api_token"),
    }


@api.post("/echo")
def echo(request):
    return {"username": request.user.username, "auth": request.auth.username}


urlpatterns = [path("api/", api.urls)]


def bearer(secret: str):
    return RequestFactory().get("/api/whoami", HTTP_AUTHORIZATION=f"Bearer {secret}")


def issue(user, name: str = "") -> tuple[ApiToken, str]:
    return ApiToken.issue(user, name)


# --- create_api_token ----------------------------------------------------------------------


def test_it_prints_a_working_secret_once_and_stores_only_its_hash(make_user):
    alice = make_user(username="alice")
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", "alice", "--name", "laptop script", stdout=out, stderr=err)

    secret = out.getvalue().strip()
    assert "\n" not in secret, "stdout carries only the secret, so `$(...)` captures it"
    assert secret.startswith(ApiToken.PREFIX) and len(secret) > 40
    assert "will not be shown again" in err.getvalue()
    assert secret not in err.getvalue()
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (alice, "laptop script")
    assert token.token_hash == ApiToken.hash(secret)
    stored = " ".join(str(v) for v in ApiToken.objects.values().get().values())
    assert secret not in stored
    assert ApiTokenAuth()(bearer(secret)) == alice


def test_it_refuses_an_unknown_user_with_one_line_and_exit_status_1(db, capsys, monkeypatch):
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command("create_api_token", "ghost", stdout=io.StringIO(), stderr=io.StringIO())

    # The manage.py path: one line on stderr, no traceback, exit status 1.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        CreateApiToken().run_from_argv(["manage.py", "create_api_token", "ghost"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip() == "CommandError: no user named 'ghost'"
    assert not ApiToken.objects.exists()


def test_it_refuses_a_deactivated_user(make_user):
    bob = make_user(username="bob")
    bob.is_active = False
    bob.save()
    with pytest.raises(CommandError, match="deactivated"):
        call_command("create_api_token", "bob", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


# --- ApiTokenAuth --------------------------------------------------------------------------


def test_it_authenticates_a_good_token_and_sets_request_user(make_user):
    alice = make_user(username="alice")
    token, secret = issue(alice)
    request = bearer(secret)

    assert ApiTokenAuth()(request) == alice
    assert request.user == alice
    assert request.api_token == token


def test_it_refuses_a_revoked_token(make_user):
    token, secret = issue(make_user())
    token.revoked_at = timezone.now()
    token.save()
    assert ApiTokenAuth()(bearer(secret)) is None


def test_it_refuses_the_token_of_a_deactivated_user(make_user):
    bob = make_user(username="bob")
    _, secret = issue(bob)
    bob.is_active = False
    bob.save()
    assert ApiTokenAuth()(bearer(secret)) is None


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer nonsense", "Bearer ms_", "Basic YWxpY2U6cHc=", "Token ms_abc"],
)
def test_it_refuses_missing_or_garbage_credentials(make_user, header):
    issue(make_user())
    request = RequestFactory().get("/api/whoami", HTTP_AUTHORIZATION=header)
    assert ApiTokenAuth()(request) is None


def test_it_refuses_the_stored_hash_and_a_near_miss(make_user):
    """A leaked database row is not a credential, and neither is a secret one character off."""
    token, secret = issue(make_user())
    assert ApiTokenAuth()(bearer(token.token_hash)) is None
    near_miss = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert ApiTokenAuth()(bearer(near_miss)) is None


def test_it_tells_two_users_tokens_apart(make_user):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    _, alice_secret = issue(alice)
    _, bob_secret = issue(bob)
    assert ApiTokenAuth()(bearer(alice_secret)) == alice
    assert ApiTokenAuth()(bearer(bob_secret)) == bob


def test_it_records_last_use_at_most_once_a_minute(make_user, django_assert_num_queries):
    token, secret = issue(make_user())
    assert token.last_used_at is None

    ApiTokenAuth()(bearer(secret))
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    with django_assert_num_queries(1):  # the lookup only: no write while the stored time is fresh
        ApiTokenAuth()(bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    ApiTokenAuth()(bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(seconds=1)
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


# --- SessionCsrfAuth through a real ninja API -----------------------------------------------


@pytest.fixture
def alice_browser(make_user):
    """Alice signed in, with a client that enforces CSRF as a browser request would meet it."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user(username="alice"))
    return browser


@pytest.mark.urls("studio.tests.test_api_tokens")
def test_it_refuses_a_session_post_without_the_csrf_token(alice_browser):
    response = alice_browser.post("/api/echo", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.urls("studio.tests.test_api_tokens")
def test_it_refuses_a_session_post_with_a_wrong_csrf_token(alice_browser):
    alice_browser.get("/api/whoami")  # sets the csrftoken cookie
    response = alice_browser.post("/api/echo", content_type="application/json", HTTP_X_CSRFTOKEN="x" * 32)
    assert response.status_code == 403


@pytest.mark.urls("studio.tests.test_api_tokens")
def test_it_accepts_a_session_post_with_the_csrf_token(alice_browser):
    page = alice_browser.get("/api/whoami")
    assert page.status_code == 200  # safe methods need no token
    assert page.json()["username"] == "alice"

    response = alice_browser.post(
        "/api/echo", content_type="application/json", HTTP_X_CSRFTOKEN=page.json()["csrf"]
    )
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "auth": "alice"}


@pytest.mark.urls("studio.tests.test_api_tokens")
def test_it_answers_401_not_a_csrf_403_without_a_session(db):
    response = Client(enforce_csrf_checks=True).post("/api/echo", content_type="application/json")
    assert response.status_code == 401


@pytest.mark.urls("studio.tests.test_api_tokens")
def test_it_needs_no_csrf_token_with_a_bearer_token(make_user, alice_browser):
    """Browsers never attach an Authorization header on their own, so a token call cannot be forged."""
    bob = make_user(username="bob")
    _, secret = issue(bob)

    response = Client(enforce_csrf_checks=True).post(
        "/api/echo", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200
    assert response.json() == {"username": "bob", "auth": "bob"}

    # The token wins over a session cookie sent alongside it, and still needs no CSRF token.
    response = alice_browser.post(
        "/api/echo", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.json()["username"] == "bob"


@pytest.mark.urls("studio.tests.test_api_tokens")
def test_it_falls_back_to_the_csrf_checked_session_when_the_token_is_bad(alice_browser):
    response = alice_browser.post(
        "/api/echo", content_type="application/json", HTTP_AUTHORIZATION="Bearer nope"
    )
    assert response.status_code == 403


def test_it_refuses_a_session_of_a_deactivated_user(make_user):
    bob = make_user(username="bob")
    bob.is_active = False
    request = RequestFactory().get("/api/whoami")
    request.user = bob
    assert SessionCsrfAuth()(request) is None
