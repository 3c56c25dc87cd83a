"""The job pipeline with a real `manage.py qcluster` in a child process.

On the embedded default this is SQLite with django-q2's ORM broker; on CI (DATABASE_URL and
REDIS_URL set) it is PostgreSQL with the Redis broker. The cluster shares the test database and
the media folder, and reaches the offline emulator over HTTP like production reaches Google.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from billing.models import Allowance, CostEntry, Reservation
from studio import services
from studio.models import MediaAsset, MediaJob
from studio.tests.cluster import Cluster, wait_for_job
from studio.tests.conftest import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cluster_env(providers_env, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return providers_env


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
        finished = [wait_for_job(job["job_id"], MediaJob.FINAL_STATES) for job in jobs]
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
        wait_for_job(accepted["job_id"], {MediaJob.State.RUNNING}, timeout=60)
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
