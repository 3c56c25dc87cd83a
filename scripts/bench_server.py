"""The web server `make run` starts, under the two loads issue 11 names. A benchmark, not a test.

    .venv/bin/python scripts/bench_server.py [--port 8130] [--clients 50] [--viewers 10]

What it does, start to finish:

1. Makes a throwaway SQLite database, media and static folders in a temporary directory, migrates,
   collects static files, and stores one 40 MB video owned by a new user; a signed link to it is
   what the slow viewers fetch (the same view and checks as a user's own video).
2. Starts `manage.py run_local` exactly as `make run` does (gunicorn + uvicorn workers, the
   qcluster, the emulator), with DEBUG off, HTTPS=false and BENCH_VIEWS=true for /bench/bare.
3. Burst: --clients threads each send --requests requests to /bench/bare, every one on a new TCP
   connection (the hardest case for the listen backlog). Counts answers, connection resets and
   other errors. Django's runserver (backlog 10) reset connections here.
4. Slow viewers: the bare request's median latency alone, then again while --viewers clients each
   download the video at --viewer-kbps (a small receive buffer and a pause between reads, so the
   server's writes block on them). A server that holds a worker per download queues the bare
   request behind them (3,510 ms against 2-4 ms alone, gunicorn sync workers, 3 viewers).
5. Prints both figures with their targets (0 resets; at most 2x the time alone), stops run_local
   with SIGTERM and removes the temporary directory, also after an error or Ctrl-C.

The clients run on the same machine and compete with the server for the CPU.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDEO_BYTES = 40 * 1024 * 1024
# How a full listen backlog shows to a client.
RESETS = (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, http.client.RemoteDisconnected)

SETUP_CODE = f"""
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from studio.models import MediaAsset
from studio.serving import media_url

user = get_user_model().objects.create_user("viewer", email="viewer@example.com")
asset = MediaAsset(owner=user, kind="video", mime_type="video/mp4", bytes={VIDEO_BYTES})
asset.file.save("bench.mp4", ContentFile(bytes({VIDEO_BYTES})), save=False)
asset.save()
print("URL=" + media_url(asset))
"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(env: dict[str, str]) -> str:
    """Migrate, collect static files, store the video; returns its signed path."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([*manage, *command, "--verbosity", "0"], env=env, cwd=ROOT, check=True)
    out = subprocess.run(
        [*manage, "shell", "-c", SETUP_CODE], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return next(line.removeprefix("URL=") for line in out.splitlines() if line.startswith("URL="))


def start_run_local(env: dict[str, str], args: argparse.Namespace, log) -> subprocess.Popen:
    command = [
        sys.executable, "manage.py", "run_local",
        "--port", str(args.port),
        "--emulator-port", str(args.port + 1),
        "--gcs-port", str(args.port + 2),
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def bare_once(port: int, connection: http.client.HTTPConnection | None = None) -> float:
    """One GET /bench/bare; its latency in ms. Raises on anything but 200."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        conn.request("GET", "/bench/bare")
        response = conn.getresponse()
        response.read()
    finally:
        if connection is None:
            conn.close()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


def wait_until_up(server: subprocess.Popen, port: int, log_path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"run_local exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            bare_once(port)
            return
        except (OSError, RuntimeError):
            time.sleep(0.3)
    raise SystemExit(f"run_local did not answer within {seconds:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- The two loads ---------------------------------------------------------------------------


def burst(port: int, clients: int, requests: int) -> dict:
    """`clients` threads, released together, each sending `requests` on new connections."""
    counts = {"ok": 0, "resets": 0, "other_errors": 0}
    first_error = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        start.wait()
        for _ in range(requests):
            try:
                bare_once(port)
                outcome = "ok"
            except RESETS as e:
                outcome, error = "resets", e
            except Exception as e:  # noqa: BLE001 - counted and shown, not raised
                outcome, error = "other_errors", e
            with lock:
                counts[outcome] += 1
                if outcome != "ok" and not first_error:
                    first_error.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts["seconds"] = round(time.perf_counter() - began, 2)
    counts["first_error"] = first_error[0] if first_error else ""
    return counts


def median_bare_ms(port: int, count: int) -> float:
    """The median of `count` sequential requests on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        return statistics.median(bare_once(port, conn) for _ in range(count))
    finally:
        conn.close()


class SlowViewer(threading.Thread):
    """Downloads the video at about `kbps` KB/s through a small receive buffer, until stopped."""

    def __init__(self, port: int, path: str, kbps: int):
        super().__init__(daemon=True)
        self.port, self.path, self.kbps = port, path, kbps
        self.received = 0
        self.started_body = threading.Event()
        self.stopped = threading.Event()
        self.error = ""

    def run(self) -> None:
        read_size = 8192
        pause = read_size / (self.kbps * 1024)
        try:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            while not self.stopped.is_set():
                chunk = sock.recv(read_size)
                if not chunk:
                    self.error = "the server closed the download before it was stopped"
                    break
                self.received += len(chunk)
                self.started_body.set()
                time.sleep(pause)
            sock.close()
        except OSError as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.started_body.set()


def slow_viewers(port: int, path: str, viewers: int, kbps: int, samples: int) -> dict:
    alone = median_bare_ms(port, samples)
    downloads = [SlowViewer(port, path, kbps) for _ in range(viewers)]
    for viewer in downloads:
        viewer.start()
    for viewer in downloads:
        viewer.started_body.wait(30)
    time.sleep(1)  # every download is now blocked on its reader, not starting
    try:
        loaded = median_bare_ms(port, samples)
    finally:
        still_downloading = sum(1 for v in downloads if v.is_alive() and not v.error)
        for viewer in downloads:
            viewer.stopped.set()
    errors = [v.error for v in downloads if v.error]
    return {
        "alone_ms": round(alone, 2),
        "with_viewers_ms": round(loaded, 2),
        "ratio": round(loaded / alone, 2),
        "viewers_still_downloading": still_downloading,
        "viewer_errors": errors,
        "mb_received": round(sum(v.received for v in downloads) / 1e6, 1),
    }


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8130, help="web port; the emulator takes the next two")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients in the burst")
    parser.add_argument("--requests", type=int, default=20, help="requests per burst client")
    parser.add_argument("--viewers", type=int, default=10, help="slow video downloads")
    parser.add_argument("--viewer-kbps", type=int, default=256, help="each viewer's speed, KB/s")
    parser.add_argument("--samples", type=int, default=200, help="bare requests per latency median")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with tempfile.TemporaryDirectory(prefix="bench_server-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mediastudio.settings",
            "DEBUG": "false",
            "HTTPS": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BENCH_VIEWS": "true",
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "SQLITE_PATH": f"{tmp}/db.sqlite3",
            "BREAKER_STATE_PATH": f"{tmp}/breakers.sqlite3",
            "MEDIA_ROOT": f"{tmp}/media",
            "STATIC_ROOT": f"{tmp}/static",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("SECRET_KEY_FILE", None)
        say("preparing: migrate, collectstatic, a 40 MB video")
        video_path = prepare(env)
        log_path = Path(tmp) / "run_local.log"
        with open(log_path, "wb") as log:
            server = start_run_local(env, args, log)
        try:
            wait_until_up(server, args.port, log_path)
            median_bare_ms(args.port, 100)  # warm every worker
            say(f"burst: {args.clients} clients x {args.requests} requests, a new connection each")
            burst_result = burst(args.port, args.clients, args.requests)
            say(f"slow viewers: {args.viewers} downloads at {args.viewer_kbps} KB/s each")
            viewers_result = slow_viewers(args.port, video_path, args.viewers, args.viewer_kbps, args.samples)
        finally:
            stop(server)

    total = args.clients * args.requests
    print(f"make run's server (run_local on 127.0.0.1:{args.port}), {os.cpu_count()} CPUs, DEBUG=false")
    print(
        f"burst:        {args.clients} concurrent clients, {total} requests in {burst_result['seconds']} s: "
        f"{burst_result['ok']} answered, {burst_result['resets']} connection resets "
        f"(target 0), {burst_result['other_errors']} other errors"
    )
    if burst_result["first_error"]:
        print(f"              first error: {burst_result['first_error']}")
    print(
        f"slow viewers: bare request {viewers_result['alone_ms']} ms alone, "
        f"{viewers_result['with_viewers_ms']} ms while {args.viewers} viewers download at "
        f"{args.viewer_kbps} KB/s: {viewers_result['ratio']}x (target at most 2x); "
        f"{viewers_result['viewers_still_downloading']} of {args.viewers} were still downloading, "
        f"{viewers_result['mb_received']} MB received"
    )
    for error in viewers_result["viewer_errors"]:
        print(f"              viewer error: {error}")
    held = burst_result["resets"] == 0 and burst_result["other_errors"] == 0 and viewers_result["ratio"] <= 2
    print("both targets held" if held else "a target was missed")
    sys.exit(0 if held else 1)


if __name__ == "__main__":
    main()
