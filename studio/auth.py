"""Who is calling the JSON API: a bearer token (scripts, the LLM tool runner) or the browser session.

Wire them in this order: `NinjaAPI(auth=[ApiTokenAuth(), SessionCsrfAuth()])`. ninja tries each in
turn and stops at the first that answers a user, or at the first that raises, so the bearer token
goes first: a script that sends no cookies must never reach the CSRF check.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from mediastudio.brief import BriefCache
from studio.models import ApiToken

# How stale `last_used_at` may get: writing it on every call would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Tokens looked up in the last API_TOKEN_CACHE_SECONDS, with their users, by the secret's hash:
# a poll then costs no query for who is calling. The bound: a token revoked (or its user
# deactivated) in another process still works here for at most that long; revoking through
# the admin forgets it in that process at once (studio/admin.py). Unknown secrets are not kept.
known_tokens: BriefCache[ApiToken] = BriefCache(lambda: settings.API_TOKEN_CACHE_SECONDS)


def forget_tokens_of_saved_user(sender, instance, **kwargs) -> None:
    """A user saved in this process (deactivated in the admin, say): its tokens are looked up
    again at once (connected in studio/apps.py)."""
    if not instance.is_active:
        known_tokens.forget()


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer ms_…`, checked against the stored SHA-256 of the secret.

    There is no secret comparison in Python to time: the lookup is by the hash of what was sent,
    through a unique index (or the process's brief memory, known_tokens), so a near miss and a
    wild guess cost the same. Revoked tokens and
    tokens of deactivated users are not `usable()` and answer None, which ninja turns into 401.
    """

    def authenticate(self, request: HttpRequest, token: str):
        api_token = usable_token(token)
        if api_token is None:
            return None
        # Downstream code (services, idempotency) reads request.user whichever way the caller came in.
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


def usable_token(secret: str) -> ApiToken | None:
    """The usable ApiToken (with its user) whose secret is `secret`, its use recorded; None for
    no secret, an unknown or revoked one, or a deactivated user's. The API's bearer auth and the
    MCP server's (studio/mcp_server.py) both ask this."""
    if not secret:
        return None
    token_hash = ApiToken.hash(secret)
    remembered = known_tokens.get(
        token_hash,
        lambda: ApiToken.objects.usable().select_related("user").filter(token_hash=token_hash).first(),
    )
    if remembered is None:
        return None
    # Each caller its own copies: nothing a view sets on request.user outlives the request.
    api_token = copy.copy(remembered)
    api_token.user = copy.copy(remembered.user)
    _touch(api_token)
    remembered.last_used_at = api_token.last_used_at
    return api_token


def _touch(api_token: ApiToken) -> None:
    """Record the use at most once a minute: no write at all while the stored time is fresh,
    and a conditional UPDATE so a burst of concurrent calls writes once, not once each."""
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if api_token.last_used_at is not None and api_token.last_used_at >= stale:
        return
    ApiToken.objects.filter(pk=api_token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
    ).update(last_used_at=now)
    api_token.last_used_at = now


class CsrfRefused(HttpError):
    """A session call with an unsafe method and no valid CSRF token (403).

    Its own class so the API's exception handlers can give it a stable error code.
    """

    def __init__(self) -> None:
        super().__init__(
            403, "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
        )


class SessionCsrfAuth(SessionAuth):
    """The signed-in browser session (the pages' HTMX calls), with Django's CSRF check.

    ninja 1.x dropped `NinjaAPI(csrf=...)`: its views are csrf_exempt for Django's middleware, and
    the check runs instead inside every cookie-based auth (`APIKeyCookie._get_key`, with
    `csrf=True` by default, so `SessionAuth` included), through Django's own CsrfViewMiddleware:
    unsafe methods need the token, safe ones do not. We keep that check and change two things:

    - no session, no check: an anonymous request has nothing to forge, and should get the API's
      401 rather than a CSRF 403 that sends a script author looking in the wrong place;
    - the refusal is `CsrfRefused`, and a deactivated user is refused even if a session survives.
    """

    def _get_key(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        try:
            return super()._get_key(request)
        except HttpError:
            raise CsrfRefused() from None

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None
