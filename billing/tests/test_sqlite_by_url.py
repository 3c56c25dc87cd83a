"""SQLite configured through DATABASE_URL=sqlite:///… gets the same WAL / IMMEDIATE / busy-timeout
options as the default SQLITE_PATH configuration (issue 11, point 10).

Settings are read once per process, so each check runs in a subprocess with its own environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "mediastudio.settings"}
    env["SQLITE_PATH"] = str(tmp_path / "unused-default.sqlite3")  # must not be the one used
    env.pop("REDIS_URL", None)
    return env


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_a_sqlite_url_gets_wal_immediate_and_a_busy_timeout(tmp_path, form):
    if form == "absolute":
        url, cwd, expected = f"sqlite:///{tmp_path}/by-url.sqlite3", ROOT, tmp_path / "by-url.sqlite3"
    else:
        url, cwd, expected = "sqlite:///by-url.sqlite3", tmp_path, tmp_path / "by-url.sqlite3"
    probe = (
        "import json, django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    mode = c.execute('PRAGMA journal_mode').fetchone()[0]\n"
        "    busy = c.execute('PRAGMA busy_timeout').fetchone()[0]\n"
        "s = connection.settings_dict\n"
        "print(json.dumps({'mode': mode, 'busy_ms': busy, 'name': str(s['NAME']),\n"
        "    'transaction_mode': s['OPTIONS'].get('transaction_mode'), 'test': s['TEST']['NAME']}))\n"
    )
    env = _env(tmp_path, url)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert (got["mode"], got["busy_ms"], got["transaction_mode"]) == ("wal", 20_000, "IMMEDIATE")
    assert (cwd / got["name"]).resolve() == expected.resolve()
    # The test database is a file beside it (real locking), not shared-cache memory.
    assert got["test"].endswith("by-url_test.sqlite3")


def test_forty_racers_for_the_last_three_images_on_sqlite_by_url(tmp_path):
    """billing/tests/test_concurrency.py's race, on SQLite named by a URL: exactly 3 accepted
    (before the fix: 1 accepted, 39 "database is locked")."""
    env = _env(tmp_path, f"sqlite:///{tmp_path}/racers.sqlite3")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "billing/tests/test_concurrency.py::test_forty_threads_race_for_the_last_three_images",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
