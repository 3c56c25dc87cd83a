"""Every manage.py command of ours answers bad input with one line on stderr and exit status 1,
never a traceback or argparse's usage block (README, "Management commands"; issue 11, point 9).

The billing commands' own cases are in billing/tests/test_commands.py; here: every command of
both apps, the studio commands, and the issue's examples run as real processes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

from billing.tests.helpers import run_cli
from studio.models import ApiToken

ROOT = Path(__file__).resolve().parents[2]
OUR_COMMANDS = sorted(name for name, app in get_commands().items() if app in ("billing", "studio"))


def assert_one_line(code: int, err: str, message: str) -> None:
    assert code == 1, err
    assert len(err.splitlines()) == 1 and err.startswith("CommandError: "), err
    assert message in err, err


def test_the_apps_have_the_commands_we_expect():
    expected = {"cost_report", "create_api_token", "grant", "provider_check", "render_samples"}
    assert expected | {"run_emulator", "run_local", "seed_demo", "set_tier"} <= set(OUR_COMMANDS)


@pytest.mark.parametrize("command", OUR_COMMANDS)
def test_every_command_answers_an_unknown_option_in_one_line(db, capsys, monkeypatch, command):
    code, err = run_cli(capsys, monkeypatch, command, "--no-such-option")
    # Commands with required arguments name those first; either way, one line.
    assert_one_line(code, err, "arguments")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create_api_token"], "the following arguments are required: username"),
        (["create_api_token", ""], "username: must not be empty"),
        (["create_api_token", "ghost"], "no user named 'ghost'"),
        (["create_api_token", "alice", "--name", "x" * 81], "--name: must be at most 80 characters"),
        (["create_api_token", "alice", "--name", "tab\tok but not\x1b"], "--name: must not contain control"),
        (["create_api_token", "al\udcffice"], "username: must be valid UTF-8 text"),
        (["provider_check", "--live=yes"], "ignored explicit argument 'yes'"),
        (["provider_check", "extra"], "unrecognized arguments: extra"),
        (["render_samples", "--force", "extra"], "unrecognized arguments: extra"),
        (["run_emulator", "--port", "99999"], "--port: must be a whole number from 0 to 65535"),
        (["run_emulator", "--port", "http"], "not 'http'"),
        (["run_emulator", "--gcs-port", "-1"], "--gcs-port: must be a whole number"),
        (["run_emulator", "--operation-delay", "nan"], "--operation-delay: must be a number from 0 to 3600"),
        (["run_emulator", "--operation-delay", "-1"], "--operation-delay: must be a number"),
        (["run_emulator", "--bucket", ""], "--bucket: must not be empty"),
        (["run_local", "--port", "8000x"], "--port: must be a whole number from 0 to 65535"),
        (["run_local", "--emulator-port", "65536"], "--emulator-port: must be a whole number"),
    ],
)
def test_studio_commands_answer_bad_input_in_one_line(make_user, capsys, monkeypatch, argv, message):
    make_user(username="alice")
    code, err = run_cli(capsys, monkeypatch, *argv)
    assert_one_line(code, err, message)
    assert not ApiToken.objects.exists()


@pytest.fixture
def taken_port():
    """A port something else is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_the_emulator_commands_answer_a_port_in_use_in_one_line(db, capsys, monkeypatch, taken_port):
    code, err = run_cli(capsys, monkeypatch, "run_emulator", "--port", "0", "--gcs-port", str(taken_port))
    assert_one_line(code, err, f"the emulator cannot listen on 127.0.0.1 ports 0 and {taken_port}")
    code, err = run_cli(
        capsys, monkeypatch, "run_local", "--emulator-port", str(taken_port), "--gcs-port", "0"
    )
    assert_one_line(code, err, f"the emulator cannot listen on ports {taken_port} and 0")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grant", "u", "images", "\u00b2", "--reason", "r"], "argument units: must be a whole number"),
        (["grant", "u", "images", "2147483648", "--reason", "r"], "not '2147483648'"),
        (["cost_report", "--from", "2026-11-01", "--to", "9999-12-31"], "argument --to: must be a date"),
    ],
)
def test_the_issues_examples_as_real_processes(argv, message):
    """As an operator types them: exit status 1, one line on stderr, no traceback."""
    done = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"CommandError: {done.stderr.strip().removeprefix('CommandError: ')}"
    ]
    assert message in done.stderr
    assert done.stdout == ""
