"""The job pipeline with a real `manage.py qcluster` in a child process.

On the embedded default this is SQLite with django-q2's ORM broker; on CI (DATABASE_URL and
REDIS_URL set) it is PostgreSQL with the Redis broker. The cluster shares the test database and
the media folder, and reaches the offline emulator over HTTP like production reaches Google.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from billing.models import Allowance, CostEntry, Reservation
from studio import services
from studio.models import MediaAsset, MediaJob
from studio.tests.conftest import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

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
            "STORAGE_EMULATOR_HOST": emulator.gcs_url,
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


@pytest.fixture
def cluster_env(providers_env, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return providers_env


def _wait_for(job_id, states, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = MediaJob.objects.get(pk=job_id)
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {MediaJob.objects.get(pk=job_id).state} after {timeout}s")


def _post(client, path, body):
    response = client.post(f"/api/v1/media{path}", body, content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()


@pytest.mark.both_databases
def test_it_runs_all_four_operations_on_a_real_cluster(cluster_env, make_user, client, tmp_path):
    user = make_user(tier="JIGGA")
    client.force_login(user)
    source = services.save_upload(user, make_photo((96, 64)))
    cluster = Cluster(cluster_env, tmp_path)
    try:
        jobs = [
            _post(client, "/images/generate", {"prompt": "a baobab at dusk", "count": 2}),
            _post(
                client,
                "/images/edit",
                {"image_id": str(source.id), "mode": "outpaint", "outpaint": {"left": 16, "right": 16}},
            ),
            _post(client, "/images/upscale", {"image_id": str(source.id), "factor": "x2", "model": "v4"}),
            _post(client, "/videos/generate", {"prompt": "a dhow sailing", "duration_seconds": 4}),
        ]
        finished = [_wait_for(job["job_id"], MediaJob.FINAL_STATES) for job in jobs]
    finally:
        cluster.stop()

    assert [job.state for job in finished] == ["succeeded"] * 4, [
        (j.error_code, j.error_message) for j in finished
    ]
    for job, accepted in zip(finished, jobs, strict=True):
        result = client.get(accepted["result_url"]).json()
        assert result["assets"], result
        for item in result["assets"]:
            media = client.get(item["url"])
            assert media.status_code == 200
            asset = MediaAsset.objects.get(pk=item["asset_id"])
            assert Path(asset.file.path).stat().st_size == asset.bytes > 0
        assert CostEntry.objects.filter(reference=job.reservation_reference).count() == 1
    assert MediaJob.objects.get(pk=jobs[3]["job_id"]).provider_operation_name
    assert not Reservation.objects.filter(user=user, state="reserved").exists()


def test_it_leaves_no_job_stuck_when_the_worker_is_killed(cluster_env, make_user, client, tmp_path):
    user = make_user(tier="JIVE")
    client.force_login(user)
    # The emulator holds this request for 30 s, so the worker is mid-call when it dies.
    accepted = _post(client, "/images/generate", {"prompt": "a slow one [[fault:slow]]"})
    cluster = Cluster(cluster_env, tmp_path, JOB_LEASE_SECONDS="2")
    try:
        _wait_for(accepted["job_id"], {MediaJob.State.RUNNING}, timeout=60)
        time.sleep(0.5)
    finally:
        cluster.kill()
    assert MediaJob.objects.get(pk=accepted["job_id"]).state == "running"

    # A new cluster's sweeper finds the lease expired, fails the job and releases the allowance.
    time.sleep(2.5)
    services.sweep()

    job = MediaJob.objects.get(pk=accepted["job_id"])
    assert (job.state, job.error_code) == ("failed", "worker_lost")
    assert Reservation.objects.get(reference=job.reservation_reference).state == "released"
    assert not CostEntry.objects.filter(user=user).exists()
    allowance = Allowance.objects.get(user=user, meter="images")
    assert (allowance.used, allowance.reserved) == (0, 0)

    # If the broker redelivers the killed task later, the claim finds nothing to do.
    services.run_job(job.id)
    assert MediaJob.objects.get(pk=job.id).state == "failed"
    assert not CostEntry.objects.filter(user=user).exists()
