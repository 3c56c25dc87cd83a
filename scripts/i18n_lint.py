"""Fails when a template has a user-facing string that is not marked for translation.

    .venv/bin/python scripts/i18n_lint.py [template files or folders; default: templates/]

Looks at every template under templates/ (the staff admin's, templates/admin/, may stay English):
text between tags, and the title, alt, aria-label, placeholder attributes (and the value of submit
and button inputs), after taking out what the template language writes ({{ … }}, {% … %}, comments)
and everything between {% blocktranslate %} and {% endblocktranslate %}. What is left must have no
word of two or more letters, except the names on ALLOWED (brands, plan names, units and file
types, which are the same in every language). <script>, <style>, <code> and <kbd> are skipped (code
and the slash commands are not words to translate). Plain-text templates (the emails) are read as
text.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCLUDED = ("templates/admin/",)
# Brand and plan names, the switcher's language codes, units and file types: never translated
# (locale/glossary.md, "Never translated").
ALLOWED = {
    "Media", "Studio", "Image", "Video", "PayFast", "Google", "Gemini", "Imagen", "Veo", "Pollinations",
    "FREE", "JIVE", "JIGGA", "EN", "AF", "ZU", "px", "MB", "KB", "PNG", "JPEG", "JPG", "WebP", "MP4",
    "GIF", "HD", "4K", "1080p", "720p", "API", "MCP", "ZAR", "USD", "SynthID",
}  # fmt: skip
ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}
SKIPPED = {"script", "style", "code", "kbd", "pre"}
HOLE = "\x00"  # where the template language writes something
WORD = re.compile(r"[^\W\d_]{2,}")
COMMAND = re.compile(r"(?<![\w/])/[a-z]+")  # a slash command (/help, /image) is a name, not a word


def hole(contents: str) -> str:
    return HOLE + "\n" * contents.count("\n")  # the same lines, so line numbers stay right


def skeleton(source: str) -> str:
    """The template with what the template language writes replaced by HOLE."""
    from django.template.base import Lexer, TokenType

    out: list[str] = []
    depth = {"blocktranslate": 0, "comment": 0}
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            for opener in ("blocktranslate", "blocktrans", "comment"):
                if name == opener:
                    depth["comment" if opener == "comment" else "blocktranslate"] += 1
                elif name == f"end{opener}":
                    depth["comment" if opener == "comment" else "blocktranslate"] -= 1
            out.append(hole(token.contents))
        elif token.token_type == TokenType.TEXT:
            hidden = depth["blocktranslate"] or depth["comment"]
            out.append(hole(token.contents) if hidden else token.contents)
        elif token.token_type == TokenType.VAR:
            out.append(hole(token.contents))
        else:  # COMMENT tokens ({# … #}) write nothing
            out.append("\n" * token.contents.count("\n"))
    return "".join(out)


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(COMMAND.sub(" ", text.replace(HOLE, " "))) if w not in ALLOWED]


class Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            checked = name in ATTRIBUTES or (
                name == "value" and tag == "input" and (values.get("type") or "") in ("submit", "button")
            )
            if checked and value and words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.replace(HOLE, "…")}"'))
        if tag in SKIPPED:
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and words(data):
            self.found.append((self.getpos()[0], " ".join(data.replace(HOLE, "…").split())))


def lint_source(source: str, *, html: bool = True) -> list[tuple[int, str]]:
    text = skeleton(source)
    if not html:
        return [
            (n, " ".join(line.replace(HOLE, "…").split()))
            for n, line in enumerate(text.splitlines(), 1)
            if words(line)
        ]
    finder = Finder()
    finder.feed(text)
    finder.close()
    return finder.found


def templates(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for given in paths or [str(ROOT / "templates")]:
        path = Path(given).resolve()
        found += (
            sorted(p for p in path.rglob("*") if p.suffix in (".html", ".txt")) if path.is_dir() else [path]
        )
    return [p for p in found if not any(part in p.relative_to(ROOT).as_posix() for part in EXCLUDED)]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure()
        django.setup()
    problems = 0
    for path in templates(argv):
        for line, text in lint_source(path.read_text(), html=path.suffix == ".html"):
            print(f"{path.relative_to(ROOT)}:{line}: not marked for translation: {text}", file=sys.stderr)
            problems += 1
    if problems:
        print(f'{problems} unmarked strings (README "Languages")', file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
