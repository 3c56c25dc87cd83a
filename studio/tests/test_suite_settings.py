"""The test suite's own settings (mediastudio/settings_test.py): a fast password hasher, here and in
the processes the tests start, and each pytest-xdist worker's own breakers, cache keys and queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import json, django; django.setup()\n"
    "from django.conf import settings\n"
    "from django.contrib.auth.hashers import make_password\n"
    "print(json.dumps({'hash': make_password('pw-123456'),\n"
    "    'prefix': settings.CACHES['default'].get('KEY_PREFIX', ''),\n"
    "    'queue': settings.Q_CLUSTER['name'], 'namespace': settings.BREAKER_NAMESPACE,\n"
    "    'breakers': str(settings.BREAKER_STATE_PATH)}))\n"
)


def probe(**env) -> dict:
    """These settings as a child process reads them: it inherits DJANGO_SETTINGS_MODULE, as the
    qcluster of cluster.py and run_local's children do."""
    environment = {**os.environ, **env}
    for name, value in env.items():
        if value is None:
            environment.pop(name)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_users_made_by_the_tests_get_the_fast_hasher(make_user):
    assert make_user().password.startswith("md5$")


def test_a_child_process_hashes_with_the_fast_hasher_too():
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "mediastudio.settings_test"
    assert probe()["hash"].startswith("md5$")


def test_each_xdist_worker_has_its_own_breakers_cache_keys_and_queue(tmp_path):
    base = {
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "BREAKER_STATE_PATH": None,
        "BREAKER_NAMESPACE": None,
    }
    gw0 = probe(**base, PYTEST_XDIST_WORKER="gw0")
    gw1 = probe(**base, PYTEST_XDIST_WORKER="gw1")
    alone = probe(**base, PYTEST_XDIST_WORKER=None)

    assert (gw0["prefix"], gw0["queue"], gw0["namespace"]) == ("gw0", "mediastudio-gw0", "mediastudio-gw0")
    assert gw0["breakers"] == str(tmp_path / "provider-breakers-gw0.sqlite3")
    for key in ("prefix", "queue", "namespace", "breakers"):
        assert len({gw0[key], gw1[key], alone[key]}) == 3, key
    # Without xdist, the suite's settings are production's.
    assert (alone["prefix"], alone["queue"], alone["namespace"]) == ("", "mediastudio", "mediastudio")
    # A path the caller chose (cluster.py passes its own) is kept as it is.
    chosen = probe(
        **{**base, "BREAKER_STATE_PATH": str(tmp_path / "mine.sqlite3")}, PYTEST_XDIST_WORKER="gw0"
    )
    assert chosen["breakers"] == str(tmp_path / "mine.sqlite3")
