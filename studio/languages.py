"""The product's languages: English (the source), Afrikaans and isiZulu (README "Languages").

Django picks the request's language in LocaleMiddleware (the language cookie set_language writes,
then Accept-Language — the API's requests too, so its human messages follow the client's
Accept-Language while its codes stay English). A signed-in user's choice is kept on their
Profile; at log-in it is copied into the session, and `user_language` applies it on every request
from there, so no request asks the database for it.

A page script's words travel with the page, not in a catalogue file: the `page_script` tag
(studio/templatetags/languages.py) writes the script's element with a `data-words` attribute, a JSON
object {English msgid: translation} of just the djangojs entries that script passes to gettext(),
and nothing in English (the source). The script reads it once (`document.currentScript`) into small
local gettext()/interpolate() that fall back to the English words; makemessages -d djangojs still
extracts its literal gettext("...") calls. No inline script under the CSP (an attribute is data),
no extra request, and 0.1–0.7 KB gzipped on the few pages with script words where Django's
JavaScriptCatalog cost 1.8 KB (README "Languages").
"""

from __future__ import annotations

import gettext as gettext_module
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.contrib.auth.signals import user_logged_in
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

# Django knows Afrikaans but not isiZulu; the switcher shows each language's own name.
LANG_INFO.setdefault("zu", {"bidi": False, "code": "zu", "name": "Zulu", "name_local": "isiZulu"})

SESSION_KEY = "profile_language"


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


# gettext("...") or gettext('...') with a literal, as makemessages -d djangojs (xgettext) finds it.
GETTEXT_CALL = re.compile(r"""\bgettext\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')""")
# The page words are one msgid -> one translation: no plural forms, no contexts.
UNSUPPORTED_CALL = re.compile(r"\b(?:ngettext|pgettext|npgettext|gettext_noop)\(")
JS_ESCAPE = re.compile(r"\\(.)")
# JSON that can stand in a single-quoted HTML attribute as it is: these four only occur inside
# its strings, where the \u escapes mean the same to JSON.parse.
ATTRIBUTE_SAFE = {ord("&"): "\\u0026", ord("'"): "\\u0027", ord("<"): "\\u003c", ord(">"): "\\u003e"}


def _unescape(literal: str, script: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) not in "\"'\\":
            raise ValueError(f"{script}: gettext({literal!r}) has an escape the page words do not read.")
        return match.group(1)

    return JS_ESCAPE.sub(one, literal)


@cache
def script_msgids(script: str) -> tuple[str, ...]:
    """The msgids a static script (e.g. "studio/viewer.js") passes to gettext(), read from its
    source once per process. A script that calls ngettext() or pgettext() is refused: its words
    would need plural forms or contexts, which the page words do not carry."""
    found = finders.find(script)
    if isinstance(found, str):
        text = Path(found).read_text(encoding="utf-8")
    else:  # only the collected copy (STATIC_ROOT) is there
        with staticfiles_storage.open(script) as file:
            text = file.read().decode()
    if unsupported := UNSUPPORTED_CALL.search(text):
        raise ValueError(f"{script} calls {unsupported.group(0)}): page words are gettext() only.")
    calls = GETTEXT_CALL.finditer(text)
    return tuple(dict.fromkeys(_unescape(m.group(1) or m.group(2) or "", script) for m in calls))


def _js_catalogue(lang: str) -> gettext_module.NullTranslations:
    """The language's compiled djangojs catalogues (LOCALE_PATHS, the first one winning as in
    Django); an empty one for English, which has none."""
    catalogue = gettext_module.NullTranslations()
    for base in settings.LOCALE_PATHS:
        found = gettext_module.translation("djangojs", base, [translation.to_locale(lang)], fallback=True)
        catalogue.add_fallback(found)
    return catalogue


@cache
def script_words(script: str, lang: str) -> str:
    """The words of `script` in `lang` as attribute-safe JSON, {msgid: translation} for each
    translated msgid only; "" when there are none (English)."""
    if lang not in codes():
        return ""
    catalogue = _js_catalogue(lang)
    words = {msgid: catalogue.gettext(msgid) for msgid in script_msgids(script)}
    words = {msgid: text for msgid, text in words.items() if text != msgid}
    if not words:
        return ""
    return json.dumps(words, ensure_ascii=False, separators=(",", ":")).translate(ATTRIBUTE_SAFE)
