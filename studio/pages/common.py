"""What every studio page shares: refusals as the form shows them, the idempotent submit, and the
job card that progress views render. The forms' pipeline is studio/pages/forms.py.

The pages validate through studio/schemas.py and submit through jobs.submit_job, exactly
as the JSON API does; a form carries a one-time idempotency key so a double click, a retry on
a slow connection or a resubmitted form makes one job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails
from pydantic import BaseModel

from studio import answers, errors, idempotency, jobs, operations
from studio.errors import StudioError
from studio.models import MediaAsset, MediaJob
from studio.schemas import MAX_COUNT, STYLE_PRESETS
from studio.serving import media_url


class PageRequest(HttpRequest):
    """A studio page's request as its view sees it: login_required's user and django-htmx's
    details (its middleware sets `request.htmx`). Only for the type checker; Django passes its own
    HttpRequest."""

    user: User
    htmx: HtmxDetails


# An Idempotency-Key refusal that a fresh key fixes: the form was sent before, or tampered with.
STALE_KEY_CODES = ("idempotency_mismatch", "invalid_idempotency_key")


# How a job goes back to its own form, filled in with its settings ("Try again", "Reuse settings"),
# by operation: each page's StudioForm registers its own (forms.StudioForm.again).
AGAIN_URLS: dict[str, Callable[[MediaJob], str]] = {}


def again_url(job: MediaJob) -> str:
    """The job's form with the job's settings, or "" when its page has none."""
    again = AGAIN_URLS.get(job.operation)
    return again(job) if again else ""


def settings_query(job: MediaJob, names: tuple[str, ...]) -> str:
    """`names` of the job's params as a form's query string: set values only, booleans as the
    forms read them, and the seed only if the model applied it (an ignored seed repeats nothing)."""
    params = job.params or {}
    query = {
        name: ("true" if value is True else "false" if value is False else value)
        for name in names
        if (value := params.get(name)) not in (None, "") and (name != "seed" or job.seed_applied)
    }
    return urlencode(query)


def period_words(period: str) -> str:
    return _("today") if period == "day" else _("this month")


def failure(error: StudioError) -> dict:
    """A refusal as a form shows it: the message, and for allowance refusals the way up."""
    message = error.message
    if error.code == "idempotency_mismatch":
        message = _("This form had already been sent. Check the settings and send it again.")
    resets_at = error.extra.get("resets_at")
    return {
        "code": error.code,
        "message": message,
        "upgrade": error.extra.get("upgrade") or [],
        "resets_at": datetime.fromisoformat(resets_at) if isinstance(resets_at, str) else None,
    }


def submit_once(request: PageRequest, operation: str, params: BaseModel, posted_key: str) -> MediaJob:
    """Submit a validated request under the form's idempotency key; the job, with its assets
    prefetched. Raises StudioError for a refusal (tier, quota, breaker, a stale key)."""

    def handler() -> tuple[int, dict]:
        job = jobs.submit_job(request.user, operation, params)
        return 202, answers.accepted(job)

    key = idempotency.parse_key(posted_key)
    fingerprint = idempotency.fingerprint("POST", request.path, params.model_dump(mode="json"))
    _, body, _ = idempotency.run_once(
        request.user, key, fingerprint, idempotency.ttl_minutes_for(operation), handler
    )
    return MediaJob.objects.for_user(request.user).prefetch_related("assets").get(pk=body["job_id"])


def job_card(job: MediaJob) -> dict:
    """What a job's progress partial shows. `job.assets` should be prefetched."""
    progress = answers.progress(job)
    images: list[dict[str, Any]] = []
    if job.state == MediaJob.State.SUCCEEDED:
        for asset in sorted(job.assets.all(), key=lambda a: a.created_at):
            url = media_url(asset)
            thumb = media_url(asset, "thumbnail")
            images.append(
                {
                    "asset": asset,
                    "url": url,
                    "thumb": thumb or (url if asset.kind == MediaAsset.Kind.IMAGE else None),
                    "download": media_url(asset, download=True),
                }
            )
    error = errors.job_error_message(job)
    params = job.params or {}
    return {
        "job": job,
        "prompt": params.get("prompt", ""),
        "style": STYLE_PRESETS.get(params.get("style") or "", ("",))[0],
        "aspect_ratio": params.get("aspect_ratio", ""),
        "percent": round(progress["fraction"] * 100),
        "eta": progress["eta_seconds"],
        "images": images,
        "synthid": any(item["asset"].synthid for item in images),
        "error": error,
        "again": again_url(job) if job.state in (MediaJob.State.FAILED, MediaJob.State.CANCELLED) else "",
        # What kind of job it was, in the operation's words: an edit's mode, an upscale's factor.
        "settings": operations.for_job(job).settings_rows(params, [i["asset"].mime_type for i in images]),
        # Made from one of the user's images (an edit, an upscale): the Edit tab shows it on its
        # canvas beside that image (edit.css shows the button there only).
        "from_image": bool(params.get("image_id")),
    }


def recent_cards(user, operation: str, limit: int, **filters) -> list[dict]:
    """Job cards of the user's latest jobs of one operation, newest first."""
    jobs = (
        MediaJob.objects.for_user(user)
        .filter(operation=operation, **filters)
        .prefetch_related("assets")[:limit]
    )
    return [job_card(job) for job in jobs]


def max_count(plan, meter: str) -> int:
    """How many outputs one request may ask for on this plan (at least one: the allowance check
    says when none are left)."""
    allowance = plan.allowance_for(meter)
    return max(1, min(MAX_COUNT, allowance.units)) if allowance else 1


def picker_tiles(images) -> list[dict]:
    """The user's images as an image picker's tiles (studio/_image_picker.html): the asset, its
    thumbnail and short words for it."""
    return [
        {"asset": a, "thumb": media_url(a, "thumbnail") or media_url(a), "alt": describe_image(a)}
        for a in images
    ]


def describe_image(asset: MediaAsset) -> str:
    """Short words for an image: its prompt, or where it came from."""
    job = asset.source_job
    prompt = (job.params or {}).get("prompt", "") if job else ""
    if prompt:
        return prompt[:80]
    if asset.origin == MediaAsset.Origin.UPLOADED:
        return _("Uploaded image, %(width)s × %(height)s") % {"width": asset.width, "height": asset.height}
    made = operations.for_job(job).alt_text(job.params or {}) if job is not None else _("Image")
    return f"{made}, {asset.width} × {asset.height}"
