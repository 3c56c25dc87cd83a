"""The template linter of `make check` (scripts/i18n_lint.py): a user-facing string in a template
must be marked for translation; what the template language writes, marked sentences, brand names
and slash commands are not flagged."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n_lint  # noqa: E402


def flagged(source: str, **kwargs) -> list[str]:
    return [text for _, text in i18n_lint.lint_source(source, **kwargs)]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Log out</p>", ["Log out"]),
        ('<img src="x.png" alt="A cat">', ['alt="A cat"']),
        ('<a aria-label="Close {{ name }}" href="#">×</a>', ['aria-label="Close …"']),
        ('<input placeholder="Describe it">', ['placeholder="Describe it"']),
        ('<button title="Undo">{% translate "Undo" %}</button>', ['title="Undo"']),
        ('<input type="submit" value="Save">', ['value="Save"']),
        ("<p>{{ count }} images left</p>", ["… images left"]),
        # A sentence half marked is still English on the page.
        ('<p>{% translate "You have" %} {{ n }} credits</p>', ["… … credits"]),
        ("<li>Ek is Afrikaans</li>", ["Ek is Afrikaans"]),
    ],
)
def test_unmarked_words_are_found(source, found):
    assert flagged(source) == found


@pytest.mark.parametrize(
    "source",
    [
        '{% load i18n %}<p>{% translate "Log out" %}</p>',
        "<p>{% blocktranslate trimmed with n=count %}{{ n }} images <b>left</b>{% endblocktranslate %}</p>",
        '<a aria-label="{% translate "Close" %}" title="{{ label }}">×</a>',
        "<span>Media Studio</span> <b>JIVE</b> <i>R12.50</i> <em>1024 px PNG</em>",
        "<p><code>/image a cat --ratio 16:9</code> /help</p>",
        "{# a comment with words #}{% comment %}More words here{% endcomment %}<p>{{ x }}</p>",
        '<input type="hidden" value="something">',
        "<script src=x></script><style></style>",
    ],
)
def test_marked_and_not_words_pass(source):
    assert flagged(source) == []


def test_plain_text_templates_are_read_line_by_line():
    source = '{% load i18n %}{% translate "Hello" %}\n\nClick the link below.\n{{ url }}\n'
    assert i18n_lint.lint_source(source, html=False) == [(3, "Click the link below.")]


def test_line_numbers_survive_multi_line_tags():
    source = "{% blocktranslate trimmed %}\nOne\nTwo\n{% endblocktranslate %}\n{# x #}\n<p>\nOops</p>"
    assert i18n_lint.lint_source(source) == [(6, "Oops")]


def test_the_product_templates_are_all_marked():
    """What `make check` runs over templates/ (the staff admin's excepted)."""
    problems = [
        f"{path}:{line}: {text}"
        for path in i18n_lint.templates([])
        for line, text in i18n_lint.lint_source(path.read_text(), html=path.suffix == ".html")
    ]
    assert problems == []
    assert not any("templates/admin/" in str(path) for path in i18n_lint.templates([]))
