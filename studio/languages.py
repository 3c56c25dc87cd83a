"""The product's languages: English (the source), Afrikaans and isiZulu (README "Languages").

Django picks the request's language in LocaleMiddleware (the language cookie set_language writes,
then Accept-Language — the API's requests too, so its human messages follow the client's
Accept-Language while its codes stay English). A signed-in user's choice is kept on their
Profile; at log-in it is copied into the session, and `user_language` applies it on every request
from there, so no request asks the database for it.

The JavaScript catalogue is Django's JavaScriptCatalog at /jsi18n/<lang>/<version>.js: a script
file (no inline script under the CSP), one per language, whose URL changes when the compiled
catalogue does, so browsers keep it for a year.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django.views.i18n import set_language as django_set_language

# Django knows Afrikaans but not isiZulu; the switcher shows each language's own name.
LANG_INFO.setdefault("zu", {"bidi": False, "code": "zu", "name": "Zulu", "name_local": "isiZulu"})

SESSION_KEY = "profile_language"
ONE_YEAR = 365 * 24 * 3600


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def from_accept_language(header: str) -> str:
    """The language LocaleMiddleware gives a request with this Accept-Language and no cookie or
    session: for /mcp, which runs outside Django's middleware."""
    request = HttpRequest()
    request.META["HTTP_ACCEPT_LANGUAGE"] = header
    return translation.get_language_from_request(request)


def user_language(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """After LocaleMiddleware and authentication: a signed-in user's saved language wins."""

    def middleware(request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        lang = session.get(SESSION_KEY) if session is not None else None
        if lang in codes():
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        return get_response(request)

    return middleware


@receiver(user_logged_in)
def _apply_profile_language(sender: object, request: HttpRequest | None, user: Any, **kwargs: object) -> None:
    from studio.models import Profile

    if request is None or not hasattr(request, "session"):
        return
    lang = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if lang in codes():
        request.session[SESSION_KEY] = lang
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    else:
        # A user with no saved choice keeps the browser's (or the one picked before logging in).
        request.session.pop(SESSION_KEY, None)


@require_POST
def set_language(request: HttpRequest) -> HttpResponseBase:
    """Django's set_language (the cookie, the redirect back), and for a signed-in user the profile."""
    response = django_set_language(request)
    lang = request.POST.get("language", "")
    if lang in codes():
        if request.user.is_authenticated:
            from studio.models import Profile

            Profile.objects.update_or_create(user=request.user, defaults={"language": lang})
            request.session[SESSION_KEY] = lang
        elif hasattr(request, "session"):
            request.session.pop(SESSION_KEY, None)
    return response


@cache
def catalogue_version(lang: str) -> str:
    """A short hash of the language's compiled JavaScript catalogues (changes when they do)."""
    digest = hashlib.sha256(lang.encode())
    for base in settings.LOCALE_PATHS:
        mo = Path(base) / translation.to_locale(lang) / "LC_MESSAGES" / "djangojs.mo"
        if mo.exists():
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:12]


def javascript_catalog(request: HttpRequest, lang: str, version: str) -> HttpResponseBase:
    if lang not in codes():
        raise Http404("No such language.")
    with translation.override(lang):
        # This project's strings only (LOCALE_PATHS): not the Django admin's own JavaScript
        # catalogue, which would more than double the Afrikaans file.
        response = JavaScriptCatalog.as_view(packages=["studio"])(request)
    if version == catalogue_version(lang):
        response["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response["Cache-Control"] = "no-cache"
    return response
