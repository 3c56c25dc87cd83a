"""What every manage.py command of ours shares: one-line errors and checked arguments.

The README promises that bad input to a command is one line on stderr and exit status 1. Django
gives that for a CommandError raised in handle(), but argparse answers a bad argument with its
usage block and status 2, and a type=int argument lets through what later overflows. So:

    class Command(OperatorCommand): ...                     # argparse errors as one line, exit 1
    parser.add_argument("units", type=whole_number(1, 1_000_000))
    parser.add_argument("--from", type=day)                  # a date between FIRST_DAY and LAST_DAY
    parser.add_argument("--reason", type=text(500))          # printable, valid UTF-8, bounded

An argument type raises argparse.ArgumentTypeError; argparse names the argument in the message.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

# The days a report may name. Wide enough for any real question, narrow enough that the day
# after the last one still exists (9999-12-31 + 1 day overflowed) and nothing is a typo'd 20226.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
# ASCII digits only: str.isdigit() accepts "²", and int() accepts "١٢", "1_000" and " 7 ".
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]*)?|-?\.[0-9]+")


class OneLineErrorParser(CommandParser):
    """Django's parser, except that a bad argument on the command line is one line on stderr and
    exit status 1, the same as a CommandError raised by handle()."""

    def error(self, message):
        if self.called_from_command_line:
            self.exit(1, f"CommandError: {message}\n")
        raise CommandError(message)


class OperatorCommand(BaseCommand):
    """A BaseCommand whose argument errors are one line (see OneLineErrorParser)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds its CommandParser itself; ours only changes error().
        parser.__class__ = OneLineErrorParser
        return parser


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argument type: a whole number written in ASCII digits, from low to high inclusive."""

    def parse(text: str) -> int:
        value = text.strip()
        if not _WHOLE_NUMBER.fullmatch(value) or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, not {text!r}")
        return int(value)

    parse.__name__ = "whole number"
    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """An argument type: a decimal number from low to high inclusive ("nan" and "inf" are not)."""

    def parse(text: str) -> float:
        value = text.strip()
        if not _DECIMAL.fullmatch(value) or not low <= float(value) <= high:
            raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}, not {text!r}")
        return float(value)

    parse.__name__ = "number"
    return parse


def tcp_port(text: str) -> int:
    """An argument type: a TCP port (0 lets the system pick one)."""
    return whole_number(0, 65535)(text)


def day(text: str) -> date:
    """An argument type: a date written YYYY-MM-DD, from FIRST_DAY to LAST_DAY."""
    try:
        value = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"must be a date from {FIRST_DAY} to {LAST_DAY} written like 2026-11-01, not {text!r}"
        )
    return value


def month(text: str) -> date:
    """An argument type: a calendar month written YYYY-MM, within FIRST_DAY to LAST_DAY; its
    first day."""
    try:
        value = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"must be a month from {FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m} written like 2026-11, not {text!r}"
        )
    return value


def text(max_length: int, *, required: bool = False) -> Callable[[str], str]:
    """An argument type: printable text of at most max_length characters (no control characters,
    and valid UTF-8: a terminal can pass bytes that are not, which no database will store)."""

    def parse(value: str) -> str:
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise argparse.ArgumentTypeError("must be valid UTF-8 text")
        if any(ord(c) < 32 and c not in "\t" or 127 <= ord(c) < 160 for c in value):
            raise argparse.ArgumentTypeError("must not contain control characters")
        if len(value) > max_length:
            raise argparse.ArgumentTypeError(f"must be at most {max_length} characters, not {len(value)}")
        if required and not value.strip():
            raise argparse.ArgumentTypeError("must not be empty")
        return value

    parse.__name__ = "text"
    return parse


def payfast_stand_in_env(base_url: str) -> dict[str, str]:
    """The settings that point the app's PayFast at the emulator's sandbox stand-in at `base_url`
    (run_local sets them, run_emulator prints them): PayFast's published sandbox merchant, which the
    stand-in accepts, and no source-address check (its ITNs come from this machine)."""
    from emulator import PAYFAST_MERCHANT

    merchant_id, merchant_key, passphrase = PAYFAST_MERCHANT
    return {
        "PAYFAST_MERCHANT_ID": merchant_id,
        "PAYFAST_MERCHANT_KEY": merchant_key,
        "PAYFAST_PASSPHRASE": passphrase,
        "PAYFAST_SANDBOX": "true",
        "PAYFAST_PROCESS_URL": f"{base_url}/eng/process",
        "PAYFAST_VALIDATE_URL": f"{base_url}/eng/query/validate",
        "PAYFAST_API_URL": base_url,
        "PAYFAST_CHECK_SOURCE_IP": "false",
    }
