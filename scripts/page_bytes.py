"""The bytes each page transfers on a first visit (an empty browser cache): its HTML plus every
static file it makes the browser fetch — style sheets, scripts (htmx included), the icon, the logo,
static images and whatever the style sheets' url()s name — raw and gzipped (WhiteNoise serves them
gzipped). The user's own media (thumbnails) are content, not page weight, and are not counted.
A measurement, not a test; the README's table comes from it.

    .venv/bin/python scripts/page_bytes.py [--lang af]

--lang: the pages in that language (sent as Accept-Language). A page script's words in that
language are in the HTML (its data-words attribute, studio/languages.py), so they count there.

Runs in-process on a throwaway SQLite database with a user of each tier, one uploaded image each
and a queued job (no worker runs, so job pages show their progress state).
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The test suite's settings: a key, plain HTTP and static files from the source folders (no collectstatic).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mediastudio.settings_test")
WORK = Path(tempfile.mkdtemp(prefix="page-bytes-"))
os.environ["SQLITE_PATH"] = str(WORK / "db.sqlite3")
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["DATABASE_URL"] = ""
os.environ["REDIS_URL"] = ""
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

# Style sheets, icons, scripts and images of the site's own static files.
LINKED = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="(/static/[^"]+)"')
CSS_URL = re.compile(r'url\(["\']?(/static/[^"\')]+)')


LANG = sys.argv[sys.argv.index("--lang") + 1] if "--lang" in sys.argv else ""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def main() -> None:
    import django

    django.setup()
    from django.contrib.staticfiles import finders
    from django.core.management import call_command
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from studio import assets as studio_assets
    from studio import jobs as studio_jobs
    from studio.schemas import GenerateImage, GenerateVideo

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from billing import services as billing
    from billing.models import Plan

    users, assets, jobs = {}, {}, {}
    for tier in ("FREE", "JIVE", "JIGGA"):
        user = get_user_model().objects.create_user(f"bytes-{tier.lower()}", password="pw-123456")
        billing.change_tier(user, Plan.objects.get(code=tier), by=None, reason="page bytes")
        users[tier] = user
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), (120, 160, 90)).save(buffer, "PNG")
        assets[tier] = studio_assets.save_upload(user, buffer.getvalue())
    jobs["image"] = studio_jobs.submit_job(users["JIVE"], "generate_image", GenerateImage(prompt="a protea"))
    jobs["video"] = studio_jobs.submit_job(users["JIVE"], "generate_video", GenerateVideo(prompt="a dhow"))

    pages = [
        ("Media Creator", "JIVE", "landing", {}),
        ("Create", "JIVE", "image-create", {}),
        ("Create (FREE)", "FREE", "image-create", {}),
        ("Edit, pick an image", "JIVE", "image-edit", {}),
        ("Edit, mask canvas", "JIVE", "image-edit-canvas", {"asset_id": assets["JIVE"].id}),
        ("Edit demo (FREE)", "FREE", "image-edit", {}),
        ("Upscale", "JIGGA", "image-upscale", {}),
        ("Upscale (FREE)", "FREE", "image-upscale", {}),
        ("Gallery", "JIVE", "image-gallery", {}),
        ("Image viewer", "JIVE", "image-viewer", {"asset_id": assets["JIVE"].id}),
        ("Job progress", "JIVE", "job-detail", {"job_id": jobs["image"].id}),
        ("Video form", "JIVE", "video-create", {}),
        ("Video progress", "JIVE", "video-job", {"job_id": jobs["video"].id}),
        ("Video samples (FREE)", "FREE", "video-create", {}),
        ("Plans", "JIVE", "plans", {}),
        ("Account", "JIVE", "account", {}),
        ("Not found (404)", "JIVE", "", {}),
        ("Log in (anonymous)", "", "login", {}),
    ]
    static_cache: dict[str, bytes] = {}

    def static_bytes(url: str) -> bytes:
        if url not in static_cache:
            path = finders.find(url.removeprefix("/static/").split("?")[0])
            static_cache[url] = Path(path).read_bytes() if path else b""
        return static_cache[url]

    def fetched(html: str) -> list[str]:
        """The static files a first visit fetches, each once, with what the style sheets name."""
        urls = list(dict.fromkeys(LINKED.findall(html)))
        for url in list(urls):
            if url.endswith(".css"):
                urls += [u for u in CSS_URL.findall(static_bytes(url).decode()) if u not in urls]
        return urls

    print(f"{'page':<24}{'HTML':>8}{'static':>8}{'total':>8}{'gzip':>8}  files")
    for label, tier, name, kwargs in pages:
        try:
            url = reverse(name, kwargs=kwargs) if name else "/no-such-page/"
        except NoReverseMatch:
            continue
        client = Client(HTTP_ACCEPT_LANGUAGE=LANG)
        if tier:
            client.force_login(users[tier])
        response = client.get(url, follow=True)
        html = response.content
        linked = [(src, static_bytes(src)) for src in fetched(html.decode())]
        extra = sum(len(data) for _, data in linked)
        zipped = gz(html) + sum(gz(data) for _, data in linked)
        files = ", ".join(Path(src).name for src, _ in linked)
        status = "" if response.status_code == 200 else f" [{response.status_code}]"
        print(f"{label + status:<24}{len(html):>8}{extra:>8}{len(html) + extra:>8}{zipped:>8}  {files}")


if __name__ == "__main__":
    main()
