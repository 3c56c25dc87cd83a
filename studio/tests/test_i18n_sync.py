"""`make check`'s comparison of the code with the catalogues (scripts/i18n_build.py --check, README
"Languages"): a msgid the code marks that no part translates, or that the built catalogue lacks,
would show in English; an entry the code no longer has is dead weight. The check runs on a copy of
the tree, as a translator would meet it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
FRESH_PY = """from django.utils.translation import gettext, ngettext, pgettext


def fresh_words(n: int) -> list[str]:
    return [
        gettext("A sentence nobody translated"),
        ngettext("%(n)s fresh picture", "%(n)s fresh pictures", n),
        pgettext("toast", "Fresh"),
    ]
"""
FRESH_HTML = '{% load i18n %}<p>{% translate "Words of a new page" %}</p>\n'
FRESH_JS = 'export const words = () => gettext("Words of a new script");\n'
# Their translations, as a translator adds them to a part.
FRESH_PART = {
    "af": """
msgid "A sentence nobody translated"
msgstr "'n Sin wat niemand vertaal het nie"

#, python-format
msgid "%(n)s fresh picture"
msgid_plural "%(n)s fresh pictures"
msgstr[0] "%(n)s vars prent"
msgstr[1] "%(n)s vars prente"

msgctxt "toast"
msgid "Fresh"
msgstr "Vars"

msgid "Words of a new page"
msgstr "Woorde van 'n nuwe bladsy"

msgid "Words of a new script"
msgstr "Woorde van 'n nuwe skrip"
""",
    "zu": """
msgid "A sentence nobody translated"
msgstr "Umusho ongahunyushwanga muntu"

#, python-format
msgid "%(n)s fresh picture"
msgid_plural "%(n)s fresh pictures"
msgstr[0] "isithombe esisha esi-%(n)s"
msgstr[1] "izithombe ezintsha ezi-%(n)s"

msgctxt "toast"
msgid "Fresh"
msgstr "Okusha"

msgid "Words of a new page"
msgstr "Amagama ekhasi elisha"

msgid "Words of a new script"
msgstr "Amagama eskripthi esisha"
""",
}


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "i18n_build.py"), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project as git would check it out (no venv, history or generated files)."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "__pycache__", "media", "staticfiles", "screenshots"
        ),
    )
    return copy


def test_the_real_tree_passes():
    """What `make check` runs: the committed catalogues and parts hold exactly the code's msgids."""
    result = run(ROOT, "--check")
    assert result.returncode == 0, result.stderr


def test_a_new_marked_string_fails_until_translated_and_built_and_an_obsolete_one_fails(tree):
    (tree / "studio" / "fresh_words.py").write_text(FRESH_PY)
    (tree / "templates" / "fresh.html").write_text(FRESH_HTML)
    (tree / "static" / "studio" / "fresh.js").write_text(FRESH_JS)

    # Marked, but in no part: named with its plural, its context and its file, for both languages.
    result = run(tree, "--check")
    assert result.returncode == 1
    for lang in ("af", "zu"):
        for named in (
            "'A sentence nobody translated' of studio/fresh_words.py",
            "'%(n)s fresh picture' (plural '%(n)s fresh pictures') of studio/fresh_words.py",
            "'Fresh' (context 'toast') of studio/fresh_words.py",
            "'Words of a new page' of templates/fresh.html",
            "'Words of a new script' of static/studio/fresh.js",
        ):
            fix = f"add it to locale/parts/<area>/{lang}.po"
            assert f"{lang}: no translation of {named}: {fix}" in result.stderr
    assert "10 problems" in result.stderr

    # Translated in a part but not built: the catalogue lacks it.
    for lang, words in FRESH_PART.items():
        with open(tree / "locale" / "parts" / "core" / f"{lang}.po", "a") as part:
            part.write(words)
    result = run(tree, "--check")
    assert result.returncode == 1
    assert (
        "locale/af/LC_MESSAGES/django.po: lacks 'A sentence nobody translated' of studio/fresh_words.py: "
        "run scripts/i18n_build.py"
    ) in result.stderr
    assert "locale/zu/LC_MESSAGES/djangojs.po: lacks 'Words of a new script'" in result.stderr

    # Built: it passes.
    assert run(tree).returncode == 0
    result = run(tree, "--check")
    assert result.returncode == 0, result.stderr

    # The code drops a string: its catalogue entries and its part entries are named.
    (tree / "static" / "studio" / "fresh.js").unlink()
    result = run(tree, "--check")
    assert result.returncode == 1
    for lang in ("af", "zu"):
        assert (
            f"locale/{lang}/LC_MESSAGES/djangojs.po: 'Words of a new script' is no longer in the code: "
            "run scripts/i18n_build.py"
        ) in result.stderr
        assert (
            f"locale/parts/core/{lang}.po: 'Words of a new script' is no longer in the code: remove it"
        ) in result.stderr
    assert "4 problems" in result.stderr


def test_a_catalogue_built_before_its_part_changed_fails(tree):
    part = polib.pofile(str(tree / "locale" / "parts" / "core" / "af.po"))
    entry = next(e for e in part if not e.msgid_plural)
    entry.msgstr = "Verander"
    part.save()
    result = run(tree, "--check")
    assert result.returncode == 1
    assert (
        f"locale/af/LC_MESSAGES/django.po: {entry.msgid!r} differs from the parts: run scripts/i18n_build.py"
    ) in result.stderr
