"""What we tell clients about a job: the JSON shapes of the API, reused by the LLM tools.

One home, so the 202 of a submit, a status poll and an LLM tool result never disagree.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pydantic import BaseModel, Field

from billing import pricing
from billing import services as billing
from studio import errors, operations
from studio.models import MediaAsset, MediaJob


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
    kind = f"{job.output_kind}s"  # the API's /images/ or /videos/
    return reverse("api-1.0.0:job_status", kwargs={"kind": kind, "job_id": job.id})


def result_path(job: MediaJob) -> str:
    kind = f"{job.output_kind}s"
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
    # The operation's rough idea of how long a job takes.
    typical = operations.for_job(job).typical_seconds
    if job.state == MediaJob.State.QUEUED:
        return {"fraction": 0.0, "eta_seconds": typical}
    elapsed = (timezone.now() - (job.started_at or job.created_at)).total_seconds()
    fraction = min(0.95, 0.05 + 0.9 * elapsed / typical)
    return {"fraction": round(fraction, 2), "eta_seconds": max(1, round(typical - elapsed))}


# The columns status() reads: a poll loads these, not the params, mask or lease (api/media.py).
STATUS_FIELDS = (
    "id",
    "operation",
    "state",
    "model",
    "created_at",
    "started_at",
    "finished_at",
    "error_code",
    "error_message",
    "quote_zar_cents",
    "quote_usd_micros",
    "cost_zar_cents",
    "cost_usd_micros",
)


def status(job: MediaJob) -> dict:
    """The status answer; `job` may carry only STATUS_FIELDS."""
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


def quota(user) -> dict:
    """The user's tier, every meter's balance and each model's unit prices: GET /quota and the MCP
    `get_quota` tool."""
    plan = billing.plan_for(user)
    meters = [
        {
            "meter": b.meter,
            "label": b.label,
            "period": b.period,
            "allowance": b.allowance,
            "used": b.used,
            "reserved": b.reserved,
            "remaining": b.remaining,
            "resets_at": b.resets_at.isoformat(),
        }
        for b in billing.remaining(user)
    ]
    return {
        "tier": plan.code,
        "plan": {
            "name": plan.name,
            "price": pricing.format_zar(plan.price_cents),
            "upscale_models": plan.upscale_models,
            "video_resolutions": plan.video_resolutions,
        },
        "meters": meters,
        # The rows quotes and charges use (billing.ModelPrice), not the old per-class list.
        "prices": pricing.model_price_list(),
        "usd_to_zar_rate": str(pricing.current_rate()),
        "upgrade": [
            {"tier": p.code, "price": pricing.format_zar(p.price_cents)} for p in billing.upgrade_plans(plan)
        ],
        "plans_url": reverse("plans"),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


# --- The shapes of these answers, for the OpenAPI document -------------------------------------
#
# studio/api/ names these as its endpoints' 2xx responses, so the document types every answer
# and django-ninja checks each one against its model before it leaves. They sit here beside the
# functions that build the dicts; studio/tests/test_openapi.py holds real answers against them.


class Money(BaseModel):
    """An amount in both currencies: display strings and the exact integers."""

    zar: str = Field(description="Rand, formatted: `R 12.34`.")
    usd: str = Field(description="US dollars, formatted.")
    zar_cents: int
    usd_micros: int


class Progress(BaseModel):
    fraction: float = Field(description="0 to 1; an honest hint, not a measurement.")
    eta_seconds: int = Field(description="Seconds probably left (0 once the job is final).")


class JobError(BaseModel):
    code: str = Field(description="Stable code of a failed job (`safety_blocked`, `provider_timeout`, ...).")
    message: str = Field(description="A sentence for the user; says they were not charged.")


class JobAccepted(BaseModel):
    """The 202 of a submit: the job is queued and its allowance reserved."""

    job_id: str
    operation: str
    state: str
    model: str = Field(description="The model that will run the job.")
    units: int = Field(description="Units reserved on `meter` (images, edits, upscales or seconds).")
    meter: str
    quote: Money | None
    watermarked: bool = Field(description="A FREE preview carries a visible watermark.")
    status_url: str
    result_url: str


class JobStatus(BaseModel):
    job_id: str
    operation: str
    state: str = Field(description="queued, running, waiting, succeeded, failed or cancelled")
    done: bool
    progress: Progress
    model: str
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: JobError | None
    quote: Money | None
    cost: Money | None = Field(description="What was charged, once the job is final.")
    result_url: str | None = Field(description="Set once the job succeeded.")


class JobList(BaseModel):
    jobs: list[JobStatus]


class AssetAnswer(BaseModel):
    """One image or video, with signed links that work without a session for a while."""

    asset_id: str
    kind: str = Field(description="image or video")
    mime_type: str
    bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None
    has_audio: bool
    synthid: bool
    watermarked: bool
    url: str
    download_url: str
    thumbnail_url: str | None


class JobResult(BaseModel):
    job_id: str
    operation: str
    state: str
    cost: Money | None
    filtered_count: int = Field(description="Outputs removed by the safety filters (not charged).")
    expires_in_hours: int = Field(description="How long the signed links work.")
    assets: list[AssetAnswer]
