"""An open circuit breaker closes again, shown through the API on gunicorn + PostgreSQL + Redis
with a real qcluster and the emulator (issue 11.1). A demonstration that prints what happens, not
a timed test (studio/tests/test_breaker_recovery.py is the test).

    .venv/bin/python scripts/breaker_recovery.py --database h1 --redis redis://127.0.0.1:6379/1 \\
        --port 8100 --emulator-port 8101 --gcs-port 8102 [--reset 5]

1. Recreates the PostgreSQL database `--database` and empties the Redis db `--redis` (never db 0);
   starts the emulator, migrates, makes a JIGGA user with an API token, and starts gunicorn
   (DEBUG=false) and a qcluster with the breakers' reset timeout shortened to `--reset` seconds.
2. Image: the emulator answers 500 to every Imagen call; five accepted jobs fail every attempt, so
   the breaker opens. Google is healthy again: a submit is refused (503, Retry-After). After the
   reset timeout a submit is accepted as the breaker's trial, succeeds, and the breaker is closed.
3. Veo, with no video in flight: three submits answered 503 open the Veo breaker; after the reset
   timeout a submit is the trial, the video is delivered, the breaker is closed.
4. A failed trial: the image breaker is tripped again, the trial after the reset timeout fails,
   and the breaker is open again (the next submit is refused).
5. Stops the qcluster (SIGTERM to its main PID), gunicorn and the emulator, drops the database and
   empties the Redis db, also after an error.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMAGE_MODEL = "gemini-3.1-flash-image"  # the default image model (studio/providers/catalog.py)
VEO = "veo-3.1-generate-001"
SETUP_CODE = """
from django.contrib.auth import get_user_model
from billing import services
from billing.models import Plan
from studio.models import ApiToken

user = get_user_model().objects.create_user("breaker", email="breaker@example.com")
services.change_tier(user, Plan.objects.get(code="JIGGA"), by=None, reason="breaker demo")
services.grant(user, "images", 1000, by=None, reason="breaker demo")
print("SECRET=" + ApiToken.issue(user, name="breaker demo")[1])
"""


def say(message: str) -> None:
    print(message, flush=True)


class Demo:
    def __init__(self, args: argparse.Namespace, emulator, namespace: str) -> None:
        self.args = args
        self.emulator = emulator
        self.namespace = namespace
        self.base = f"http://127.0.0.1:{args.port}"
        self.redis = redis.Redis.from_url(args.redis)
        self.session = requests.Session()

    def submit(self, path: str, body: dict) -> requests.Response:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return self.session.post(f"{self.base}/api/v1/media{path}", json=body, headers=headers, timeout=30)

    def image(self) -> requests.Response:
        return self.submit("/images/generate", {"prompt": "a quiver tree at noon"})

    def video(self) -> requests.Response:
        return self.submit("/videos/generate", {"prompt": "a dhow at sea", "duration_seconds": 4})

    def wait(self, response: requests.Response, seconds: float = 120) -> dict:
        status_url = response.json()["status_url"]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status = self.session.get(f"{self.base}{status_url}", timeout=30).json()
            if status["state"] in ("succeeded", "failed", "cancelled"):
                return status
            time.sleep(0.3)
        raise SystemExit(f"job still {status['state']} after {seconds:.0f} s")

    def breaker(self, model: str) -> str:
        prefix = f"{self.namespace}:breaker:{model}:pybreaker"
        keys = [f"{prefix}:{name}" for name in ("state", "fail_counter", "trial")]
        state, failures, trial = self.redis.mget(keys)
        state = (state or b"closed").decode()
        return f"{state}{' (trial claimed)' if trial else ''}, {int(failures or 0)} failed calls in a row"

    def calls(self, marker: str) -> int:
        return sum(1 for r in self.emulator.requests() if r["path"].endswith(marker))

    def trip(self, label: str, model: str, submit, fail_max: int, fault: str, match: dict) -> None:
        self.emulator.inject(fault, times=-1, match=match)
        for n in range(1, fail_max + 1):
            accepted = submit()
            status = self.wait(accepted)
            say(f"  {label} job {n}: {accepted.status_code} accepted, then {status['state']} "
                f"({(status.get('error') or {}).get('code')}); breaker: {self.breaker(model)}")  # fmt: skip
        self.emulator.reset()
        say("  the emulator is healthy again")

    def refused(self, label: str, submit, model: str) -> int:
        response = submit()
        body = response.json()
        say(f"  {label} submit: {response.status_code} {body['error']['code']}, Retry-After "
            f"{response.headers.get('Retry-After')} s: {body['error']['message']!r}")  # fmt: skip
        assert response.status_code == 503, response.text
        return int(response.headers["Retry-After"])

    def recover(self, label: str, submit, model: str, marker: str) -> dict:
        before = self.calls(marker)
        accepted = submit()
        say(f"  {label} submit after the reset timeout: {accepted.status_code} (the breaker's trial); "
            f"breaker now: {self.breaker(model)}")  # fmt: skip
        assert accepted.status_code == 202, accepted.text
        status = self.wait(accepted)
        code = (status.get("error") or {}).get("code") or ""
        say(f"  {label} trial job: {status['state']} {code}; calls to Google for it: "
            f"{self.calls(marker) - before}; breaker: {self.breaker(model)}")  # fmt: skip
        return status

    def run(self) -> None:
        say(f"\n1. Image breaker ({IMAGE_MODEL}): five jobs whose every attempt gets a 500")
        self.trip("image", IMAGE_MODEL, self.image, 5, "500", {"model": IMAGE_MODEL})
        wait_for = self.refused("image", self.image, IMAGE_MODEL)
        say(f"  waiting {wait_for} s (Retry-After)")
        time.sleep(wait_for)
        status = self.recover("image", self.image, IMAGE_MODEL, ":generateContent")
        assert status["state"] == "succeeded" and self.breaker(IMAGE_MODEL).startswith("closed")
        say(f"  a further submit: {self.image().status_code}")

        say(f"\n2. Veo breaker ({VEO}), no video in flight: three submits answered 503")
        self.trip("video", VEO, self.video, 3, "503", {"path_contains": "predictLongRunning"})
        polls = self.calls(":fetchPredictOperation")
        wait_for = self.refused("video", self.video, VEO)
        say(f"  waiting {wait_for} s (Retry-After); polls so far: {polls}")
        time.sleep(wait_for)
        status = self.recover("video", self.video, VEO, ":predictLongRunning")
        assert status["state"] == "succeeded" and self.breaker(VEO).startswith("closed")

        say("\n3. A failed trial re-opens the image breaker")
        self.trip("image", IMAGE_MODEL, self.image, 5, "500", {"model": IMAGE_MODEL})
        time.sleep(self.args.reset + 0.5)
        self.emulator.inject("500", times=-1, match={"model": IMAGE_MODEL})
        status = self.recover("image", self.image, IMAGE_MODEL, ":generateContent")
        assert status["state"] == "failed" and self.breaker(IMAGE_MODEL).startswith("open")
        self.refused("image", self.image, IMAGE_MODEL)
        self.emulator.reset()
        say("\nAll three held.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="breaker_recovery", help="a database it may recreate")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="no database name")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="a Redis db it may empty")
    parser.add_argument("--port", type=int, default=8100, help="gunicorn")
    parser.add_argument("--emulator-port", type=int, default=8101)
    parser.add_argument("--gcs-port", type=int, default=8102)
    parser.add_argument("--reset", type=float, default=5.0, help="the breakers' reset timeout, seconds")
    args = parser.parse_args()
    if int(urlparse(args.redis).path.lstrip("/") or 0) == 0:
        raise SystemExit("refusing to empty Redis db 0: pass --redis redis://host:6379/N with N > 0")

    from emulator import POLLINATIONS_KEY, start_emulator

    database_url = f"{args.postgres}/{args.database}"
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    redis.Redis.from_url(args.redis).flushdb()
    emulator = start_emulator(port=args.emulator_port, gcs_port=args.gcs_port, operation_delay=1.0)
    workdir = Path(tempfile.mkdtemp(prefix="breaker-recovery-"))
    namespace = f"demo-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mediastudio.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(workdir / "media"),
        "SQLITE_PATH": str(workdir / "unused.sqlite3"),
        "Q_SYNC": "false",
        "VERTEX_BASE_URL": emulator.base_url,
        "VERTEX_PROJECT": "breaker-demo",
        "POLLINATIONS_BASE_URL": emulator.base_url,
        "POLLINATIONS_API_KEY": POLLINATIONS_KEY,  # the emulator, like Pollinations, wants a key
        "STORAGE_EMULATOR_HOST": emulator.gcs_url,
        "GCS_BUCKET": emulator.default_bucket,
        "BREAKER_NAMESPACE": namespace,
        "BREAKER_IMAGE_RESET_SECONDS": str(args.reset),
        "BREAKER_VIDEO_RESET_SECONDS": str(args.reset),
        "PROVIDER_RETRY_INITIAL_SECONDS": "0.1",  # the seed's 1 s, 2 s, 4 s, 8 s scaled down 10x
        "PROVIDER_RETRY_MAX_SECONDS": "0.8",
        "VIDEO_POLL_SECONDS": "0.5",
        "SUBMITS_PER_MINUTE": "1000",
    }
    # The product's defaults, whatever the calling environment pins (the tests pin the seed's models).
    for name in ("MODEL_IMAGE", "MODEL_IMAGE_GENERATE", "MODEL_IMAGE_EDIT", "MODEL_UPSCALE_V3"):
        env.pop(name, None)
    env.pop("MODEL_VIDEO", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    processes: list[subprocess.Popen] = []
    log = open(workdir / "servers.log", "wb")
    try:
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
        setup = [*manage, "shell", "-c", SETUP_CODE]
        out = subprocess.run(setup, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        token = next(line.removeprefix("SECRET=") for line in out.splitlines() if line.startswith("SECRET="))
        gunicorn = [sys.executable, "-m", "gunicorn", "mediastudio.wsgi", "--workers", "2",
                    "--bind", f"127.0.0.1:{args.port}", "--timeout", "60"]  # fmt: skip
        processes.append(subprocess.Popen(gunicorn, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        processes.append(
            subprocess.Popen([*manage, "qcluster"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        )
        demo = Demo(args, emulator, namespace)
        demo.session.headers["Authorization"] = f"Bearer {token}"
        deadline = time.monotonic() + 30
        while True:
            try:
                demo.session.get(f"{demo.base}/api/v1/media/health", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit((workdir / "servers.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        say(f"gunicorn on :{args.port}, a qcluster, PostgreSQL {args.database}, Redis {args.redis}, "
            f"emulator {emulator.base_url}; breaker reset timeout {args.reset:g} s")  # fmt: skip
        demo.run()
    finally:
        for process in reversed(processes):  # qcluster first: SIGTERM to its main PID only
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        log.close()
        emulator.stop()
        redis.Redis.from_url(args.redis).flushdb()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
