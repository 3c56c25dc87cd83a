"""`make run`: the whole product on one machine with no cloud account.

Starts the offline emulator (Vertex, Pollinations, GCS and PayFast's sandbox) in this process, points
the app at it through the same environment variables production uses, and runs two children: the
production web server (gunicorn with uvicorn workers serving mediastudio.asgi, settings in
mediastudio/gunicorn_conf.py) and the django-q2 worker cluster. Ctrl-C or SIGTERM stops everything.

How stopping stays clean, however it is asked for:
- Each child runs in its own session, so the terminal's Ctrl-C reaches only this process, which
  sends SIGTERM to each child's main PID. Signalling qcluster's whole process group can hang it
  (django-q2#346); gunicorn's master stops its own workers.
- Signal handlers here only set a flag (no lock: a handler that takes a lock the interrupted code
  holds deadlocks, which is django-q2#346), so a second (or tenth) signal cannot interrupt the
  shutdown half-way and orphan a child; each one just says the stop is under way.
- A child still running STOP_SECONDS after SIGTERM (qcluster finishing a long task) gets SIGKILL
  on its whole process group, so its own workers go with it.
- If this process is killed outright (SIGKILL, an OOM kill), the kernel sends each child SIGTERM
  (PR_SET_PDEATHSIG, Linux), the same stop as above.
- If a child exits on its own, the other is stopped too and this command exits non-zero.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import CommandError

from emulator import POLLINATIONS_KEY, start_emulator
from mediastudio.commands import OperatorCommand, payfast_stand_in_env, tcp_port, text

STOP_SECONDS = 30
_PR_SET_PDEATHSIG = 1


class Command(OperatorCommand):
    help = "Run the web server, the worker cluster and the offline emulator (what `make run` does)."

    def add_arguments(self, parser):
        # Checked types (mediastudio/commands.py): bad input is one line and exit 1.
        parser.add_argument("--host", type=text(253, required=True), default="127.0.0.1")
        parser.add_argument("--port", type=tcp_port, default=8000)
        parser.add_argument("--emulator-port", type=tcp_port, default=8090)
        parser.add_argument("--gcs-port", type=tcp_port, default=9023)

    def handle(self, *args, host, port, emulator_port, gcs_port, **options):
        signals: list[int] = []

        def on_signal(signum, frame):
            if signals:  # os.write: a buffered stream may be mid-write in the code this interrupted
                os.write(1, f"Already stopping (up to {STOP_SECONDS} s for a running task).\n".encode())
            signals.append(signum)

        # Installed before any child starts, so no signal can arrive while a child is unaccounted for.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)

        try:
            emulator = start_emulator(host="127.0.0.1", port=emulator_port, gcs_port=gcs_port)
        except OSError as error:  # a port in use
            raise CommandError(
                f"the emulator cannot listen on ports {emulator_port} and {gcs_port}: "
                f"{error.strerror or error}"
            ) from None
        env = {
            **os.environ,
            "VERTEX_BASE_URL": emulator.base_url,
            "POLLINATIONS_BASE_URL": emulator.base_url,
            # Like the real gateway, the emulator refuses Pollinations calls without a key.
            "POLLINATIONS_API_KEY": POLLINATIONS_KEY,
            # PayFast's sandbox stand-in (checkout, ITN, validation, subscriptions API).
            **payfast_stand_in_env(emulator.base_url),
        }
        self.stdout.write(
            f"Offline emulator: Vertex, Pollinations and PayFast's sandbox at {emulator.base_url}, "
            f"GCS at {emulator.gcs_url}"
        )
        commands = {
            "web server": [
                sys.executable, "-m", "gunicorn",
                "--config", "python:mediastudio.gunicorn_conf",
                "--bind", f"{host}:{port}",
                "mediastudio.asgi:application",
            ],
            "worker cluster": [sys.executable, "manage.py", "qcluster"],
        }  # fmt: skip
        children: dict[str, subprocess.Popen] = {}
        try:
            for name, command in commands.items():
                if signals:
                    break
                children[name] = subprocess.Popen(
                    command, env=env, start_new_session=True, preexec_fn=_die_with_parent
                )
            self.stdout.write(f"Media Studio at http://{host}:{port}/ and a worker cluster; Ctrl-C stops it.")
            exited = None
            while exited is None and not signals:
                time.sleep(0.2)
                exited = next((name for name, child in children.items() if child.poll() is not None), None)
        finally:
            self.stdout.write("Stopping the web server and the worker cluster…")
            _stop_all(children.values())
            emulator.stop()
        if exited:
            status = children[exited].returncode
            raise CommandError(f"The {exited} exited with status {status}; stopped the rest.")
        self.stdout.write("Stopped.")


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when this command's process dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died between fork and prctl; then nobody would ever signal us.
    if os.getppid() == 1:
        os._exit(1)


def _stop_all(children) -> None:
    """SIGTERM to each main PID, then SIGKILL to the process group of any still running at the deadline."""
    children = list(children)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        # Its workers share its process group (its own session); kill them too, not just the main PID.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
