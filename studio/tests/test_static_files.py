"""Static files in production (DEBUG off): collectstatic writes hashed, gzipped copies and
WhiteNoise serves them with a year's cache, so a returning visitor downloads no CSS or JS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.templatetags.static import static
from django.test import Client
url = static("studio/app.css")
plain = Client().get(url)
zipped = Client().get(url, headers={"accept-encoding": "gzip"})
page = Client().get("/accounts/login/")
print(json.dumps({
    "url": url,
    "status": plain.status_code,
    "cache": plain.headers.get("Cache-Control"),
    "encoding": zipped.headers.get("Content-Encoding"),
    "plain_bytes": len(b"".join(plain.streaming_content)),
    "zipped_bytes": len(b"".join(zipped.streaming_content)),
    "page_links_hashed": url in page.content.decode(),
}))
"""


def test_it_serves_hashed_gzipped_static_files_with_a_long_cache(tmp_path):
    env = {
        **os.environ,
        # Production's settings module (not the tests' plain static storage), with the test
        # suite's key and HTTPS=false from the environment.
        "DJANGO_SETTINGS_MODULE": "mediastudio.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path / "static"),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    facts = json.loads(out.stdout.strip().splitlines()[-1])

    assert facts["url"].startswith("/static/studio/app.") and facts["url"] != "/static/studio/app.css"
    assert facts["status"] == 200
    assert "max-age=315360000" in facts["cache"] and "immutable" in facts["cache"]
    assert facts["encoding"] == "gzip" and facts["zipped_bytes"] < facts["plain_bytes"] / 2
    assert facts["page_links_hashed"]
