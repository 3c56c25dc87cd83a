"""What we tell clients about a job: the JSON shapes of the API, reused by the LLM tools.

One home, so the 202 of a submit, a status poll and an LLM tool result never disagree.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from billing import pricing
from studio import errors
from studio.models import MediaAsset, MediaJob

# A rough idea of how long each kind of job takes, for the progress hint (seconds).
TYPICAL_SECONDS = {
    MediaJob.Operation.GENERATE_IMAGE: 12,
    MediaJob.Operation.EDIT_IMAGE: 15,
    MediaJob.Operation.UPSCALE_IMAGE: 10,
    MediaJob.Operation.GENERATE_VIDEO: 90,
}


def money(zar_cents: int | None, usd_micros: int | None) -> dict | None:
    if zar_cents is None or usd_micros is None:
        return None
    return {
        "zar": pricing.format_zar(zar_cents),
        "usd": pricing.format_usd(usd_micros),
        "zar_cents": zar_cents,
        "usd_micros": usd_micros,
    }


def status_path(job: MediaJob) -> str:
    kind = "videos" if job.is_video else "images"
    return reverse("api-1.0.0:job_status", kwargs={"kind": kind, "job_id": job.id})


def result_path(job: MediaJob) -> str:
    kind = "videos" if job.is_video else "images"
    return reverse("api-1.0.0:job_result", kwargs={"kind": kind, "job_id": job.id})


def accepted(job: MediaJob) -> dict:
    """The 202 answer to a submit."""
    return {
        "job_id": str(job.id),
        "operation": job.operation,
        "state": job.state,
        "model": job.model,
        "units": job.units,
        "meter": job.meter,
        "quote": money(job.quote_zar_cents, job.quote_usd_micros),
        "watermarked": job.watermark,
        "status_url": status_path(job),
        "result_url": result_path(job),
    }


def progress(job: MediaJob) -> dict:
    """A progress hint: a fraction and the seconds probably left. Honest, not precise."""
    if job.is_final:
        return {"fraction": 1.0, "eta_seconds": 0}
    if job.state == MediaJob.State.QUEUED:
        return {"fraction": 0.0, "eta_seconds": TYPICAL_SECONDS[job.operation]}
    typical = TYPICAL_SECONDS[job.operation]
    elapsed = (timezone.now() - (job.started_at or job.created_at)).total_seconds()
    fraction = min(0.95, 0.05 + 0.9 * elapsed / typical)
    return {"fraction": round(fraction, 2), "eta_seconds": max(1, round(typical - elapsed))}


def status(job: MediaJob) -> dict:
    return {
        "job_id": str(job.id),
        "operation": job.operation,
        "state": job.state,
        "done": job.is_final,
        "progress": progress(job),
        "model": job.model,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "error": errors.job_error(job),
        "quote": money(job.quote_zar_cents, job.quote_usd_micros),
        "cost": money(job.cost_zar_cents, job.cost_usd_micros),
        "result_url": result_path(job) if job.state == MediaJob.State.SUCCEEDED else None,
    }


def asset(item: MediaAsset, *, absolute) -> dict:
    """An asset with signed links that work without a session for MEDIA_SIGNED_URL_HOURS."""
    from studio.serving import media_url

    links = {
        "url": absolute(media_url(item)),
        "download_url": absolute(media_url(item, download=True)),
        "thumbnail_url": absolute(media_url(item, "thumbnail")) if item.thumbnail else None,
    }
    return {
        "asset_id": str(item.id),
        "kind": item.kind,
        "mime_type": item.mime_type,
        "bytes": item.bytes,
        "width": item.width,
        "height": item.height,
        "duration_seconds": item.duration_seconds,
        "has_audio": item.has_audio,
        "synthid": item.synthid,
        "watermarked": item.watermarked,
        **links,
    }


def result(job: MediaJob, *, absolute) -> dict:
    items = list(job.assets.order_by("created_at"))
    return {
        "job_id": str(job.id),
        "operation": job.operation,
        "state": job.state,
        "cost": money(job.cost_zar_cents, job.cost_usd_micros),
        "filtered_count": job.filtered_count,
        "expires_in_hours": settings.MEDIA_SIGNED_URL_HOURS,
        "assets": [asset(item, absolute=absolute) for item in items],
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None
