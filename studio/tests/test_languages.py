"""The language machinery (studio/languages.py, README "Languages"): which language a request gets
(Accept-Language, the switcher's cookie, a signed-in user's profile), <html lang>, the Rand in each
language, and the catalogue builder. A page script's words: test_page_words.py."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

from billing.pricing import format_zar
from studio import languages
from studio.models import Profile

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n_build  # noqa: E402


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found, "no <html lang>"
    return found.group(1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "lang"), [("af", "af"), ("zu-ZA,zu;q=0.9", "zu"), ("en-US", "en-za"), ("", "en-za")]
)
def test_first_visit_follows_accept_language(client, accept, lang):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    assert html_lang(response.content.decode()) == lang
    assert response["Content-Language"] == lang


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("af", "af"),
        ("zu-ZA,zu;q=0.9", "zu"),
        ("fr,zu;q=0.5", "zu"),
        ("en-US", "en-za"),
        ("fr", "en-za"),
        ("", "en-za"),
    ],
)
def test_a_header_alone_chooses_as_locale_middleware_does(header, lang):
    """/mcp has no Django middleware: it asks languages.from_accept_language."""
    assert languages.from_accept_language(header) == lang


def test_unknown_language_is_english(client):
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()) == "en-za"


@pytest.mark.django_db
def test_switcher_sets_the_cookie_for_a_visitor(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert re.search(
        r'<button type="submit" name="language" value="zu" lang="zu"[^>]*aria-label="isiZulu"', page
    )
    response = client.post("/i18n/setlang/", {"language": "zu", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies["lang"].value == "zu"
    # The cookie wins over the browser's language.
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="af").content.decode()
    assert html_lang(page) == "zu"
    assert 'value="zu" lang="zu" title="isiZulu" aria-label="isiZulu" aria-pressed="true"' in page


@pytest.mark.django_db
def test_switcher_refuses_an_unknown_language_and_get(client):
    assert client.get("/i18n/setlang/").status_code == 405
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert "lang" not in response.cookies


@pytest.mark.django_db
def test_a_users_choice_is_kept_on_their_profile_and_follows_them(make_user):
    user = make_user(username="thandi")
    first = Client()
    first.force_login(user)
    first.post("/i18n/setlang/", {"language": "zu", "next": "/"})
    assert Profile.objects.get(user=user).language == "zu"

    # Another browser that says Afrikaans: after logging in, the profile's isiZulu wins.
    other = Client(HTTP_ACCEPT_LANGUAGE="af")
    assert html_lang(other.get("/accounts/login/").content.decode()) == "af"
    response = other.post("/accounts/login/", {"login": "thandi", "password": "pw-123456"})
    assert response.status_code == 302
    assert html_lang(other.get("/account/").content.decode()) == "zu"
    # Logging out forgets it in that browser (the session goes): the browser's language again.
    other.post("/accounts/logout/")
    assert html_lang(other.get("/accounts/login/").content.decode()) == "af"


@pytest.mark.django_db
def test_a_user_without_a_choice_keeps_the_browsers(make_user):
    make_user(username="piet")
    browser = Client(HTTP_ACCEPT_LANGUAGE="af")
    browser.post("/accounts/login/", {"login": "piet", "password": "pw-123456"})
    assert html_lang(browser.get("/account/").content.decode()) == "af"
    assert not Profile.objects.filter(user__username="piet").exists()


def test_rand_follows_cldr_in_each_language():
    with translation.override("af"):
        assert format_zar(123456) == "R1\xa0234,56"
        assert format_zar(-50) == "-R0,50"
    with translation.override("zu"):
        assert format_zar(123456) == "R1,234.56"
    with translation.override("en-za"):
        assert format_zar(123456) == "R1 234.56"
        assert format_zar(1234567890) == "R12 345 678.90"


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "expected"), [("af", "2 Desember 2026 14:05"), ("zu", "2026-12-02 14:05")])
def test_dates_are_sast_in_each_languages_format(lang, expected):
    from datetime import UTC, datetime

    from django.template import Context, Template

    moment = datetime(2026, 12, 2, 12, 5, tzinfo=UTC)  # 14:05 in Johannesburg
    with translation.override(lang):
        assert Template("{{ when|date:'DATETIME_FORMAT' }}").render(Context({"when": moment})) == expected


# --- the builder (scripts/i18n_build.py) -----------------------------------------------------


def write_po(path: Path, entries: list[polib.POEntry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for entry in entries:
        po.append(entry)
    po.save(str(path))


@pytest.fixture
def locale_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n_build, "LOCALE", tmp_path)
    monkeypatch.setattr(i18n_build, "PARTS", tmp_path / "parts")
    monkeypatch.setattr(i18n_build, "ROOT", tmp_path)
    return tmp_path


def test_the_builder_fills_from_the_parts_and_leaves_the_rest_untranslated(locale_dir):
    write_po(
        locale_dir / "af/LC_MESSAGES/django.po",
        [
            polib.POEntry(msgid="Gallery", msgstr="Oud", flags=["fuzzy"]),
            polib.POEntry(msgid="%(n)s image", msgid_plural="%(n)s images", msgstr_plural={0: "", 1: ""}),
            polib.POEntry(msgid="Nobody translated this"),
        ],
    )
    write_po(
        locale_dir / "parts/image/af.po",
        [
            polib.POEntry(msgid="Gallery", msgstr="Galery"),
            polib.POEntry(
                msgid="%(n)s image",
                msgid_plural="%(n)s images",
                msgstr_plural={0: "%(n)s prent", 1: "%(n)s prente"},
            ),
        ],
    )
    parts, warnings = i18n_build.load_parts("af")
    assert warnings == []
    i18n_build.fill("af", "django", parts)
    first = (locale_dir / "af/LC_MESSAGES/django.po").read_text()
    po = polib.pofile(first)
    assert po.find("Gallery").msgstr == "Galery" and "fuzzy" not in po.find("Gallery").flags
    assert po.find("%(n)s image").msgstr_plural == {0: "%(n)s prent", 1: "%(n)s prente"}
    assert po.find("Nobody translated this").msgstr == ""
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    # Idempotent: a second fill writes the same bytes.
    i18n_build.fill("af", "django", i18n_build.load_parts("af")[0])
    assert (locale_dir / "af/LC_MESSAGES/django.po").read_text() == first


def test_the_check_reports_untranslated_and_fuzzy_entries(locale_dir, monkeypatch):
    monkeypatch.setattr(i18n_build, "LANGS", ("af",))
    monkeypatch.setattr(i18n_build, "DOMAINS", ("django",))
    write_po(locale_dir / "af/LC_MESSAGES/django.po", [polib.POEntry(msgid="Plans", msgstr="Planne")])
    assert i18n_build.problems() == []
    write_po(
        locale_dir / "af/LC_MESSAGES/django.po",
        [polib.POEntry(msgid="Plans", msgstr="Planne", flags=["fuzzy"]), polib.POEntry(msgid="Log out")],
    )
    assert sorted(i18n_build.problems()) == [
        "af/LC_MESSAGES/django.po: fuzzy 'Plans'",
        "af/LC_MESSAGES/django.po: untranslated 'Log out'",
    ]


def test_two_parts_disagreeing_is_a_warning(locale_dir):
    write_po(locale_dir / "parts/a/zu.po", [polib.POEntry(msgid="Plans", msgstr="Izinhlelo")])
    write_po(locale_dir / "parts/b/zu.po", [polib.POEntry(msgid="Plans", msgstr="Amapulani")])
    parts, warnings = i18n_build.load_parts("zu")
    assert parts[("", "Plans", "")].msgstr == "Izinhlelo"
    assert len(warnings) == 1 and "differs from parts/a/zu.po" in warnings[0]


def test_the_committed_catalogues_are_complete():
    """What `make check` runs: no untranslated or fuzzy entry in the committed catalogues."""
    assert i18n_build.problems() == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en-za", "2 Dec 2026 · December 2026"),
        ("af", "2 Des 2026 · Desember 2026"),
        ("zu", "2 Dis 2026 · Disemba 2026"),
    ],
)
def test_month_names_in_explicit_date_formats_follow_the_language(lang, expected):
    """Django has no isiZulu catalogue: the months come from ours (studio/templatetags/shell.py)."""
    from datetime import UTC, datetime

    from django.template import Context, Template

    moment = datetime(2026, 12, 2, 12, 5, tzinfo=UTC)
    with translation.override(lang):
        assert (
            Template('{{ d|date:"j M Y" }} · {{ d|date:"F Y" }}').render(Context({"d": moment})) == expected
        )


@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_landings_heading_and_its_column_are_different_words(lang):
    """The section "What is left" holds a column "Left": one word for both reads as a mistake."""
    with translation.override(lang):
        assert translation.gettext("What is left") != translation.pgettext(
            "what is left of an allowance", "Left"
        )
