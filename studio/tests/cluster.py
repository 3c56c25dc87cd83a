"""A real django-q2 cluster as a child process, sharing the test database, media folder and
emulator: the workers of test_worker_cluster.py and of the browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from studio.models import MediaJob

ROOT = Path(__file__).resolve().parents[2]


def _database_env() -> dict:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(db["NAME"]), "DATABASE_URL": ""}
    user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return {"DATABASE_URL": f"postgres://{user}@{host}:{port}/{db['NAME']}"}


def child_env(emulator, tmp_path: Path, **extra_env) -> dict:
    """The environment of a child process of the app (a worker cluster, a web server): the test
    database, media folder, emulator and a breaker file of its own."""
    return {
        **os.environ,
        **_database_env(),
        # The environment's, not settings': providers_env blanks settings.REDIS_URL for the
        # breakers, but this process's django-q2 broker was chosen from the environment.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "VERTEX_BASE_URL": emulator.base_url,
        "VERTEX_PROJECT": "test-project",
        "POLLINATIONS_BASE_URL": emulator.base_url,
        "POLLINATIONS_API_KEY": settings.POLLINATIONS_API_KEY,  # providers_env's emulator key
        "STORAGE_EMULATOR_HOST": emulator.gcs_url,
        "GCS_BUCKET": settings.GCS_BUCKET,  # as providers_env: Veo writes to a job's own folder
        "BREAKER_STATE_PATH": str(tmp_path / "cluster-breakers.sqlite3"),
        "BREAKER_NAMESPACE": f"cluster-{tmp_path.name}",
        "PROVIDER_RETRY_INITIAL_SECONDS": "0.05",
        "PROVIDER_RETRY_MAX_SECONDS": "0.2",
        "VIDEO_POLL_SECONDS": "0.3",
        "Q_SYNC": "false",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }


class Cluster:
    """A qcluster child process in its own session (so it can be signalled as a group)."""

    def __init__(self, emulator, tmp_path: Path, **extra_env):
        self.env = child_env(emulator, tmp_path, **extra_env)
        self.log = open(tmp_path / "qcluster.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the main PID only (django-q2#346)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def kill(self):
        """SIGKILL every process of the cluster at once, as an OOM killer or a crash would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


def wait_for_job(job_id, states=MediaJob.FINAL_STATES, timeout: float = 90) -> MediaJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = MediaJob.objects.get(pk=job_id)
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {MediaJob.objects.get(pk=job_id).state} after {timeout}s")


class WebServer:
    """The production web tier as a child process: gunicorn with uvicorn workers serving
    mediastudio/asgi.py (mediastudio/gunicorn_conf.py), one worker, on a free port."""

    def __init__(self, emulator, tmp_path: Path, **extra_env):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = child_env(emulator, tmp_path, WEB_CONCURRENCY="1", **extra_env)
        self.log_path = tmp_path / "web.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:mediastudio.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{self.port}",
                "mediastudio.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the web server exited: {self.log_path.read_text()[-3000:]}")
            try:  # the port listens before the worker has booted: wait for an answer
                urllib.request.urlopen(self.url + "/accounts/login/", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("the web server did not start in 60 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
