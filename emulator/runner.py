"""Starting and stopping the emulator, and the `Emulator` handle tests and commands hold."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
import urllib.error
import urllib.request

from gcp_storage_emulator.server import Server as GcsServer
from gcp_storage_emulator.server import create_server as create_gcs_server

from .server import EmulatorHTTPServer
from .state import EmulatorState


class Emulator:
    """A running emulator: Vertex + Pollinations on `base_url`, GCS on `gcs_url`."""

    def __init__(
        self, http_server: EmulatorHTTPServer, gcs_server: GcsServer, state: EmulatorState, host: str
    ):
        self._http_server = http_server
        self._gcs_server = gcs_server
        self.state = state
        self.base_url = f"http://{host}:{http_server.server_address[1]}"
        self.gcs_url = state.gcs_url
        self.default_bucket = state.default_bucket

    def stop(self) -> None:
        self.state.stopping.set()
        self._http_server.shutdown()
        self._http_server.server_close()
        self._gcs_server.stop()

    def requests(self) -> list[dict]:
        return self._control("GET", "/_emulator/requests")["requests"]

    def reset(self) -> None:
        self._control("POST", "/_emulator/reset", {})

    def set_clock(self, today: dt.date | None) -> dt.date:
        """Judge model lifecycles as of `today` (None: the real date) until the next reset()."""
        body = {"today": today.isoformat() if today else None}
        return dt.date.fromisoformat(self._control("POST", "/_emulator/clock", body)["today"])

    def payfast(self) -> dict:
        """The PayFast stand-in's subscriptions (by token) and every ITN it sent."""
        return self._control("GET", "/_emulator/payfast")

    def payfast_itn(self, token: str, action: str) -> dict:
        """ "renew": a new COMPLETE ITN for the subscription; "resend-itn": its last ITN again."""
        return self._control("POST", f"/_emulator/payfast/{token}/{action}", {})

    def inject(
        self, fault: str, times: int = 1, match: dict | None = None, delay: float | None = None
    ) -> dict:
        body: dict = {"fault": fault, "times": times, "match": match or {}}
        if delay is not None:
            body["delay"] = delay
        return self._control("POST", "/_emulator/faults", body)["fault"]

    def _control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ValueError(json.loads(error.read()).get("error", str(error))) from None

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    gcs_port: int = 0,
    operation_delay: float = 2.0,
    default_bucket: str = "media-studio-local",
    today: dt.date | None = None,
    payfast_merchant: tuple[str, str, str] | None = None,
) -> Emulator:
    """Start the emulator and its GCS emulator in daemon threads; return once both accept connections.

    `today` fixes the clock model lifecycles are judged by (None: the real date); reset() returns to it.
    `payfast_merchant` is the (merchant_id, merchant_key, passphrase) the PayFast stand-in accepts
    (default: PayFast's published sandbox merchant, PAYFAST_MERCHANT).
    """
    client_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    gcs_port = gcs_port or _free_port(host)
    gcs_server = _start_gcs(host, gcs_port, default_bucket)
    state = EmulatorState(
        gcs_url=f"http://{client_host}:{gcs_port}",
        operation_delay=operation_delay,
        default_bucket=default_bucket,
        start_today=today,
        clock_today=today,
    )
    if payfast_merchant:
        state.payfast.merchant_id, state.payfast.merchant_key, state.payfast.passphrase = payfast_merchant
    try:
        http_server = EmulatorHTTPServer((host, port), state)
    except OSError:
        gcs_server.stop()
        raise
    threading.Thread(target=http_server.serve_forever, name="emulator-http", daemon=True).start()
    emulator = Emulator(http_server, gcs_server, state, client_host)
    _wait_until_listening(client_host, http_server.server_address[1])
    _wait_until_listening(client_host, gcs_port)
    return emulator


def _start_gcs(host: str, port: int, default_bucket: str) -> GcsServer:
    """Start gcp-storage-emulator in memory with the default bucket.

    It is built inside a daemon thread on purpose: its server thread inherits the daemon flag,
    so a process that never calls stop() can still exit. Its start() waits forever when the
    port cannot be bound, so the wait is bounded here.
    """
    _check_port_free(host, port)
    started: list[GcsServer] = []

    def boot() -> None:
        server = create_gcs_server(host, port, in_memory=True, default_bucket=default_bucket)
        server.start()
        started.append(server)

    booter = threading.Thread(target=boot, name="emulator-gcs-boot", daemon=True)
    booter.start()
    booter.join(timeout=10)
    if not started:
        raise RuntimeError(f"The GCS emulator could not start on {host}:{port}")
    return started[0]


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"The GCS emulator port {host}:{port} is not free: {error}") from None


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _wait_until_listening(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Nothing is listening on {host}:{port}") from None
            time.sleep(0.05)
