"""The FREE sample clips as production serves them: collectstatic gives them hashed names and
WhiteNoise answers Range from STATIC_ROOT; a clip rendered after the last collectstatic is not
offered (it has no URL yet) rather than linked and missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from studio.tests import sample_clips as clips

ROOT = Path(__file__).resolve().parents[2]
rendered_samples = clips.rendered_samples

PROBE = """
import json, django
django.setup()
from django.test import Client
from studio import samples
sample = samples.BY_SLUG["kruger"]
size = len(open(f"{samples.folder()}/kruger.mp4", "rb").read())
part = Client().get(sample.video_url, headers={"range": "bytes=100-199"})
print(json.dumps({
    "url": sample.video_url,
    "available": [s.slug for s in samples.available()],
    "status": part.status_code,
    "range": part.headers.get("Content-Range"),
    "size": size,
    "cache": part.headers.get("Cache-Control"),
}))
"""


def test_it_serves_collected_sample_clips_with_hashed_names_and_range(rendered_samples, tmp_path):
    folder = Path(shutil.copytree(rendered_samples, tmp_path / "samples"))
    (folder / "durban.mp4").unlink()  # durban is not rendered when collectstatic runs...
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mediastudio.settings",  # production's hashed static storage
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "SAMPLES_ROOT": str(folder),
        "STATIC_ROOT": str(tmp_path / "static"),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    shutil.copy(rendered_samples / "durban.mp4", folder)  # ...and is rendered afterwards
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    facts = json.loads(out.stdout.strip().splitlines()[-1])

    assert facts["url"].startswith("/static/samples/kruger.") and facts["url"] != "/static/samples/kruger.mp4"
    assert facts["available"] == ["table-mountain", "kruger", "drakensberg", "cape-point", "karoo"]
    assert facts["status"] == 206 and facts["range"] == f"bytes 100-199/{facts['size']}"
    assert "immutable" in facts["cache"]
