"""The studio's test data, written once: image bytes, and job and asset rows.

Plain functions, not factory_boy: every row here is one `objects.create` with defaults a test
overrides by keyword, and a function says that in fewer lines than a Factory class and its
Meta. Tests that need a job to have really been submitted (reserved, enqueued) go through
`studio.jobs.submit_job` or the API instead; these rows are for what reads them (admin, tray,
serving). Users come from billing/tests/factories.py (the `make_user` fixture of conftest.py).
"""

from __future__ import annotations

import io
import uuid

from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image

from studio import jobs
from studio.models import MediaAsset, MediaJob

# --- Image bytes ---------------------------------------------------------------------------


def make_png(size=(64, 48), colour=(200, 40, 40), *, mode="RGB") -> bytes:
    """One flat colour."""
    image = Image.new(mode, size, colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_photo(size=(96, 64)) -> bytes:
    """A picture with structure (a gradient and a square), so pixel comparisons mean something."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [((x * 255) // width, (y * 255) // height, 90) for y in range(height) for x in range(width)]
    )
    image.paste((20, 160, 20), (width // 4, height // 4, width // 2, height // 2))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_mask(size, box) -> bytes:
    """White (edit) inside `box`, black elsewhere."""
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    out = io.BytesIO()
    mask.save(out, format="PNG")
    return out.getvalue()


# --- Rows ----------------------------------------------------------------------------------


def make_job(owner, *, operation: str = "generate_image", **fields) -> MediaJob:
    """A stored job row as submit_job leaves it (queued, one image priced at the image rate);
    `fields` override any column."""
    values = {
        "params": {"prompt": "Table Mountain at dawn", "count": 1},
        "capability": operation,
        "model": "gemini-3.1-flash-image",
        "meter": "video_seconds" if operation == "generate_video" else "images",
        "price_class": "image",
        "units": 1,
        "reservation_reference": f"job-{uuid.uuid4()}",
        "quote_zar_cents": 74,
        "quote_usd_micros": 40_000,
        **fields,
    }
    return MediaJob.objects.create(owner=owner, operation=operation, **values)


def submit_unqueued(user, operation: str, params, capture) -> MediaJob:
    """A job submitted as the API submits it (reserved, stored) whose enqueue never happened: its
    on-commit hook is dropped, so the worker or the sweep under test is the one to take it up.
    `capture` is pytest-django's django_capture_on_commit_callbacks."""
    with capture(execute=False):
        return jobs.submit_job(user, operation, params)


def make_asset(
    owner, *, job=None, data: bytes | File | None = None, thumbnail: bytes | None = None, **fields
) -> MediaAsset:
    """An image asset row. Without `data` its file names are placeholders (nothing is stored:
    for pages that only list rows); with `data` the file, and the `thumbnail` when given, are
    written through Django's storage as studio/assets.py writes them. `fields` override any column."""
    values = {
        "kind": MediaAsset.Kind.IMAGE,
        "mime_type": "image/png",
        "bytes": 123_456,
        "width": 1024,
        "height": 768,
        "synthid": True,
        **fields,
    }
    if data is None:
        values.setdefault("file", f"assets/{owner.pk}/x/image.png")
        values.setdefault("thumbnail", f"assets/{owner.pk}/x/thumb.webp")
        return MediaAsset.objects.create(owner=owner, source_job=job, **values)
    content = data if isinstance(data, File) else ContentFile(data)
    values["bytes"] = fields.get("bytes", content.size)
    asset = MediaAsset(owner=owner, source_job=job, **values)
    name = "video.mp4" if asset.kind == MediaAsset.Kind.VIDEO else "original.png"
    asset.file.save(name, content, save=False)
    if thumbnail is not None:
        asset.thumbnail.save("poster.webp", ContentFile(thumbnail), save=False)
    asset.save()
    return asset


def make_video_clip(seconds: int = 4, size=(1280, 720)) -> bytes:
    """A real H.264 MP4 of `seconds` (the emulator's renderer)."""
    from emulator import video

    return video.render_video(
        width=size[0], height=size[1], duration=seconds, with_audio=False, prompt="waves", seed_bytes=b"w"
    )


def make_finished_video(owner, seconds: int = 4) -> MediaAsset:
    """A generate_video job that succeeded and its MP4, as the worker stores them."""
    from studio import assets

    job = make_job(
        owner,
        operation="generate_video",
        params={"prompt": "waves at Muizenberg", "duration_seconds": seconds, "aspect_ratio": "16:9"},
        state=MediaJob.State.SUCCEEDED,
        capability="video",
        model="veo-3.1-generate-001",
        price_class="video",
        units=seconds,
    )
    return assets.create_video_asset(owner=owner, data=make_video_clip(seconds), synthid=True, source_job=job)
