"""Helpers shared by the billing and studio tests (studio may import billing; not the reverse)."""

from __future__ import annotations

import threading

from django.core.management import ManagementUtility
from django.db import connection


def race(n_threads: int, attempt) -> list[object]:
    """Run attempt(i) in n threads released at the same instant; return what each returned or raised."""
    start = threading.Barrier(n_threads)
    outcomes: list[object] = [None] * n_threads

    def run(i: int) -> None:
        try:
            start.wait()
            outcomes[i] = attempt(i)
        except Exception as error:  # noqa: BLE001 - the outcome is what we assert on
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def run_cli(capsys, monkeypatch, *argv) -> tuple[int, str]:
    """Run a command as manage.py would, returning its exit code and what it wrote to stderr."""
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    try:
        ManagementUtility(["manage.py", *argv]).execute()
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err.strip()


def use_payfast_stand_in(settings, base_url: str, *, notify_url: str = "") -> None:
    """The app's PayFast settings on the emulator's sandbox stand-in at `base_url`, exactly as
    `make run` sets them (mediastudio.commands.payfast_stand_in_env), ITNs to `notify_url`."""
    from mediastudio.commands import payfast_stand_in_env

    for name, value in payfast_stand_in_env(base_url).items():
        setattr(settings, name, {"true": True, "false": False}.get(value, value))
    settings.PAYFAST_NOTIFY_URL = notify_url
