"""Reading the environment for settings.py: typed values, and the secret key that fails closed."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

_MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def weak_secret_key(key: str) -> bool:
    """Django's own test for a weak key (check --deploy, security.W009)."""
    return (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


def secret_key(*, debug: bool) -> str:
    """SECRET_KEY, or the contents of the file SECRET_KEY_FILE names (a mounted secret, or the local
    key `make run` makes). Refuses to start without one, and with a weak one unless debugging."""
    key = envstr("SECRET_KEY")
    key_file = envstr("SECRET_KEY_FILE")
    if not key and key_file:
        try:
            key = Path(key_file).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE cannot be read ({e.strerror}): {key_file}") from None
    if not key:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set: set it to a random string, e.g. the output of {_MAKE_A_KEY} "
            "(make run and make test make their own)"
        )
    if not debug and weak_secret_key(key):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for DEBUG=false (needs {SECRET_KEY_MIN_LENGTH}+ characters, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS}+ different, not {SECRET_KEY_INSECURE_PREFIX}...): "
            f"use the output of {_MAKE_A_KEY}"
        )
    return key
