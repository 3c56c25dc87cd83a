"""Run the offline emulator (Vertex AI, Pollinations, GCS) in the foreground.

    python manage.py run_emulator [--host 127.0.0.1] [--port 8090] [--gcs-port 9023] [--operation-delay 5]

It prints the environment variables that point the app at it. It needs no database. The emulator
itself is the top-level `emulator` package, which knows nothing of the app; this command only adds
what an operator needs: checked arguments, one-line errors, the variables to export and SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import CommandError

from emulator import FAULT_KINDS, POLLINATIONS_KEY, start_emulator
from mediastudio.commands import OperatorCommand, number, payfast_stand_in_env, tcp_port, text


class Command(OperatorCommand):
    help = "Run the offline Vertex AI / Pollinations / GCS emulator in the foreground."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--host", type=text(253, required=True), default="127.0.0.1")
        parser.add_argument("--port", type=tcp_port, default=8090)
        parser.add_argument("--gcs-port", type=tcp_port, default=9023)
        parser.add_argument(
            "--operation-delay",
            type=number(0, 3600),
            default=5.0,
            help="seconds before a Veo operation reports done",
        )
        parser.add_argument(
            "--bucket",
            type=text(63, required=True),
            default="media-studio-local",
            help="bucket created in the GCS emulator",
        )

    def handle(self, *args, host, port, gcs_port, operation_delay, bucket, **options):
        # The storage emulator logs every request at INFO; ours are enough.
        logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
        try:
            emulator = start_emulator(
                host=host,
                port=port,
                gcs_port=gcs_port,
                operation_delay=operation_delay,
                default_bucket=bucket,
            )
        except OSError as error:  # a port in use, a host name that does not resolve
            raise CommandError(
                f"the emulator cannot listen on {host} ports {port} and {gcs_port}: {error.strerror or error}"
            ) from None
        self.stdout.write(
            f"Emulator running: Vertex AI, Pollinations and PayFast's sandbox at {emulator.base_url}, "
            f"GCS at {emulator.gcs_url}"
        )
        self.stdout.write("Point the app at it with:\n")
        for name, value in (
            ("VERTEX_BASE_URL", emulator.base_url),
            ("POLLINATIONS_BASE_URL", emulator.base_url),
            ("POLLINATIONS_API_KEY", POLLINATIONS_KEY),  # any key: like the real gateway, it wants one
            ("STORAGE_EMULATOR_HOST", emulator.gcs_url),
            *payfast_stand_in_env(emulator.base_url).items(),  # PayFast's sandbox stand-in
        ):
            self.stdout.write(f"  export {name}={value}")
        self.stdout.write(
            f"and, to keep media and Veo's outputs in its bucket, GCS_BUCKET={emulator.default_bucket} "
            "with GCS_SIGNING_KEY_FILE (a service-account key file: it signs media links)."
        )
        self.stdout.write(
            f"\nFaults: POST {emulator.base_url}/_emulator/faults "
            '{"fault": "429", "times": 1}, or put [[fault:KIND]] in a prompt.'
            f"\nKinds: {', '.join(FAULT_KINDS)}. Request log: GET {emulator.base_url}/_emulator/requests"
            "\nCtrl-C stops it."
        )

        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            emulator.stop()
            self.stdout.write("Emulator stopped.")
