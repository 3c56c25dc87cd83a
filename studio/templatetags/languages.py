"""The language switcher's choices and the JavaScript catalogue's URL (studio/languages.py)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info

from studio.languages import catalogue_version

register = template.Library()


@register.simple_tag
def jsi18n_src() -> str:
    """The active language's JavaScript catalogue: a static-friendly script URL with its version.
    None ("") in English, the source language: the page scripts fall back to their own words when
    there is no gettext, so an English page fetches nothing more (README "Languages")."""
    lang = translation.get_language() or settings.LANGUAGE_CODE
    if lang not in dict(settings.LANGUAGES) or lang == settings.LANGUAGE_CODE:
        return ""
    return reverse("jsi18n", kwargs={"lang": lang, "version": catalogue_version(lang)})


@register.simple_tag
def language_choices() -> list[dict[str, object]]:
    """Each language by its own name, and which one is active."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    return [
        {
            "code": code,
            "short": code.split("-")[0].upper(),
            "name": get_language_info(code)["name_local"],
            "current": code == current,
        }
        for code, _ in settings.LANGUAGES
    ]
