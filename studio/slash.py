"""Slash commands: `/image <prompt> [flags]`, `/video <prompt> [flags]` and `/help [command]`.

Text in; out a validated request (the same pydantic model the API and the studio forms use) or a
CommandError whose message names the flag at fault and what it accepts. Nothing here touches the
database: the page (studio/pages/commands.py) submits what this returns.

The flags are one table (COMMANDS, gathered from studio/operations/). The parser, the error
messages and /help are all made from it, and what a flag's value may be is read from the models
in studio/schemas.py (their Literal choices, bounds and defaults), which then validate the
request: a rule lives in one place.

Quoting: a quote opens a quoted value only at the start of a word, so the apostrophes of a
prompt ("Table Mountain's cloth") stay as typed. shlex would refuse that prompt, and would
silently drop both quotes of "a baobab's and a hadeda's". Phones' curly quotes and their
"smart" dashes (-- typed, — sent) are understood too.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from annotated_types import Ge, Le
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ValidationError

from billing.pricing import format_count
from studio import messages, operations
from studio.operations import Flag
from studio.schemas import DUPLICATE_IMAGE, PROMPT_MAX_CHARS, PROMPT_WITHOUT_MEANING

# A prompt and a negative prompt at their longest, with room for flags; longer is refused early.
MAX_COMMAND_CHARS = 3200
# Opening quote -> closing quote. Phones send curly quotes.
QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u201e": "\u201c", "\u00ab": "\u00bb"}
# Phones turn "--" into an em or en dash.
DASHES = ("--", "\u2014", "\u2013")
# C0 and C1 control characters, except the whitespace ones (tab, newline, carriage return).
_CONTROL = {c: None for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\t\n\r"}


@dataclass(frozen=True)
class Command:
    name: str
    operation: str
    schema: type[BaseModel]
    noun: str | Promise  # translated when read (gettext_lazy in the operation's module)
    summary: str | Promise
    example: str
    flags: tuple[Flag, ...]

    def flag(self, name: str) -> Flag | None:
        return next((f for f in self.flags if name in f.names), None)

    def flag_for_field(self, field_name: str) -> Flag | None:
        return next((f for f in self.flags if f.field == field_name), None)


# One command per operation that has one (its module's slash_command: flags, summary, example).
COMMANDS: dict[str, Command] = {
    op.slash_command.name: Command(
        name=op.slash_command.name,
        operation=op.name,
        schema=op.schema,
        noun=op.nouns[0],
        summary=op.slash_command.summary,
        example=op.slash_command.example,
        flags=op.slash_command.flags,
    )
    for op in operations.all()
    if op.slash_command is not None
}
HELP = "help"
# "Describe the <noun> …" as whole sentences per command, so each language can inflect its noun;
# a command not listed gets the general sentences with its English noun.
DESCRIBE = {
    "image": (
        gettext_lazy("Describe the image after /%(command)s, for example: %(example)s"),
        gettext_lazy(
            "The prompt “%(shown)s” has no letters or digits: describe the image in words, "
            "for example: %(example)s"
        ),
    ),
    "video": (
        gettext_lazy("Describe the video after /%(command)s, for example: %(example)s"),
        gettext_lazy(
            "The prompt “%(shown)s” has no letters or digits: describe the video in words, "
            "for example: %(example)s"
        ),
    ),
    "compose": (
        gettext_lazy("Describe the composition after /%(command)s, for example: %(example)s"),
        gettext_lazy(
            "The prompt “%(shown)s” has no letters or digits: describe the composition in words, "
            "for example: %(example)s"
        ),
    ),
    "extend": (
        gettext_lazy("Describe the extended video after /%(command)s, for example: %(example)s"),
        gettext_lazy(
            "The prompt “%(shown)s” has no letters or digits: describe the extended video in words, "
            "for example: %(example)s"
        ),
    ),
}


class CommandError(ValueError):
    """Why a command cannot run, in words to show the user. Nothing was created."""

    def __init__(self, *messages: str, command: str | None = None) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)
        self.command = command  # the command it concerns, so the page can offer its /help


@dataclass(frozen=True)
class Request:
    command: Command
    params: BaseModel

    @property
    def operation(self) -> str:
        return self.command.operation


@dataclass(frozen=True)
class FlagHelp:
    names: tuple[str, ...]
    value: str  # "16:9 | 9:16", "1-4", "words", "" for a switch
    default: str
    help: str | Promise


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    summary: str
    example: str
    flags: list[FlagHelp] = field(default_factory=list)


@dataclass(frozen=True)
class HelpRequest:
    topics: list[CommandHelp]


# --- What the schemas allow ---------------------------------------------------------------


def _literals(annotation) -> list:
    """The values of every Literal inside an annotation (through Optional, Annotated, unions)."""
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    values: list = []
    for arg in typing.get_args(annotation):
        values += _literals(arg)
    return values


def _bounds(annotation, metadata) -> tuple[int | None, int | None]:
    """(ge, le) of an integer field: its own metadata and that of any Annotated type inside it."""
    items = list(metadata)
    stack = [annotation]
    while stack:
        current = stack.pop()
        stack += typing.get_args(current)
        for info in getattr(current, "__metadata__", ()):
            items += getattr(info, "metadata", [info])
    low = next((item.ge for item in items if isinstance(item, Ge)), None)
    high = next((item.le for item in items if isinstance(item, Le)), None)
    return cast(int | None, low), cast(int | None, high)  # integer fields: integer bounds


def choices(command: Command, flag: Flag) -> list:
    """The values the schema accepts for a flag's field, when it lists them."""
    return _literals(command.schema.model_fields[flag.field].annotation)


def bounds(command: Command, flag: Flag) -> tuple[int | None, int | None]:
    info = command.schema.model_fields[flag.field]
    return _bounds(info.annotation, info.metadata)


def allowed(command: Command, flag: Flag) -> str:
    """What a flag accepts, in words: "16:9, 9:16", "1 to 4", "words", "" for a switch."""
    if flag.kind == "switch":
        return ""
    if flag.kind == "words":
        return _("words")
    if flag.kind == "list":
        return _("one or more values")
    if values := choices(command, flag):
        return ", ".join(str(v) for v in values)
    low, high = bounds(command, flag)
    if low is not None and high is not None:
        return _("%(low)s to %(high)s") % {"low": low, "high": high}
    return _("a value")


def _default(command: Command, flag: Flag) -> str:
    if flag.kind == "switch":
        return _("off")
    info = command.schema.model_fields[flag.field]
    return "" if info.is_required() or info.default is None else str(info.default)


# --- /help, from the table ------------------------------------------------------------------


def help_topics(name: str | None = None) -> list[CommandHelp]:
    """/help as data (the page renders it): every command, or one."""
    topics = []
    for command in COMMANDS.values():
        if name and command.name != name:
            continue
        flags = []
        for flag in command.flags:
            value = allowed(command, flag)
            if choices(command, flag):
                value = " | ".join(str(v) for v in choices(command, flag))
            flags.append(FlagHelp(flag.names, value, _default(command, flag), flag.help))
        topics.append(
            CommandHelp(
                name=command.name,
                usage=_("/%(command)s <prompt> [flags]") % {"command": command.name},
                summary=str(command.summary),
                example=command.example,
                flags=flags,
            )
        )
    return topics


def help_text(name: str | None = None) -> str:
    """/help as plain text (for logs, tests and anything that is not a page)."""
    lines = []
    for topic in help_topics(name):
        lines += [f"{topic.usage}  {topic.summary}", f"  e.g. {topic.example}"]
        for flag in topic.flags:
            value = f" <{flag.value}>" if flag.value else ""
            default = f" Default: {flag.default}." if flag.default else ""
            lines.append(f"  {', '.join(flag.names)}{value}  {flag.help}{default}")
    lines.append("/help [command]  This list.")
    return "\n".join(lines)


# --- Parsing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str
    quoted: bool


def _tokens(text: str) -> list[_Token]:
    """Words, where a quote at the start of a word runs to its closing quote at the end of a
    word. `--flag="a b"` is one token, `--flag=a b`."""
    tokens: list[_Token] = []
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        start = i
        prefix = ""
        if _is_flag(text[i:]) and "=" in text[i : i + 40]:
            # --flag="quoted value": the quote opens after the "=".
            eq = text.index("=", i)
            if eq + 1 < end and text[eq + 1] in QUOTES and not any(c.isspace() for c in text[i:eq]):
                prefix, i = text[i : eq + 1], eq + 1
        if text[i] in QUOTES:
            close = QUOTES[text[i]]
            j = i + 1
            while True:
                j = text.find(close, j)
                if j == -1:
                    shown = text[i + 1 : i + 21].strip()
                    raise CommandError(
                        _("The quote before “%(shown)s…” is never closed: close it, or leave the quotes out.")
                        % {"shown": shown}
                    )
                if j + 1 == end or text[j + 1].isspace():
                    break
                j += 1
            inner = text[i + 1 : j]
            tokens.append(_Token(prefix + inner, quoted=not prefix))
            i = j + 1
        else:
            while i < end and not text[i].isspace():
                i += 1
            tokens.append(_Token(text[start:i], quoted=False))
    return tokens


def _is_flag(word: str) -> bool:
    for dash in DASHES:
        if word.startswith(dash):
            rest = word[len(dash) :]
            return bool(rest) and rest[0].isalpha()
    return False


def _malformed_flag(token: _Token) -> bool:
    """An unquoted word that starts like a flag but is none: a lone "--" or "---", "--1",
    "---ar". Typed as a flag, so taking it as prompt words would charge for "--" (issue 11).
    A lone phone dash (— or –) stays punctuation: "sunset — Clifton" is a prompt."""
    return not token.quoted and token.text.startswith("--") and not _is_flag(token.text)


def _not_a_flag(command: Command, word: str) -> CommandError:
    shown = word if len(word) <= 30 else word[:29] + "…"
    return CommandError(
        _("%(shown)s is not a flag: a flag is -- and a name, like %(example)s.")
        % {"shown": shown, "example": command.flags[0].name},
        _its_flags(command),
        _("To put it in the prompt, quote the prompt."),
        command=command.name,
    )


def _flag_name(word: str) -> str:
    for dash in DASHES:
        if word.startswith(dash):
            return "--" + word[len(dash) :].lower()
    return word


def _list(names) -> str:
    return ", ".join(names)


def _its_flags(command: Command) -> str:
    return _("Its flags: %(flags)s.") % {"flags": _list(f.name for f in command.flags)}


def _unknown_flag(command: Command, name: str) -> CommandError:
    known = [n for f in command.flags for n in f.names]
    message = _("/%(command)s has no %(flag)s flag.") % {"command": command.name, "flag": name}
    elsewhere = [c.name for c in COMMANDS.values() if c is not command and c.flag(name)]
    if elsewhere:
        message = _("%(flag)s is a /%(other)s flag; /%(command)s does not take it.") % {
            "flag": name,
            "other": elsewhere[0],
            "command": command.name,
        }
    elif close := difflib.get_close_matches(name, known, n=1, cutoff=0.6):
        message += " " + _("Did you mean %(flag)s?") % {"flag": close[0]}
    return CommandError(message, _its_flags(command), command=command.name)


def _missing_value(command: Command, flag: Flag, typed: str) -> CommandError:
    what = allowed(command, flag)
    if flag.kind == "words":
        message = _("%(flag)s needs some words.") % {"flag": typed}
    elif "," in what:
        message = _("%(flag)s needs a value: %(what)s.") % {"flag": typed, "what": what}
    else:
        message = _("%(flag)s needs a value (%(what)s).") % {"flag": typed, "what": what}
    return CommandError(message, command=command.name)


def parse(text: str) -> Request | HelpRequest:
    """A command's text to a validated Request, or a HelpRequest; raises CommandError."""
    # Control characters are never meant (and PostgreSQL cannot store a NUL in a JSON field).
    text = (text or "").translate(_CONTROL).strip()
    if not text:
        raise CommandError(_("Type a command, for example /image a protea at sunrise. /help lists them all."))
    if len(text) > MAX_COMMAND_CHARS:
        raise CommandError(
            _("A command is at most %(max)s characters; this one has %(length)s.")
            % {"max": format_count(MAX_COMMAND_CHARS), "length": format_count(len(text))}
        )
    head, *rest = text.split(maxsplit=1)
    rest_text = rest[0] if rest else ""
    if not head.startswith("/"):
        raise CommandError(
            _("Commands start with a slash: %(commands)s. For example: %(example)s")
            % {
                "commands": _list("/" + name for name in [*COMMANDS, HELP]),
                "example": COMMANDS["image"].example,
            }
        )
    name = head[1:].lower()
    if name == HELP:
        topic = rest_text.strip().lstrip("/").lower()
        if not topic:
            return HelpRequest(help_topics())
        if topic in COMMANDS:
            return HelpRequest(help_topics(topic))
        raise CommandError(
            _("There is no /%(topic)s command to explain.") % {"topic": topic[:40]}
            + " "
            + _commands_sentence()
        )
    command = COMMANDS.get(name)
    if command is None:
        message = _("There is no %(command)s command.") % {"command": head[:40]}
        if close := difflib.get_close_matches(name, [*COMMANDS, HELP], n=1, cutoff=0.6):
            message += " " + _("Did you mean %(flag)s?") % {"flag": "/" + close[0]}
        raise CommandError(message, _commands_sentence())

    tokens = _tokens(rest_text)
    if bad := next((t for t in tokens if _malformed_flag(t)), None):
        raise _not_a_flag(command, bad.text)
    values: dict[str, object] = {}
    typed: dict[str, str] = {}  # field -> the flag name as typed, for messages
    words: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.quoted or not _is_flag(token.text):
            words.append(token.text)
            continue
        name, eq, attached = token.text.partition("=")
        name = _flag_name(name)
        flag = command.flag(name)
        if flag is None:
            raise _unknown_flag(command, name)
        if flag.field in values:
            first = typed[flag.field]
            if first == name:
                twice = _("%(flag)s is given twice; give it once.") % {"flag": name}
            else:
                twice = _("%(first)s and %(flag)s are the same flag; give it once.") % {
                    "first": first,
                    "flag": name,
                }
            raise CommandError(twice, command=command.name)
        typed[flag.field] = name
        if flag.kind == "switch":
            if eq:
                raise CommandError(
                    _("%(flag)s takes no value: write just %(flag)s.") % {"flag": name}, command=command.name
                )
            values[flag.field] = True
        elif flag.kind == "list":
            # --images a b, --images a,b or --images=a,b: the values up to the next flag.
            taken, i = _words_from(tokens, i)
            taken = [attached, *taken] if eq else taken
            items = [item.strip() for word in taken for item in word.split(",") if item.strip()]
            if not items:
                raise _missing_value(command, flag, name)
            values[flag.field] = items
        elif eq:
            if not attached.strip():
                raise _missing_value(command, flag, name)
            values[flag.field] = attached
        elif flag.kind == "words":
            taken, i = _words_from(tokens, i)
            if not " ".join(taken).strip():
                raise _missing_value(command, flag, name)
            values[flag.field] = " ".join(taken)
        else:
            if i >= len(tokens) or (not tokens[i].quoted and _is_flag(tokens[i].text)):
                raise _missing_value(command, flag, name)
            values[flag.field] = tokens[i].text
            i += 1
    return Request(command, _validate(command, " ".join(words), values, typed))


def _words_from(tokens: list[_Token], i: int) -> tuple[list[str], int]:
    """The words from tokens[i] up to the next flag, and the index after them."""
    taken = []
    while i < len(tokens) and (tokens[i].quoted or not _is_flag(tokens[i].text)):
        taken.append(tokens[i].text)
        i += 1
    return taken, i


def _commands_sentence() -> str:
    return _("The commands are %(commands)s.") % {"commands": _list("/" + name for name in [*COMMANDS, HELP])}


def _coerce(command: Command, flag: Flag, value: object) -> object:
    """A typed choice to the schema's own value ("6" -> 6, "Cinematic" -> "cinematic"). A value
    that matches none goes through as typed, for the schema to refuse."""
    if isinstance(value, str):
        for choice in choices(command, flag):
            if str(choice).lower() == value.strip().lower():
                return choice
    return value


def _validate(command: Command, prompt: str, values: dict[str, object], typed: dict[str, str]) -> BaseModel:
    data: dict[str, object] = {"prompt": prompt}
    for field_name, value in values.items():
        data[field_name] = _coerce(command, command.flag_for_field(field_name), value)  # type: ignore[arg-type]
    try:
        return command.schema.model_validate(data)
    except ValidationError as e:
        messages = []
        for item in e.errors(include_url=False):
            message = _explain(command, item, typed)
            if message not in messages:
                messages.append(message)
        raise CommandError(*messages, command=command.name) from None


def _explain(command: Command, item: Mapping[str, Any], typed: dict[str, str]) -> str:
    """One pydantic error as a sentence that names the flag and what it accepts."""
    field_name = str(item["loc"][0]) if item["loc"] else ""
    kind = item["type"]
    given = str(item.get("input", ""))
    shown = given if len(given) <= 30 else given[:29] + "…"
    if kind == DUPLICATE_IMAGE:
        return _("Name each image once in --images.")
    if field_name in ("prompt", ""):
        if kind == "string_too_long":
            return _("The prompt is at most %(max)s characters; this one has %(length)s.") % {
                "max": format_count(PROMPT_MAX_CHARS),
                "length": format_count(len(given.strip())),
            }
        words = {"command": command.name, "example": command.example, "shown": shown, "noun": command.noun}
        describe, meaningless = DESCRIBE.get(command.name) or (
            gettext_lazy("Describe the %(noun)s after /%(command)s, for example: %(example)s"),
            gettext_lazy(
                "The prompt “%(shown)s” has no letters or digits: describe the %(noun)s in words, "
                "for example: %(example)s"
            ),
        )
        return str(meaningless if kind == PROMPT_WITHOUT_MEANING else describe) % words
    flag = command.flag_for_field(field_name)
    if flag is None:  # a field no flag sets; cannot happen from parse()
        return str(item["msg"])
    name = typed.get(field_name, flag.name)
    if kind == "string_too_long":
        return _("%(flag)s is at most %(max)s characters; this has %(length)s.") % {
            "flag": name,
            "max": format_count(item["ctx"]["max_length"]),
            "length": format_count(len(given.strip())),
        }
    if flag.kind == "list":
        problem = messages.message(item)
        return _(
            "%(flag)s takes the ids of your images (an image's id is in its Gallery link), "
            "%(problem)s (not “%(shown)s”)."
        ) % {"flag": name, "problem": problem[:1].lower() + problem[1:], "shown": shown}
    if choices(command, flag):
        return _("%(flag)s must be one of %(allowed)s for /%(command)s (not “%(shown)s”).") % {
            "flag": name,
            "allowed": allowed(command, flag),
            "command": command.name,
            "shown": shown,
        }
    low, high = bounds(command, flag)
    if low is not None and high is not None:
        return _(
            "%(flag)s must be a whole number from %(low)s to %(high)s for /%(command)s (not “%(shown)s”)."
        ) % {
            "flag": name,
            "low": low,
            "high": high,
            "command": command.name,
            "shown": shown,
        }
    return f"{name}: {str(item['msg']).removeprefix('Value error, ')}."
