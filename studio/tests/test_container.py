"""The container without a Docker engine (none runs here): the entrypoint script run as the image
runs it, with the image's environment, against real processes; the compose file and Dockerfile
read and checked for what the README promises (non-root, one image for every tier, the services)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from emulator import POLLINATIONS_KEY

from .test_run_local import descendants, free_port, wait_until_gone

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def image_env(tmp_path) -> dict[str, str]:
    """The Dockerfile's ENV, with the virtualenv first on PATH, the tests' key and plain HTTP."""
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "mediastudio.settings",
        "SECRET_KEY": "container-test-key-Ue8rT3wQ6yN1mZ4kP9sV2cX7bH5jL0aD",
        "HTTPS": "false",
        "STATIC_ROOT": str(tmp_path / "staticfiles"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "BREAKER_STATE_PATH": str(tmp_path / "breakers.sqlite3"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }


def entrypoint(env, *args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ENTRYPOINT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


def test_it_migrates_then_serves_web_and_runs_the_worker_and_both_stop_on_sigterm(image_env):
    assert entrypoint(image_env, "manage", "collectstatic", "--noinput", "-v0").returncode == 0
    migrated = entrypoint(image_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(image_env["SQLITE_PATH"]) as db:
        assert db.execute("select count(*) from django_migrations").fetchone()[0] > 10

    web = subprocess.Popen([str(ENTRYPOINT), "web"], cwd=ROOT, env=image_env, start_new_session=True)
    worker = subprocess.Popen([str(ENTRYPOINT), "worker"], cwd=ROOT, env=image_env, start_new_session=True)
    try:
        headers = wait_for_page(f"http://127.0.0.1:{image_env['PORT']}/accounts/login/", web)
        time.sleep(2)  # the cluster's processes are up
        processes = descendants(web.pid) | descendants(worker.pid) | {web.pid, worker.pid}
        # exec: the script's PID is the server's, as PID 1 is in the container; `docker stop` is this.
        assert b"gunicorn" in Path(f"/proc/{web.pid}/cmdline").read_bytes()
        assert b"qcluster" in Path(f"/proc/{worker.pid}/cmdline").read_bytes()
        web.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)

        assert web.wait(timeout=40) == 0 and worker.wait(timeout=40) == 0
        assert wait_until_gone(processes, 10) == set()
        assert "server" not in {name.lower() for name in headers}
    finally:
        for process in (web, worker):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for_page(url: str, server: subprocess.Popen) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the web server exited"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return dict(response.headers)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within 60 s")


def test_its_emulator_command_serves_the_top_level_emulator_and_stops_on_sigterm(image_env):
    """compose.yaml's emulator service: the top-level emulator/ package through run_emulator."""
    port, gcs_port = free_port(), free_port()
    emulator = subprocess.Popen(
        [str(ENTRYPOINT), "emulator", "--port", str(port), "--gcs-port", str(gcs_port)],
        cwd=ROOT,
        env=image_env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # exec: the script's PID is the emulator's, so SIGTERM reaches it.
        deadline = time.monotonic() + 60
        while True:
            assert emulator.poll() is None, "the emulator exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=5) as answer:
                    health = json.loads(answer.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "the emulator did not answer within 60 s"
                time.sleep(0.3)
        assert health["ok"] and health["gcs_url"] == f"http://127.0.0.1:{gcs_port}"
        assert b"run_emulator" in Path(f"/proc/{emulator.pid}/cmdline").read_bytes()
        emulator.send_signal(signal.SIGTERM)
        assert emulator.wait(timeout=30) == 0
        assert "Emulator stopped." in emulator.stdout.read()
    finally:
        if emulator.poll() is None:
            os.killpg(emulator.pid, signal.SIGKILL)
        emulator.stdout.close()


def test_it_refuses_an_unknown_command_with_its_usage(image_env):
    result = entrypoint(image_env, "serve")

    assert result.returncode == 64
    assert result.stderr.strip() == (
        "usage: web | worker | migrate | emulator | manage COMMAND [ARGS...] (not 'serve')"
    )


def test_it_runs_any_manage_command(image_env):
    result = entrypoint(image_env, "manage", "check")

    assert result.returncode == 0 and "no issues" in result.stdout


# --- The files Docker reads ------------------------------------------------------------------


def entrypoint_commands() -> set[str]:
    return set(re.findall(r"^    (\w+)\)$", ENTRYPOINT.read_text(), re.MULTILINE))


def test_the_compose_file_runs_web_worker_and_a_migration_from_one_image_beside_their_services():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    app = {name: services[name] for name in ("web", "worker", "migrate", "emulator")}

    assert set(services) == {"postgres", "redis", "emulator", "migrate", "web", "worker"}
    assert entrypoint_commands() == {"web", "worker", "migrate", "emulator", "manage"}
    for name, service in app.items():
        assert service["build"] == "." and service["image"] == "media-studio"
        assert service["command"][0] == name
        env = service["environment"]
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # no built-in key, even here
        assert env["DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["VERTEX_BASE_URL"] == env["POLLINATIONS_BASE_URL"] == "http://emulator:8090"
        assert env["POLLINATIONS_API_KEY"] == POLLINATIONS_KEY  # the emulator, like Pollinations, wants one
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # this machine only
    for name in ("web", "worker"):
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"]["condition"] == "service_completed_successfully"
        assert waits_for["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_image_is_small_and_runs_as_an_unprivileged_user():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    final = lines[lines.index(stages[-1]) :]
    ignored = (ROOT / ".dockerignore").read_text().splitlines()

    assert all(re.fullmatch(r"FROM python:3\.11-slim-bookworm( AS \w+)?", stage) for stage in stages)
    assert len(stages) == 2  # pip and its caches stay in the build stage
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in final and 'CMD ["web"]' in final
    assert os.access(ENTRYPOINT, os.X_OK)
    for local_state in (".git", ".venv", ".secret-key", "*.sqlite3", "media", "staticfiles"):
        assert local_state in ignored


def test_a_compose_client_accepts_the_file_and_refuses_it_without_a_key():
    """Where a Compose client is installed (Debian's docker-compose, or the docker compose plugin)."""
    client = None
    if shutil.which("docker-compose"):
        client = ["docker-compose"]
    elif (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        client = ["docker", "compose"]
    if client is None:
        pytest.skip("no Compose client on this machine; the YAML checks above still ran")
    config = [*client, "--file", str(ROOT / "compose.yaml"), "config", "--quiet"]
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}

    assert subprocess.run(config, env={**env, "SECRET_KEY": "k" * 50}, capture_output=True).returncode == 0
    refused = subprocess.run(config, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "set SECRET_KEY first" in refused.stderr
