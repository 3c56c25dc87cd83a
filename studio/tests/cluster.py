"""A real django-q2 cluster as a child process, sharing the test database, media folder and
emulator: the workers of test_worker_cluster.py and of the browser tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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


class Cluster:
    """A qcluster child process in its own session (so it can be signalled as a group)."""

    def __init__(self, emulator, tmp_path: Path, **extra_env):
        self.env = {
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
