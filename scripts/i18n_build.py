"""Builds the Afrikaans and isiZulu catalogues from the code and the translators' parts files.

    .venv/bin/python scripts/i18n_build.py            # extract, fill, compile
    .venv/bin/python scripts/i18n_build.py --check    # only check (make check): see below

1. `makemessages` for af and zu, domains django (templates, Python) and djangojs (static/*.js),
   without the tests, the staff admin, the emulator, scripts and generated folders; no source
   locations (so the catalogues do not change when code moves).
2. Fills every entry from `locale/parts/*/<lang>.po` (each area's translator writes only those;
   README "Languages"). An entry found in no part is left untranslated, so the catalogue is a pure
   function of the code and the parts: running it twice changes nothing.
3. Clears fuzzy flags (msgmerge's guesses are never kept), writes fixed headers (Plural-Forms
   from CLDR), then `compilemessages`. The .mo files are committed, so running the product needs
   no gettext.

`--check` changes nothing. It fails on an untranslated or fuzzy entry of a catalogue, and on code
and catalogues that disagree: it runs the same makemessages on a temporary copy of the code and
names every msgid (with its msgctxt and plural) that the code has and a catalogue or the parts lack
(it would show in English), and every entry a catalogue or a part has that the code no longer has.

Needs GNU gettext (xgettext, msgmerge, msgfmt) and polib (requirements-test.txt).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PARTS = LOCALE / "parts"
LANGS = ("af", "zu")
DOMAINS = ("django", "djangojs")
# CLDR: Afrikaans "one" is n = 1; isiZulu "one" is i = 0 or n = 1 (0 takes the singular too).
PLURAL_FORMS = {"af": "nplurals=2; plural=(n != 1);", "zu": "nplurals=2; plural=(n > 1);"}
LANGUAGE_TEAM = {"af": "Afrikaans", "zu": "isiZulu"}
IGNORE = [
    ".venv",
    "node_modules",
    "screenshots",
    "staticfiles",
    "media",
    "locale",
    "emulator",
    "scripts",
    "deploy",
    "conftest.py",
    "*/tests/*",
    "tests",
    "templates/admin",
    "*/admin.py",
    "static/studio/admin.js",
]

# What the check copies to extract from: makemessages' extensions for the two domains, without the
# folders it would ignore anyway (IGNORE) that are large or not ours.
SOURCES = (".py", ".html", ".txt", ".js")
NOT_COPIED = {".git", ".venv", "node_modules", "__pycache__", "locale", "media", "staticfiles", "screenshots"}

Key = tuple[str, str, str]  # (msgctxt, msgid, msgid_plural)


def key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def describe(k: Key) -> str:
    ctxt, msgid, plural = k
    plural_part = f" (plural {plural!r})" if plural else ""
    return repr(msgid) + plural_part + (f" (context {ctxt!r})" if ctxt else "")


def catalogue(lang: str, domain: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


def load_parts(lang: str) -> tuple[dict[Key, polib.POEntry], list[str]]:
    """Every translated entry of every area's parts file; a second, different translation is a warning."""
    found: dict[Key, polib.POEntry] = {}
    where: dict[Key, str] = {}
    warnings: list[str] = []
    for path in sorted(PARTS.glob(f"*/{lang}.po")):
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not entry.translated():
                continue
            k = key(entry)
            if k in found and (found[k].msgstr, found[k].msgstr_plural) != (
                entry.msgstr,
                entry.msgstr_plural,
            ):
                warnings.append(
                    f"{path.relative_to(ROOT)}: {entry.msgid!r} differs from {where[k]} (kept the first)"
                )
                continue
            found.setdefault(k, entry)
            where.setdefault(k, str(path.relative_to(ROOT)))
    return found, warnings


def extract(root: Path = ROOT, *, add_location: str = "never") -> None:
    """makemessages for both languages and domains over `root`, into `root`/locale."""
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mediastudio.settings_test")
    django.setup()
    before = os.getcwd()
    os.chdir(root)  # makemessages reads the current folder
    try:
        # settings.LOCALE_PATHS names the real tree's locale/: point it at root's.
        with override_settings(LOCALE_PATHS=[root / "locale"]):
            for domain in DOMAINS:
                call_command(
                    "makemessages",
                    locale=list(LANGS),
                    domain=domain,
                    ignore_patterns=IGNORE,
                    no_obsolete=True,
                    add_location=add_location,
                    verbosity=0,
                )
    finally:
        os.chdir(before)


def in_the_code() -> dict[tuple[str, str], polib.POFile]:
    """What makemessages extracts from the code today, per (language, domain), made in a temporary
    copy so that the committed catalogues are neither merged into nor changed. With source locations,
    so that a report can name the file of a msgid (the msgids are the same as without)."""

    def not_copied(folder: str, names: list[str]) -> list[str]:
        return [
            n
            for n in names
            if n in NOT_COPIED or (not n.endswith(SOURCES) and not os.path.isdir(os.path.join(folder, n)))
        ]

    with tempfile.TemporaryDirectory(prefix="i18n-check-") as tmp:
        copy = Path(tmp) / "code"
        shutil.copytree(ROOT, copy, ignore=not_copied, symlinks=True)
        (copy / "locale").mkdir()
        extract(copy, add_location="file")
        found = {}
        for lang in LANGS:
            for domain in DOMAINS:
                path = copy / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
                # makemessages writes nothing for a domain without strings.
                found[lang, domain] = polib.pofile(str(path)) if path.exists() else polib.POFile()
        return found


def disagreements() -> list[str]:
    """Code and catalogues that disagree: a msgid of the code that no part translates or that a
    catalogue lacks (either would show in English), an entry of a catalogue or a part that the code no
    longer has, and a catalogue whose words are not the parts' (built before a part changed)."""
    out: list[str] = []
    code = in_the_code()
    for lang in LANGS:
        parts, _ = load_parts(lang)
        everywhere: set[Key] = set()
        for domain in DOMAINS:
            extracted = {key(e): e for e in code[lang, domain]}
            everywhere |= set(extracted)
            path = catalogue(lang, domain)
            name = path.relative_to(ROOT)
            committed = {key(e): e for e in polib.pofile(str(path))} if path.exists() else {}
            for k in sorted(set(extracted) - set(committed)):
                where = ", ".join(sorted({file for file, _ in extracted[k].occurrences}))
                if k in parts:
                    out.append(f"{name}: lacks {describe(k)} of {where}: run scripts/i18n_build.py")
                else:
                    out.append(
                        f"{lang}: no translation of {describe(k)} of {where}: add it to "
                        f"locale/parts/<area>/{lang}.po, then run scripts/i18n_build.py"
                    )
            for k in sorted(set(committed) - set(extracted)):
                out.append(f"{name}: {describe(k)} is no longer in the code: run scripts/i18n_build.py")
            for k in sorted(set(committed) & set(parts)):
                entry, part = committed[k], parts[k]
                if (entry.msgstr, entry.msgstr_plural) != (part.msgstr, dict(part.msgstr_plural)):
                    out.append(f"{name}: {describe(k)} differs from the parts: run scripts/i18n_build.py")
        for path in sorted(PARTS.glob(f"*/{lang}.po")):
            for entry in polib.pofile(str(path)):
                if entry.obsolete or key(entry) not in everywhere:
                    name = path.relative_to(ROOT)
                    out.append(f"{name}: {describe(key(entry))} is no longer in the code: remove it")
    return out


def fill(lang: str, domain: str, parts: dict[Key, polib.POEntry]) -> set[Key]:
    path = catalogue(lang, domain)
    # makemessages writes nothing for a domain with no strings yet: an empty catalogue then.
    po = polib.pofile(str(path), wrapwidth=100) if path.exists() else polib.POFile(wrapwidth=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    used: set[Key] = set()
    for entry in po:
        part = parts.get(key(entry))
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        if part is None:
            entry.msgstr = ""
            entry.msgstr_plural = {i: "" for i in range(2)} if entry.msgid_plural else {}
            continue
        used.add(key(entry))
        if entry.msgid_plural:
            entry.msgstr_plural = dict(part.msgstr_plural)
        else:
            entry.msgstr = part.msgstr
    po.header = (
        'Media Studio\'s translations (README "Languages"). Made by scripts/i18n_build.py: do not edit.'
    )
    po.metadata = {
        "Project-Id-Version": "Media Studio",
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": "2026-12-01 00:00+0200",
        "PO-Revision-Date": "2026-12-01 00:00+0200",
        "Last-Translator": "Media Studio",
        "Language-Team": LANGUAGE_TEAM[lang],
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS[lang],
    }
    po.metadata_is_fuzzy = False
    po.save(str(path))
    return used


def compile_all() -> None:
    from django.core.management import call_command

    call_command(
        "compilemessages", locale=list(LANGS), ignore_patterns=[".venv", "node_modules"], verbosity=0
    )


def problems() -> list[str]:
    """Untranslated and fuzzy entries of every catalogue (what `make check` refuses)."""
    out: list[str] = []
    for lang in LANGS:
        for domain in DOMAINS:
            path = catalogue(lang, domain)
            if not path.exists():
                out.append(f"{path.relative_to(ROOT)}: missing (run scripts/i18n_build.py)")
                continue
            po = polib.pofile(str(path))
            for entry in po.untranslated_entries():
                out.append(f"{path.relative_to(ROOT)}: untranslated {entry.msgid!r}")
            for entry in po.fuzzy_entries():
                out.append(f"{path.relative_to(ROOT)}: fuzzy {entry.msgid!r}")
    return out


def build() -> int:
    extract()
    for lang in LANGS:
        parts, warnings = load_parts(lang)
        used: set[Key] = set()
        for domain in DOMAINS:
            used |= fill(lang, domain, parts)
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        for k in sorted(set(parts) - used):
            print(f"note: {lang}: a part translates {k[1]!r}, which the code no longer has", file=sys.stderr)
    compile_all()
    for lang in LANGS:
        for domain in DOMAINS:
            po = polib.pofile(str(catalogue(lang, domain)))
            print(
                f"{lang} {domain}: {len(po.translated_entries())} translated, "
                f"{len(po.untranslated_entries())} untranslated, {len(po.fuzzy_entries())} fuzzy"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; fail on untranslated or fuzzy entries and on code and catalogues that disagree",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.check:
        found = problems() + disagreements()
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print(
                f"{len(found)} problems: catalogue entries untranslated or fuzzy, or code and catalogues "
                'that disagree (README "Languages", adding a string)',
                file=sys.stderr,
            )
        return 1 if found else 0
    return build()


if __name__ == "__main__":
    sys.exit(main())
