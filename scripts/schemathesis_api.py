"""Property-based test of the JSON API from its own OpenAPI document, with schemathesis (test-only).

    .venv/bin/python scripts/schemathesis_api.py [--port 8181] [--max-examples 25] [--tier JIGGA]

Makes a throwaway SQLite database in a temporary directory, migrates it, creates a user of the tier
and an API token, serves the app with gunicorn on 127.0.0.1:PORT, and runs `schemathesis run` with
every check against /api/v1/media/openapi.json as that user. Nothing reaches Google: a submit only
enqueues a job (no worker runs) and the model calls happen in workers. Prints schemathesis's summary
and exits with its status. Checks that matter here: every answer's status is documented
(status_code_conformance), every body matches its schema (response_schema_conformance), no 5xx
(not_a_server_error), and schema-valid requests are not refused as invalid (positive_data_acceptance).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8181)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--tier", default="JIGGA", choices=["FREE", "JIVE", "JIGGA"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    env = {
        **os.environ,
        "SQLITE_PATH": str(workdir / "db.sqlite3"),
        "BREAKER_STATE_PATH": str(workdir / "breakers.sqlite3"),
        "MEDIA_ROOT": str(workdir / "media"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)

    def manage(*argv: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    server = None
    try:
        manage("migrate", "--noinput")
        manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; from billing import services; "
            "u = get_user_model().objects.create_user('schemathesis', password='x'); "
            f"services.change_tier(u, services.get_plan('{args.tier}'), by=None, reason='schemathesis')",
        )
        token = manage("create_api_token", "schemathesis", "--name", "schemathesis")
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "mediastudio.wsgi",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/v1/media/openapi.json", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        command = [
            str(Path(PYTHON).with_name("schemathesis")),
            "run",
            f"{base}/api/v1/media/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--generation-database",
            ":memory:",
            "--report-dir",
            str(workdir / "report"),
        ]
        return subprocess.run(command, cwd=workdir, env=env).returncode
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
