"""Speed near the floor (issue 17): the API's submit and status beside the same SQL and Redis work
done raw, the bare view, and post-processing, on PostgreSQL + Redis. A benchmark, not a test.

    .venv/bin/python scripts/bench.py [--rounds 3] [--requests 400] [--concurrency 16] [--json]

In one run:

1. Its own database (`mediastudio_bench`, created and dropped; never `test` or the app's) and a
   Redis database it names (`--redis`, db 14 by default, never 0). It refuses a Redis db that
   already holds the job queue, and at the end deletes only the keys it created: it never
   flushes anything. `manage.py migrate`, one JIGGA user with 100,000 extra images, an API token.
2. In-process, in a Django process on that database (`manage.py shell`), after a warm-up:
   submit (`POST /api/v1/media/images/generate`, bearer token, an Idempotency-Key), status
   (`GET` its status_url) and the bare view (the framework's own cost per request), each
   through Django's WSGI handler called as gunicorn calls it (the whole middleware stack and the
   request signals, without the HTTP parsing); the SQL statements of one of each (BEGIN and
   COMMIT counted), the Redis round trips and new Redis connections.
3. The floor, in the same process, without Django: the same statements with psycopg (BEGIN, the
   key's claim, the plan with the subscription locked, the allowance UPDATE with the rate limit,
   the reservation and job INSERTs, the stored answer, COMMIT) and the same Redis commands with
   redis-py (the breaker's MGET, the queue's RPUSH) on kept connections; status is its one SELECT
   outside a transaction (as Django runs it) and a JSON answer. `--inproc-rounds` rounds, each a
   block of `--inproc` submits through Django and one of the floor's, then blocks of polls, the
   floor's polls and bare requests, the blocks' order turned by one each round (so that what
   follows a burst of commits falls on each in turn): each figure is
   the median over the rounds of each round's median, each ratio to the floor the median of the
   rounds' ratios. Then post-processing: watermark + thumbnail + store of a photo-like 1024²
   JPEG (what Pollinations, FREE's provider, sends; the preview is a JPEG unless WebP is asked) and,
   for comparison, as a PNG from a PNG (the paid plans' default type); the thumbnail of a 4096²
   upscale (from its parent, and, for comparison, by decoding the file as before).
4. gunicorn (`--workers` sync workers, DEBUG off, as scripts/load_api.py starts it): `--rounds`
   rounds, each running bare, submit and status in turn (interleaved, so a slow minute hurts all
   three alike), `--requests` requests each from `--concurrency` clients after a warm-up (with
   wrk, `--seconds` each, the submits sent as `--users` users in turn: one user's submits are
   taken one at a time under that user's lock, by design, so one user alone measures the lock,
   not the server); the
   median over the rounds of each round's median latency and throughput. The first request
   gets 60 s (a cold worker), the others 30 s.
5. A fresh qcluster with one worker, Vertex replaced by a local stub that notes each request's
   arrival: three submits one after another, each timed from sending it to its provider call
   (the first is the fresh worker's first job; studio/worker.py warms workers at start).
6. The production server (gunicorn with uvicorn workers, mediastudio/gunicorn_conf.py): the bare
   view's median alone, then while 10 clients each read a 24 MB video slowly (64 KB every 100 ms).

Everything it started is stopped, and its database dropped, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import redis
import requests
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_api  # noqa: E402  (its server and client helpers: one copy of each)

ROOT = load_api.ROOT
DATABASE_NAME = "mediastudio_bench"
QUEUE_KEY = load_api.QUEUE_KEY

INPROC_CODE = r"""
import io, json, os, statistics, sys, time, uuid
import redis.connection
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext

N, ROUNDS = int(__N__), int(__ROUNDS__)
redis_sends = [0]; redis_connects = [0]
_send = redis.connection.AbstractConnection.send_packed_command
_connect = redis.connection.AbstractConnection.connect
def send(self, *a, **k):
    redis_sends[0] += 1
    return _send(self, *a, **k)
def connect(self, *a, **k):
    if self._sock is None:
        redis_connects[0] += 1
    return _connect(self, *a, **k)
redis.connection.AbstractConnection.send_packed_command = send
redis.connection.AbstractConnection.connect = connect
# Django's WSGI handler, called as gunicorn calls it (middleware, routing, the view, the answer,
# the request_started and request_finished signals), minus the HTTP parsing and the socket.
application = WSGIHandler()
AUTH = "Bearer __SECRET__"
def wsgi(method, path, body=b"", **headers):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
               "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
               "wsgi.run_once": False, "wsgi.version": (1, 0), "CONTENT_LENGTH": str(len(body)), **headers}
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    answer = {}
    chunks = application(environ, lambda status, headers, exc_info=None: answer.setdefault("status", status))
    content = b"".join(chunks)
    chunks.close()
    return int(answer["status"][:3]), content
def submit(i):
    body = json.dumps({"prompt": f"in-process {i}"}).encode()
    code, content = wsgi("POST", "/api/v1/media/images/generate", body,
                         HTTP_AUTHORIZATION=AUTH, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert code == 202, content
    return json.loads(content)["status_url"]
def status(url):
    code, content = wsgi("GET", url, HTTP_AUTHORIZATION=AUTH)
    assert code == 200, content
def bare(_):
    code, content = wsgi("GET", "/bench/bare")
    assert code == 200, content
statements = {}
def counted(fn, *a):
    # Django (4.2+) logs BEGIN and COMMIT among the captured queries, as psycopg sends them.
    redis_sends[0] = redis_connects[0] = 0
    with CaptureQueriesContext(connection) as q:
        value = fn(*a)
    statements[fn.__name__] = [x["sql"][:60] for x in q.captured_queries]
    return value, len(q.captured_queries), redis_sends[0], redis_connects[0]
def medians_ms(calls, n, turn):
    # Each in a block of n (request after request of one kind, as a busy server runs them), the
    # blocks' order turned by one each round, so that whatever runs after another (a burst of
    # commits being written out) falls on each in turn.
    order = list(range(len(calls)))
    order = order[turn % len(order):] + order[:turn % len(order)]
    medians = [0.0] * len(calls)
    for k in order:
        fn, arg = calls[k]
        times = []
        for i in range(n):
            t = time.perf_counter(); fn(arg(i)); times.append((time.perf_counter() - t) * 1000)
        medians[k] = statistics.median(times)
    return medians

urls = [submit(i) for i in range(50)]  # warm: code paths, connections, caches
for u in urls[:50]: status(u)
# Counted right after a request, so the brief token and price caches hold as they do under load.
status(submit("refresh"))
url, submit_sql, submit_redis, submit_connects = counted(submit, "counted")
_, status_sql, status_redis, status_connects = counted(status, url)

# The floor (scripts/bench.py's Floor) in this same process, in rounds beside Django's (the order
# turning each round); each figure is the median over the rounds of each round's median, each
# ratio the median of the rounds' ratios.
sys.path.insert(0, "__SCRIPTS__")
from bench import Floor
floor = Floor(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
for i in range(30): floor.submit(i)
rounds = []
for r in range(ROUNDS):
    base = 100 + r * N
    row = dict(zip(("submit_ms", "floor_submit_ms"),
                   medians_ms([(submit, lambda i: base + i), (floor.submit, lambda i: base + i)], N, r)))
    row |= dict(zip(("status_ms", "floor_status_ms", "bare_ms"),
                    medians_ms([(status, lambda i: urls[i % len(urls)]), (floor.status, lambda i: i),
                                (bare, lambda i: i)], N, r)))
    rounds.append(row)
floor.close()
def over_rounds(key):
    return statistics.median(row[key] for row in rounds)
out = {
    "submit_ms": over_rounds("submit_ms"), "status_ms": over_rounds("status_ms"),
    "floor_submit_ms": over_rounds("floor_submit_ms"), "floor_status_ms": over_rounds("floor_status_ms"),
    "submit_ratio": statistics.median(row["submit_ms"] / row["floor_submit_ms"] for row in rounds),
    "status_ratio": statistics.median(row["status_ms"] / row["floor_status_ms"] for row in rounds),
    # The framework's fixed cost of any request, with no SQL and no Redis: the middleware stack,
    # URL routing and a JSON answer (studio/bench.py's bare view).
    "bare_ms": over_rounds("bare_ms"),
    "rounds": rounds,
    "submit_sql": submit_sql, "submit_redis": submit_redis, "submit_redis_connects": submit_connects,
    "status_sql": status_sql, "status_redis": status_redis, "status_redis_connects": status_connects,
    "statements": statements,
}

# Post-processing.
from PIL import Image, ImageFilter
from studio import assets
from studio.models import MediaAsset
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username="load")
def photo(side):
    # Photo-like: smooth noise (what a camera or a model makes), not flat colour a PNG squeezes.
    small = Image.effect_noise((side // 8, side // 8), 64).convert("RGB")
    image = small.resize((side, side), Image.BICUBIC).filter(ImageFilter.GaussianBlur(1))
    grain = Image.effect_noise((side, side), 12).convert("RGB")
    image = Image.blend(image, grain, 0.15)
    buf = io.BytesIO(); image.save(buf, format="PNG"); return buf.getvalue()
def timed(fn, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
p1024 = photo(1024)
out["photo_1024_png_bytes"] = len(p1024)
out["free_preview_1024_ms"] = timed(lambda: assets.store_output(owner=user, data=p1024, mime_type="image/png",
    watermark=True, synthid=False, source_job=None, parent=None))
_jpeg = io.BytesIO(); Image.open(io.BytesIO(p1024)).save(_jpeg, format="JPEG", quality=90)
j1024 = _jpeg.getvalue()  # what Pollinations, FREE's provider, sends
out["free_preview_1024_jpeg_ms"] = timed(lambda: assets.store_output(owner=user, data=j1024,
    mime_type="image/jpeg", watermark=True, synthid=False, source_job=None, parent=None))
def before():  # the old path, for comparison: RGBA mark, PNG level 6, then a second decode for the thumbnail
    image = Image.open(io.BytesIO(p1024)).convert("RGBA")
    buf = io.BytesIO(); image.save(buf, format="PNG"); marked = buf.getvalue()
    assets.create_image_asset(owner=user, data=marked, mime_type="image/png", watermarked=True)
out["free_preview_1024_before_ms"] = timed(before)
parent = assets.create_image_asset(owner=user, data=p1024, mime_type="image/png")
p4096 = photo(4096)
out["upscale_4096_png_bytes"] = len(p4096)
def store_upscale():
    assets.store_output(owner=user, data=p4096, mime_type="image/png", watermark=False, synthid=True,
                        source_job=None, parent=parent, like_parent=True)
out["upscale_4096_store_ms"] = timed(store_upscale, runs=3)
out["upscale_4096_thumbnail_ms"] = timed(lambda: assets.read_bytes(parent.thumbnail), runs=3)
out["upscale_4096_thumbnail_decoded_ms"] = timed(lambda: assets.thumbnail(p4096), runs=3)

# A 24 MB "video" for the slow-download measure (the bytes are not decoded, only streamed).
import os as _os
from django.core.files.base import ContentFile
from studio.serving import media_url
video = MediaAsset(owner=user, kind=MediaAsset.Kind.VIDEO, mime_type="video/mp4", bytes=24 << 20,
                   sha256="0" * 64, width=1280, height=720, duration_seconds=8.0)
video.file.save("video.mp4", ContentFile(_os.urandom(24 << 20)), save=False)
video.save()
out["video_url"] = media_url(video)
print("RESULT=" + json.dumps(out))
"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The floor: the same SQL and Redis work without Django ------------------------------------


class Floor:
    """psycopg and redis-py doing what an accepted submit and a status poll do, on kept connections."""

    def __init__(self, database_url: str, redis_url: str):
        self.db = psycopg.connect(database_url)
        # Reads outside a transaction, as Django runs them (autocommit): status's one round trip.
        self.reader = psycopg.connect(database_url, autocommit=True)
        self.redis = redis.Redis.from_url(redis_url)
        row = self.db.execute("SELECT user_id FROM studio_apitoken ORDER BY id LIMIT 1").fetchone()  # "load"
        assert row is not None
        self.user_id = row[0]
        columns = self.db.execute(
            "SELECT * FROM studio_mediajob WHERE owner_id = %s LIMIT 1", (self.user_id,)
        )
        self.job_columns = [c.name for c in columns.description or []]
        template = columns.fetchone()
        assert template is not None, "run the in-process phase first: the floor copies one of its jobs"
        self.template = dict(zip(self.job_columns, template, strict=True))
        self.period_start = self.db.execute(
            "SELECT period_start FROM billing_allowance WHERE user_id = %s AND meter = 'images'",
            (self.user_id,),
        ).fetchone()[0]
        self.db.commit()
        self.job_ids: list[uuid.UUID] = []

    def submit(self, i: int) -> None:
        now = datetime.now(UTC)
        job_id = uuid.uuid4()
        key = uuid.uuid4()
        cur = self.db.cursor()
        # psycopg opens the transaction with the first statement: BEGIN.
        cur.execute(
            "INSERT INTO studio_idempotencyrecord (user_id, key, fingerprint, state, response_status,"
            " response_body, locked_until, created_at, expires_at) VALUES (%s, %s, %s, 'in_progress', NULL,"
            " '', %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            (self.user_id, key, "f" * 64, now + timedelta(seconds=60), now, now + timedelta(hours=1)),
        )
        assert cur.fetchone() is not None
        cur.execute(
            "SELECT s.id, s.plan_id, s.change_at, p.code, p.watermark_output, pa.meter, pa.units, pa.period"
            " FROM billing_subscription s JOIN billing_plan p ON p.id = s.plan_id"
            " LEFT JOIN billing_planallowance pa ON pa.plan_id = p.id WHERE s.user_id = %s"
            " FOR UPDATE OF s",
            (self.user_id,),
        )
        cur.fetchall()
        self.redis.mget([f"bench-floor:breaker:{k}" for k in ("state", "fail_counter", "opened_at", "trial")])
        cur.execute(
            "UPDATE billing_allowance SET reserved = reserved + 1 WHERE user_id = %s AND meter = %s"
            ' AND period_start = %s AND "limit" >= used + reserved + 1 AND NOT EXISTS (SELECT 1 FROM'
            " studio_mediajob WHERE owner_id = %s AND created_at >= %s LIMIT 1 OFFSET 999999)",
            (self.user_id, "images", self.period_start, self.user_id, now - timedelta(minutes=1)),
        )
        assert cur.rowcount == 1
        cur.execute(
            "INSERT INTO billing_reservation (reference, user_id, allowance_id, meter, units, used_units,"
            " state, release_reason, created_at, settled_at) VALUES (%s, %s, (SELECT id FROM"
            " billing_allowance WHERE user_id = %s AND meter = %s AND period_start = %s), %s, 1, NULL,"
            " 'reserved', '', %s, NULL) ON CONFLICT (reference) DO NOTHING RETURNING id",
            (f"job:{job_id}", self.user_id, self.user_id, "images", self.period_start, "images", now),
        )
        assert cur.fetchone() is not None
        values = dict(self.template, id=job_id, created_at=now, reservation_reference=f"job:{job_id}")
        values["params"] = Jsonb({"prompt": f"floor {i}", "count": 1})
        for name, value in values.items():
            if isinstance(value, dict | list):
                values[name] = Jsonb(value)
        cur.execute(
            f"INSERT INTO studio_mediajob ({', '.join(self.job_columns)}) VALUES"
            f" ({', '.join(['%s'] * len(self.job_columns))})",
            [values[c] for c in self.job_columns],
        )
        body = json.dumps({"job_id": str(job_id), "state": "queued", "status_url": f"/x/{job_id}/status"})
        cur.execute(
            "UPDATE studio_idempotencyrecord SET state = 'completed', response_status = 202,"
            " response_body = %s WHERE user_id = %s AND key = %s",
            (body, self.user_id, key),
        )
        self.db.commit()
        self.redis.rpush("bench-floor:q", body)
        self.job_ids.append(job_id)

    def status(self, i: int) -> None:
        job_id = self.job_ids[i % len(self.job_ids)]
        row = self.reader.execute(
            "SELECT id, operation, state, model, created_at, started_at, finished_at, error_code,"
            " error_message, quote_zar_cents, quote_usd_micros, cost_zar_cents, cost_usd_micros"
            " FROM studio_mediajob WHERE owner_id = %s AND id = %s AND operation IN (%s, %s, %s)",
            (self.user_id, job_id, "generate_image", "edit_image", "upscale_image"),
        ).fetchone()
        assert row is not None
        json.dumps({"job_id": str(row[0]), "state": row[2], "created_at": row[4].isoformat()})

    def close(self) -> None:
        self.db.close()
        self.reader.close()
        self.redis.close()


def bare_during_downloads(base: str, video_url: str, downloads: int = 10, samples: int = 60) -> dict:
    """The bare view's median alone, then while `downloads` slow clients each read a video at
    about 640 KB/s (64 KB every 100 ms), on the production server (uvicorn workers)."""
    import threading

    def bare_median() -> float:
        times = []
        with requests.Session() as session:
            for _ in range(samples):
                started = time.perf_counter()
                session.get(f"{base}/bench/bare", timeout=30).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
                time.sleep(0.02)
        return statistics.median(times)

    alone = bare_median()
    stop = threading.Event()

    def slow_viewer() -> None:
        with requests.get(f"{base}{video_url}", stream=True, timeout=60) as response:
            response.raise_for_status()
            for _ in response.iter_content(64 * 1024):
                if stop.wait(0.1):
                    return

    viewers = [threading.Thread(target=slow_viewer) for _ in range(downloads)]
    for viewer in viewers:
        viewer.start()
    time.sleep(1.0)  # every download under way
    try:
        during = bare_median()
    finally:
        stop.set()
        for viewer in viewers:
            viewer.join()
    return {"alone_ms": alone, "during_ms": during, "downloads": downloads}


class ProviderStub:
    """A local stand-in for Vertex that only notes when each request arrives (and refuses it):
    the first job's time from enqueue to provider, without Google."""

    def __init__(self) -> None:
        import http.server
        import threading

        arrivals = self.arrivals = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                arrivals.append(time.time())
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b'{"error": {"code": 400, "message": "bench stub", "status": "INVALID_ARGUMENT"}}'
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def first_jobs(env: dict, base: str, secret: str, cache: redis.Redis, jobs: int = 3) -> list[float]:
    """A fresh qcluster (one worker); then `jobs` submits one after another, each timed from the
    moment it is sent (it is enqueued on commit) to its provider call arriving at the stub: the
    first is the fresh worker's first job."""
    stub = ProviderStub()
    cluster_env = dict(env, VERTEX_BASE_URL=stub.url, VERTEX_PROJECT="bench", Q_WORKERS="1")
    cache.delete(QUEUE_KEY)  # the earlier phases' jobs (this run made the queue)
    log = tempfile.TemporaryFile()
    cluster = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        env=cluster_env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    try:
        time.sleep(8)  # the cluster forks its worker, which warms up (studio/worker.py warm)
        headers = {"Authorization": f"Bearer {secret}"}
        waits = []
        for n in range(jobs):
            seen = len(stub.arrivals)
            headers["Idempotency-Key"] = str(uuid.uuid4())
            body = {"prompt": f"first job {n}"}
            response = requests.post(
                f"{base}/api/v1/media/images/generate", json=body, headers=headers, timeout=60
            )
            accepted = time.time()
            response.raise_for_status()
            deadline = time.monotonic() + 30
            while len(stub.arrivals) == seen and time.monotonic() < deadline:
                time.sleep(0.002)
            waits.append(
                (stub.arrivals[seen] - accepted) * 1000 if len(stub.arrivals) > seen else float("nan")
            )
            time.sleep(1)
        return waits
    finally:
        load_api.stop_gunicorn(cluster)  # SIGTERM to the main process, as for gunicorn's master
        stub.close()


def http_rounds(base: str, secrets: list[str], args: argparse.Namespace) -> list[list[dict]]:
    """`--rounds` rounds of bare, submit and status in turn, by Python threads (as the first user)
    or by wrk (submits as every user in turn, status as the first)."""
    secret = secrets[0]
    rounds = []
    if args.client == "python":
        for number in range(args.rounds):
            say(f"round {number + 1}")
            args_round = argparse.Namespace(**vars(args))
            args_round.warmup = args.warmup if number == 0 else 0
            rounds.append([phase.summary() for phase in load_api.measure(base, secret, args_round)])
        return rounds
    bearer = {"Authorization": f"Bearer {secret}"}
    status_paths = []
    for n in range(max(args.warmup, 20)):  # warm-up, and jobs whose status to poll
        answer = requests.post(
            f"{base}/api/v1/media/images/generate",
            json={"prompt": f"warm-up {n}"},
            headers=bearer | {"Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        answer.raise_for_status()
        status_paths.append(answer.json()["status_url"])
    wrk = functools.partial(load_api.wrk_phase, base=base, seconds=args.seconds, concurrency=args.concurrency)
    for number in range(args.rounds):
        say(f"round {number + 1}: bare, submit, status, {args.seconds} s each")
        rounds.append([
            wrk("bare", paths=["/bench/bare"], headers={}),
            wrk("submit", paths=["/api/v1/media/images/generate"], headers={}, body={"prompt": "wrk"},
                tokens=tuple(secrets)),
            wrk("status", paths=status_paths, headers=bearer),
        ])  # fmt: skip
    return rounds


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of bare, submit, status")
    parser.add_argument("--requests", type=int, default=400, help="timed HTTP requests per path and round")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--warmup", type=int, default=50, help="untimed HTTP requests per path first")
    parser.add_argument("--inproc", type=int, default=100, help="in-process requests per path and round")
    parser.add_argument(
        "--users",
        type=int,
        default=16,
        help="users whose submits wrk sends in turn (one user's submits are taken one at a time, by design)",
    )
    parser.add_argument(
        "--inproc-rounds", type=int, default=6, help="in-process rounds (the blocks turn each round)"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="a Redis db it names (not 0)")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="the HTTP load generator: wrk (Debian's package; the default when installed) or Python threads",
    )
    parser.add_argument(
        "--seconds",
        type=int,
        default=5,
        help="wrk: whole seconds per path and round (wrk reads no fractions)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.worker_class, args.threads = "sync", 1

    if int(urlparse(args.redis).path.lstrip("/") or 0) == 0:
        sys.exit("--redis must name a database other than 0")
    cache = redis.Redis.from_url(args.redis)
    if cache.exists(QUEUE_KEY):
        sys.exit(f"{args.redis} already holds {QUEUE_KEY}: name another Redis db (--redis)")
    before = set(cache.scan_iter(count=1000))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server_url = args.postgres.rstrip("/")
    load_api.DATABASE_NAME = DATABASE_NAME  # its helpers create and drop this one
    server = None
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        try:
            say(f"database {DATABASE_NAME}: creating and migrating")
            database_url = load_api.recreate_database(server_url)
            env = load_api.child_env(database_url, args.redis, tmp)
            env["BREAKER_NAMESPACE"] = f"bench-{uuid.uuid4().hex[:8]}"
            secrets = load_api.prepare_app(env, users=args.users)
            secret = secrets[0]  # the in-process phase's, the floor's and status's user

            say(
                f"in-process: {args.inproc_rounds} rounds of {args.inproc} submits, polls and bare requests,"
                " each beside the floor's; counts; post-processing"
            )
            code = (
                INPROC_CODE.replace("__N__", str(args.inproc))
                .replace("__ROUNDS__", str(args.inproc_rounds))
                .replace("__SECRET__", secret)
                .replace("__SCRIPTS__", str(Path(__file__).resolve().parent))
            )
            out = subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
                env=env, cwd=ROOT, check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            result["in_process"] = json.loads(
                next(line[7:] for line in out.splitlines() if line.startswith("RESULT="))
            )
            # What the floor does (Floor): BEGIN, six statements, COMMIT and two Redis commands for
            # a submit; one SELECT (autocommit) for a status.
            result["floor"] = {"submit_sql": 8, "submit_redis": 2, "status_sql": 1, "status_redis": 0}

            port = load_api.free_port()
            base = f"http://127.0.0.1:{port}"
            with open(log_path, "w") as log:
                server = load_api.start_gunicorn(env, args, port, log)
            load_api.wait_until_up(server, base, log_path, seconds=60)
            requests.get(f"{base}/bench/bare", timeout=60)  # a slow first answer is waited for
            say(f"gunicorn: {args.workers} sync workers; {args.rounds} interleaved rounds ({args.client})")
            rounds = http_rounds(base, secrets, args)
            say("first jobs in a fresh queue worker (a local stub stands in for Vertex)")
            result["first_jobs_ms"] = first_jobs(env, base, secret, cache)
            load_api.stop_gunicorn(server)
            server = None
            say("bare requests alone and during 10 slow video downloads (the production server)")
            prod_port = load_api.free_port()
            prod_base = f"http://127.0.0.1:{prod_port}"
            with open(log_path, "a") as log:
                server = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "python:mediastudio.gunicorn_conf",
                     "--bind", f"127.0.0.1:{prod_port}", "mediastudio.asgi:application"],
                    env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            load_api.wait_until_up(server, prod_base, log_path, seconds=60)
            result["downloads"] = bare_during_downloads(prod_base, result["in_process"]["video_url"])
            result["http"] = {
                name: {
                    "median_ms": statistics.median(r[i]["median_ms"] for r in rounds),
                    "p95_ms": statistics.median(r[i]["p95_ms"] for r in rounds),
                    "req_per_s": statistics.median(r[i]["req_per_s"] for r in rounds),
                    "errors": sum(r[i]["errors"] for r in rounds),
                }
                for i, name in enumerate(("bare", "submit", "status"))
            }
        finally:
            if server is not None:
                load_api.stop_gunicorn(server)
            created = [key for key in cache.scan_iter(count=1000) if key not in before]
            if created:
                cache.delete(*created)
            load_api.drop_database(server_url)
            say(f"cleaned up: gunicorn stopped, {len(created)} Redis keys it made deleted, database dropped")

    result["setup"] = {"cpus": os.cpu_count(), "workers": args.workers, "concurrency": args.concurrency,
                       "client": args.client, "rounds": args.rounds, "requests": args.requests,
                       "users": args.users if args.client == "wrk" else 1}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
        return
    report(result)


def report(result: dict) -> None:
    inproc, floor, http, setup = result["in_process"], result["floor"], result["http"], result["setup"]
    print(f"{setup['cpus']} CPUs, PostgreSQL + Redis, DEBUG off\n")
    print(
        f"in-process (Django's WSGI handler) against its floor (psycopg + redis-py, no Django), interleaved,"
        f" median of {len(inproc['rounds'])} rounds:"
    )
    titles = ("ms", "floor ms", "ratio", "SQL", "floor SQL", "Redis", "floor Redis", "new conn")
    print(f"{'path':<8}" + "".join(f"{t:>12}" for t in titles))
    for path in ("submit", "status"):
        ms, fl = inproc[f"{path}_ms"], inproc[f"floor_{path}_ms"]
        cells = (
            f"{ms:.2f}",
            f"{fl:.2f}",
            f"{inproc[f'{path}_ratio']:.2f}x",
            inproc[f"{path}_sql"],
            floor[f"{path}_sql"],
            inproc[f"{path}_redis"],
            floor[f"{path}_redis"],
            inproc[f"{path}_redis_connects"],
        )
        print(f"{path:<8}" + "".join(f"{c:>12}" for c in cells))
    for path, said in inproc["statements"].items():
        print(f"  {path}: " + " | ".join(q.split(" (")[0].replace('"', "") for q in said))
    bare = inproc["bare_ms"]
    print(
        f"  the bare view in-process (no SQL, no Redis: the framework's own cost per request):"
        f" {bare:.2f} ms, {bare / inproc['floor_status_ms']:.2f}x the status floor;"
        f" status beyond it: {inproc['status_ms'] - bare:.2f} ms"
    )
    rounds = setup["rounds"]
    print(
        f"\nHTTP, gunicorn {setup['workers']} sync workers, {setup['concurrency']} clients, {rounds} rounds"
        f" ({setup['client']}; submits from {setup['users']} users in turn, polls by one):"
    )
    print(f"{'path':<8}{'median ms':>11}{'p95 ms':>9}{'req/s':>9}{'errors':>8}")
    for path, row in http.items():
        print(
            f"{path:<8}{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}{row['req_per_s']:>9.0f}{row['errors']:>8}"
        )
    first = ", ".join(f"{ms:.0f}" for ms in result["first_jobs_ms"])
    print(f"\nfresh queue worker, enqueue → provider, jobs one after another: {first} ms")
    d = result["downloads"]
    print(
        f"bare request (production server, uvicorn workers): {d['alone_ms']:.1f} ms alone,"
        f" {d['during_ms']:.1f} ms during {d['downloads']} slow video downloads"
        f" ({d['during_ms'] / d['alone_ms']:.2f}x)"
    )
    print("\npost-processing (in-process, median):")
    kb = inproc["photo_1024_png_bytes"] // 1024
    now, old = inproc["free_preview_1024_ms"], inproc["free_preview_1024_before_ms"]
    print(
        f"  FREE preview, photo-like 1024²: watermark + thumbnail + store as JPEG, as FREE makes it"
        f" from Pollinations' JPEG: {inproc['free_preview_1024_jpeg_ms']:.0f} ms; as PNG from a PNG"
        f" ({kb} KB) {now:.0f} ms (the old path: {old:.0f} ms)"
    )
    kb = inproc["upscale_4096_png_bytes"] // 1024
    print(
        f"  4096² upscale ({kb} KB): thumbnail {inproc['upscale_4096_thumbnail_ms']:.2f} ms from the parent"
        f" (decoding the file: {inproc['upscale_4096_thumbnail_decoded_ms']:.0f} ms);"
        f" stored with it in {inproc['upscale_4096_store_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
