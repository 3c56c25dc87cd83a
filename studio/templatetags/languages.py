"""The language switcher's choices, and a page script with its words (studio/languages.py)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info

from studio.languages import script_words

register = template.Library()


@register.simple_tag
def page_script(script: str) -> SafeString:
    """`<script src=... defer>` for a static script, carrying the script's words in the active
    language in `data-words` (studio/languages.py); in English the bare element, as before."""
    words = script_words(script, translation.get_language() or settings.LANGUAGE_CODE)
    if not words:
        return format_html('<script src="{}" defer></script>', static(script))
    # script_words' JSON has no ' & < or >: it stands in the single-quoted attribute as it is
    # (escaping it would turn every " into &quot;).
    return format_html("<script src=\"{}\" defer data-words='{}'></script>", static(script), mark_safe(words))


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
