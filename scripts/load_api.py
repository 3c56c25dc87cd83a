"""Latency of the JSON API's submit and status under gunicorn, on PostgreSQL + Redis, beside a
bare Django view served by the same server. A load script, not a timed test.

    .venv/bin/python scripts/load_api.py [--requests 500] [--concurrency 8] [--workers 3] [--json]

What it does, start to finish:

1. Recreates its own PostgreSQL database, `mediastudio_load` (never `test` or the app's own), and
   empties Redis db 15 (never db 0). Runs `manage.py migrate`, then makes one JIGGA user with
   100,000 extra images and an API token.
2. Starts gunicorn on a free port with DEBUG=false and BENCH_VIEWS=true (which routes the bare view
   `/bench/bare`, see studio/bench.py) and waits until it answers.
3. Times, with `--concurrency` client threads (one keep-alive `requests.Session` each), after a
   warm-up of `--warmup` requests per endpoint:
     bare    GET  /bench/bare                                  expects 200
     submit  POST /api/v1/media/images/generate (Bearer token, a fresh Idempotency-Key each)
                                                               expects 202
     status  GET  the status_url of the submitted jobs         expects 200
   and prints count, errors, median / p95 / p99 / max in ms (of the expected answers) and
   throughput in requests per second (of all answers, over the phase's wall time).
4. Stops gunicorn (SIGTERM to its master, which waits for its workers), empties Redis db 15 and
   drops the database, also after an error or Ctrl-C.

No qcluster runs: submitted jobs only wait in Redis, so "submit" is the request path (auth,
idempotency record, allowance reservation, job row, enqueue), not the generation.

The figures depend on the machine: the clients run on it too, and compete with gunicorn for the
CPU (the numbers in the issue come from a 2-core machine). Compare the rows with each other rather
than with figures from another machine.

The worker class is `sync` by default, as the README's production command runs it: our request
path is short CPU work between a few local database and Redis round trips, so on a small machine
processes use the cores better than threads under one GIL, and a per-thread circuit breaker lock is
not an issue. Sync workers close the connection after every answer,
so each request pays a (loopback) TCP connect; in production a buffering proxy in front holds the
client's keep-alive. `--worker-class gthread --threads 4` measures the alternative.
"""

from __future__ import annotations

import argparse
import itertools
import json
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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "mediastudio_load"
QUEUE_KEY = "django_q:mediastudio:q"  # django-q2's Redis list for the cluster named in settings

SETUP_CODE = """
from django.contrib.auth import get_user_model
from billing import services
from billing.models import Plan
from studio.models import ApiToken

for n in range(int(__USERS__)):  # "load" first: its token is the first secret
    name = "load" if n == 0 else f"load-{n + 1}"
    user = get_user_model().objects.create_user(name, email=f"{name}@example.com")
    services.change_tier(user, Plan.objects.get(code="JIGGA"), by=None, reason="load test")
    services.grant(user, "images", 100000, by=None, reason="load test")
    print("SECRET=" + ApiToken.issue(user, name="load test")[1])
"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The database, Redis and the server ------------------------------------------------------


def recreate_database(server_url: str) -> str:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return f"{server_url}/{DATABASE_NAME}"


def drop_database(server_url: str) -> None:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


def child_env(database_url: str, redis_url: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mediastudio.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        HTTPS="false",  # gunicorn over plain HTTP on this machine
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BENCH_VIEWS="true",
        MEDIA_ROOT=media_root,
        SQLITE_PATH=str(Path(media_root) / "unused.sqlite3"),  # nothing may fall back to the repo's file
        Q_SYNC="false",  # submit must only enqueue, never run the job inline
        SUBMITS_PER_MINUTE="1000000",  # one user submits hundreds a second: measure the path, not the limit
    )
    return env


def prepare_app(env: dict[str, str], users: int = 1) -> list[str]:
    """Migrate the load database and make `users` JIGGA users, "load" first; returns their API
    tokens' secrets in that order."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
    code = SETUP_CODE.replace("__USERS__", str(users))
    out = subprocess.run(
        [*manage, "shell", "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [line.removeprefix("SECRET=") for line in out.splitlines() if line.startswith("SECRET=")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], args: argparse.Namespace, port: int, log) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "mediastudio.wsgi",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--bind", f"127.0.0.1:{port}",
        "--timeout", "60",
        "--graceful-timeout", "10",
    ]  # fmt: skip
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(server: subprocess.Popen, base: str, log_path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            # A cold worker's first answer may take seconds (imports, the first connections).
            if requests.get(f"{base}/bench/bare", timeout=(2, 30)).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {seconds:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # the master only: it stops its workers gracefully
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)  # of the expected answers only
    count: int = 0
    errors: int = 0
    first_error: str = ""
    wall_seconds: float = 0.0

    def summary(self) -> dict:
        ok = sorted(self.latencies_ms)
        row = {"endpoint": self.name, "count": self.count, "errors": self.errors}
        if len(ok) >= 2:
            cuts = statistics.quantiles(ok, n=100, method="inclusive")
            row |= {
                "median_ms": round(statistics.median(ok), 2),
                "p95_ms": round(cuts[94], 2),
                "p99_ms": round(cuts[98], 2),
                "max_ms": round(ok[-1], 2),
            }
        else:
            row |= dict.fromkeys(("median_ms", "p95_ms", "p99_ms", "max_ms"))
        row["req_per_s"] = round(self.count / self.wall_seconds, 1) if self.wall_seconds else None
        if self.first_error:
            row["first_error"] = self.first_error
        return row


def run_phase(
    name: str,
    total: int,
    concurrency: int,
    send: Callable[[requests.Session, int], requests.Response],
    expect: int,
    on_ok: Callable[[requests.Response], None] | None = None,
) -> Phase:
    """Send `total` requests from `concurrency` threads, each with its own keep-alive session."""
    phase = Phase(name)
    lock = threading.Lock()
    numbers = itertools.count()

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    i = next(numbers)
                if i >= total:
                    return
                started = time.perf_counter()
                try:
                    response = send(session, i)
                except requests.RequestException as e:
                    response, problem = None, f"{type(e).__name__}: {e}"
                elapsed_ms = (time.perf_counter() - started) * 1000
                ok = response is not None and response.status_code == expect
                if response is not None and not ok:
                    problem = f"HTTP {response.status_code}: {response.text[:2000]}"
                if ok and on_ok is not None:
                    on_ok(response)
                with lock:
                    phase.count += 1
                    if ok:
                        phase.latencies_ms.append(elapsed_ms)
                    else:
                        phase.errors += 1
                        phase.first_error = phase.first_error or problem

    threads = [threading.Thread(target=client, name=f"{name}-{n}") for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.wall_seconds = time.perf_counter() - started
    return phase


# wrk (Debian's package) as the load generator when it is installed: a C client costs the server's
# two cores far less than Python threads do, so the figures are the server's, not the client's.
# Its Lua script gives each submit a fresh Idempotency-Key and picks status paths from a list; given
# several users' tokens, each of its two threads takes every other one and sends them in turn, so
# that its connections' requests in flight are mostly different users'. It prints the summary as
# one JSON line.
WRK_SCRIPT = r"""
local paths = {__PATHS__}
local tokens = {__TOKENS__}
local method, body = "__METHOD__", __BODY__
local counter = 0
local mine, turn = {}, 0
function setup(thread) counter = counter + 1; thread:set("number", counter) end
function init(args)
  math.randomseed(os.time() * 1000 + number)
  for i = number, #tokens, 2 do mine[#mine + 1] = tokens[i] end
end
local function hex(n)
  local s = ""
  for _ = 1, n do s = s .. string.format("%x", math.random(0, 15)) end
  return s
end
request = function()
  if #mine > 0 then
    turn = turn % #mine + 1
    wrk.headers["Authorization"] = "Bearer " .. mine[turn]
  end
  if method == "POST" then
    wrk.headers["Idempotency-Key"] = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" ..
      string.format("%x", math.random(8, 11)) .. hex(3) .. "-" .. hex(12)
  end
  return wrk.format(method, paths[math.random(1, #paths)], nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"median_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "count": %d,'
    .. ' "seconds": %f, "errors": %d}\n', latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def wrk_phase(
    name: str,
    base: str,
    paths: list[str],
    *,
    seconds: int,
    concurrency: int,
    headers: dict[str, str],
    body: dict | None = None,
    tokens: tuple[str, ...] = (),
) -> dict:
    """`concurrency` wrk connections for `seconds` against `paths` (a POST of `body` when given),
    as the users of `tokens` in turn when given; the same summary as Phase.summary(). A non-2xx
    answer counts as an error."""
    lua = (
        WRK_SCRIPT.replace("__PATHS__", ", ".join(json.dumps(p) for p in paths))
        .replace("__TOKENS__", ", ".join(json.dumps(t) for t in tokens))
        .replace("__METHOD__", "POST" if body is not None else "GET")
        .replace("__BODY__", json.dumps(json.dumps(body)) if body is not None else "nil")
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        command = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "30s",
                   "-s", script.name]  # fmt: skip
        for key, value in (headers | ({"Content-Type": "application/json"} if body else {})).items():
            command += ["-H", f"{key}: {value}"]
        run = subprocess.run([*command, base], capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(
                f"wrk failed ({run.returncode}) on {name}: {run.stderr.strip() or run.stdout.strip()}"
            )
        out = run.stdout
    found = json.loads(next(line[4:] for line in out.splitlines() if line.startswith("WRK ")))
    return {
        "endpoint": name,
        "count": found["count"],
        "errors": found["errors"],
        "median_ms": found["median_us"] / 1000,
        "p95_ms": found["p95_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "max_ms": found["max_us"] / 1000,
        "req_per_s": round(found["count"] / found["seconds"], 1),
    }


def measure(base: str, secret: str, args: argparse.Namespace) -> list[Phase]:
    bearer = {"Authorization": f"Bearer {secret}"}
    status_urls: list[str] = []
    collect = threading.Lock()

    def bare(session: requests.Session, i: int) -> requests.Response:
        return session.get(f"{base}/bench/bare", timeout=30)

    def submit(session: requests.Session, i: int) -> requests.Response:
        headers = bearer | {"Idempotency-Key": str(uuid.uuid4())}
        body = {"prompt": f"load test {i}"}
        return session.post(f"{base}/api/v1/media/images/generate", json=body, headers=headers, timeout=30)

    def keep_status_url(response: requests.Response) -> None:
        with collect:
            status_urls.append(response.json()["status_url"])

    def status(session: requests.Session, i: int) -> requests.Response:
        return session.get(f"{base}{status_urls[i % len(status_urls)]}", headers=bearer, timeout=30)

    say(f"warm-up: {args.warmup} requests per endpoint")
    warm = [
        run_phase("bare", args.warmup, args.concurrency, bare, 200),
        run_phase("submit", args.warmup, args.concurrency, submit, 202, keep_status_url),
    ]
    if status_urls:
        warm.append(run_phase("status", args.warmup, args.concurrency, status, 200))
    for phase in warm:
        if phase.errors:
            say(f"  warm-up {phase.name}: {phase.errors} errors; first: {phase.first_error}")

    phases = []
    for name, send, expect, on_ok in [
        ("bare", bare, 200, None),
        ("submit", submit, 202, keep_status_url),
        ("status", status, 200, None),
    ]:
        if name == "status" and not status_urls:
            say("status: skipped, no submit succeeded")
            continue
        say(f"{name}: {args.requests} requests, {args.concurrency} clients")
        phases.append(run_phase(name, args.requests, args.concurrency, send, expect, on_ok))
    return phases


def print_table(rows: list[dict]) -> None:
    def cell(value) -> str:
        return "-" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)

    columns = ["endpoint", "count", "errors", "median_ms", "p95_ms", "p99_ms", "max_ms", "req_per_s"]
    titles = ["endpoint", "count", "errors", "median ms", "p95 ms", "p99 ms", "max ms", "req/s"]
    print(f"{titles[0]:<9}" + "".join(f"{t:>11}" for t in titles[1:]))
    for row in rows:
        print(f"{row['endpoint']:<9}" + "".join(f"{cell(row[c]):>11}" for c in columns[1:]))
    for row in rows:
        if row.get("first_error"):
            print(f"\nfirst {row['endpoint']} error: {row['first_error']}")


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per endpoint first")
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432", help="the server, without a database name"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="a Redis db it may empty")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    redis_db = int(urlparse(args.redis).path.lstrip("/") or 0)
    if redis_db == 0:
        sys.exit("--redis must name a database other than 0: the script empties it")
    # Ctrl-C and SIGTERM both end in the finally below, so nothing is left running or behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    cache = redis.Redis.from_url(args.redis)
    cache.flushdb()
    server_url = args.postgres.rstrip("/")
    server = None
    queued = 0
    with tempfile.TemporaryDirectory(prefix="load_api-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        try:
            say(f"database {DATABASE_NAME}: recreating and migrating")
            env = child_env(recreate_database(server_url), args.redis, tmp)
            secret = prepare_app(env)[0]
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with open(log_path, "w") as log:
                server = start_gunicorn(env, args, port, log)
            wait_until_up(server, base, log_path)
            say(f"gunicorn: {args.workers} {args.worker_class} workers on {base}; no qcluster, jobs queue")
            phases = measure(base, secret, args)
            queued = cache.llen(QUEUE_KEY)
        finally:
            if server is not None:
                stop_gunicorn(server)
            cache.flushdb()
            drop_database(server_url)
            say("cleaned up: gunicorn stopped, Redis db emptied, database dropped")

    rows = [phase.summary() for phase in phases]
    setup = {
        "cpus": os.cpu_count(),
        "gunicorn_workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "concurrency": args.concurrency,
        "requests_per_endpoint": args.requests,
        "warmup_per_endpoint": args.warmup,
        "jobs_left_queued": queued,
    }
    if args.json:
        print(json.dumps({"setup": setup, "results": rows}, indent=2))
        return
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    print(
        f"gunicorn {args.workers} {args.worker_class} workers{threads}, {args.concurrency} clients, "
        f"{os.cpu_count()} CPUs, PostgreSQL + Redis, DEBUG=false"
    )
    print(f"no qcluster: {queued} submitted jobs waited in Redis and were discarded\n")
    print_table(rows)


if __name__ == "__main__":
    main()
