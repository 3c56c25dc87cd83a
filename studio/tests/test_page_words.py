"""A page script's words (studio/languages.py, the page_script tag; README "Languages"): the page
puts the djangojs translations a script needs on that script's own element, as JSON in its
`data-words` attribute; only that script's words, nothing in English, and a translation holding
quotes, `<` or `&` cannot break out of the attribute."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from studio import languages

ROOT = Path(settings.BASE_DIR)
# The scripts makemessages reads for djangojs (scripts/i18n_build.py leaves the staff admin's out).
SCRIPTS = sorted(p.name for p in (ROOT / "static" / "studio").glob("*.js") if p.name != "admin.js")


class ScriptElements(HTMLParser):
    """The attributes of each <script> element, as a browser reads them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.found.append(dict(attrs))


def script_elements(html: str) -> list[dict[str, str | None]]:
    parser = ScriptElements()
    parser.feed(html)
    return parser.found


def words_of(html: str, src: str) -> dict[str, str] | None:
    """The words on the script element whose src is `src` (None: it carries none)."""
    (element,) = [e for e in script_elements(html) if e.get("src") == src]
    words = element.get("data-words")
    return None if words is None else json.loads(words)


def render(script: str, lang: str) -> str:
    with translation.override(lang):
        return Template("{% load languages %}{% page_script script %}").render(Context({"script": script}))


def catalogue_words(lang: str, script: str) -> dict[str, str]:
    """What the committed djangojs catalogue translates of the msgids that occur in `script`."""
    text = (ROOT / "static" / script).read_text()
    po = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "djangojs.po"))
    return {e.msgid: e.msgstr for e in po if e.msgid in text and e.msgstr != e.msgid}


@pytest.fixture
def fresh_words():
    """script_msgids and script_words remember per process; a test with its own files starts clean."""
    languages.script_msgids.cache_clear()
    languages.script_words.cache_clear()
    yield
    languages.script_msgids.cache_clear()
    languages.script_words.cache_clear()


@pytest.fixture
def own_script(tmp_path, settings, fresh_words):
    """Writes static/t/words.js and an Afrikaans djangojs catalogue, and points Django at them."""
    static = tmp_path / "static"
    (static / "t").mkdir(parents=True)
    messages = tmp_path / "locale" / "af" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    settings.STATICFILES_DIRS = [static]
    settings.LOCALE_PATHS = [tmp_path / "locale"]

    def write(js: str, translations: dict[str, str]) -> str:
        (static / "t" / "words.js").write_text(js)
        po = polib.POFile()
        po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
        for msgid, msgstr in translations.items():
            po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
        po.save_as_mofile(str(messages / "djangojs.mo"))
        return "t/words.js"

    return write


def test_a_script_gets_only_its_own_translated_words(own_script):
    script = own_script(
        """const a = gettext("Say \\"hi\\""); const b = gettext('It\\'s <b>'); gettext("Untranslated");""",
        {
            'Say "hi"': "Sê 'hallo' </script><script>alert(1)</script>",
            "It's <b>": "Dis & <b> \" '",
            "Another script's words": "Ander woorde",
        },
    )
    html = render(script, "af")
    assert words_of(html, "/static/t/words.js") == {
        'Say "hi"': "Sê 'hallo' </script><script>alert(1)</script>",
        "It's <b>": "Dis & <b> \" '",
    }
    # The translations' quotes and tags stay inside the attribute: one element, closed once.
    assert html.count("<") == 2 and html.count("'") == 2 and html.endswith("'></script>")
    assert "&" not in html  # not even as an entity: JSON's \u0026, so the attribute stays short


def test_english_gets_the_bare_script_element(own_script):
    script = own_script('gettext("Copied");', {"Copied": "Gekopieer"})
    assert render(script, "en-za") == '<script src="/static/t/words.js" defer></script>'
    assert render(script, "af").startswith('<script src="/static/t/words.js" defer data-words=')


def test_plural_forms_are_refused_until_the_page_words_carry_them(own_script):
    """The scripts' local gettext has no plural rules: a script that needs them fails loudly
    rather than showing English (today no script does: test_the_scripts_words_are_the_catalogue)."""
    script = own_script('ngettext("%(n)s image", "%(n)s images", n);', {})
    with pytest.raises(ValueError, match=r"t/words\.js calls ngettext\(\)"):
        render(script, "af")


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_video_form_carries_its_scripts_words(client, make_user, lang):
    client.force_login(make_user(tier="JIVE"))
    page = client.get("/studio/videos/new/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    words = words_of(page, "/static/studio/video_form.js")
    assert words == catalogue_words(lang, "studio/video_form.js")
    assert len(words) == 6 and "Copied" not in words  # the viewer's word is not the form's
    assert page.count("data-words=") == 1


@pytest.mark.django_db
def test_no_words_in_english_nor_on_a_page_whose_scripts_have_none(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    english = client.get("/studio/videos/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<script src="/static/studio/video_form.js" defer></script>' in english
    assert "data-words" not in english
    for lang in ("af", "zu"):
        assert "data-words" not in client.get("/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_the_scripts_words_are_the_catalogue():
    """What the tag reads from the scripts is what makemessages extracted (locale/*/djangojs.po),
    and every script with words is loaded through page_script, so its words reach the page."""
    templates = "".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
    read: set[str] = set()
    for name in SCRIPTS:
        msgids = languages.script_msgids(f"studio/{name}")
        read.update(msgids)
        if msgids:
            tag = f'{{% page_script "studio/{name}" %}}'
            assert tag in templates, f"{name} has words: load it with {tag}"
    for lang in ("af", "zu"):
        po = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "djangojs.po"))
        assert read == {entry.msgid for entry in po}
        assert not [entry.msgid for entry in po if entry.msgid_plural or entry.msgctxt]
