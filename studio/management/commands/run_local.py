"""`make run`: the whole product on one machine with no cloud account.

Starts the offline emulator (Vertex, Pollinations and GCS) in this process, points the app at it
through the same environment variables production uses, and runs the web server and the
django-q2 worker cluster as child processes. Ctrl-C stops everything.

The children run in their own sessions so that the terminal's Ctrl-C reaches only this process,
which then sends SIGTERM to each child's main PID: signalling qcluster's whole process group can
hang it (reliability-notes.md §0, django-q2#346).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import CommandError

from mediastudio.commands import OperatorCommand, tcp_port, text
from studio.emulator import start_emulator


class Command(OperatorCommand):
    help = "Run the web server against the offline emulator (what `make run` does)."

    def add_arguments(self, parser):
        parser.add_argument("--host", type=text(253, required=True), default="127.0.0.1")
        parser.add_argument("--port", type=tcp_port, default=8000)
        parser.add_argument("--emulator-port", type=tcp_port, default=8090)
        parser.add_argument("--gcs-port", type=tcp_port, default=9023)

    def handle(self, *args, host, port, emulator_port, gcs_port, **options):
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
        }
        self.stdout.write(
            f"Offline emulator: Vertex and Pollinations at {emulator.base_url}, GCS at {emulator.gcs_url}"
        )
        commands = [
            [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            [sys.executable, "manage.py", "qcluster"],
        ]
        # SIGTERM (a process manager, `kill`) stops the children too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        children = [subprocess.Popen(command, env=env, start_new_session=True) for command in commands]
        self.stdout.write(f"Media Studio at http://{host}:{port}/ with a worker cluster — Ctrl-C stops it.")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
            emulator.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt
