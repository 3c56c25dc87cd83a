"""The JSON API under /api/v1/media/ (DESIGN.md §1), with its OpenAPI document at /docs.

django-ninja, because our validation already is pydantic (studio/schemas.py): ninja takes those
models as request bodies as they are and writes the OpenAPI document from them, so the API, the
docs, the LLM tools and the pages share one definition of every rule. (DRF would need a second,
serializer copy of each schema; plain views would need a hand-written OpenAPI file.)

Every answer is JSON. Errors are `{"error": {"code": ..., "message": ...}}` with the stable
codes of studio/errors.py; another user's ids answer 404.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Literal

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from ninja import Field, File, NinjaAPI, Schema, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError

from billing import pricing
from billing import services as billing
from billing.models import Price
from studio import answers, errors, health, idempotency, services, tools, uploads
from studio.auth import ApiTokenAuth, SessionCsrfAuth
from studio.errors import StudioError, not_found
from studio.models import MediaAsset, MediaJob
from studio.providers import ProviderError
from studio.schemas import EditImage, GenerateImage, GenerateVideo, UpscaleImage, validation_details

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Media Studio API",
    version="1.0.0",
    description=(
        "Create and edit images and videos with Google's models within your plan's allowance. "
        "Authenticate with your session (and its CSRF token) or `Authorization: Bearer <token>` "
        "(`manage.py create_api_token USERNAME`). Every POST accepts an `Idempotency-Key` header "
        "(a UUID v4): a retry with the same key replays the first answer. Errors are "
        '`{"error": {"code": "...", "message": "..."}}`.'
    ),
    auth=[ApiTokenAuth(), SessionCsrfAuth()],
    urls_namespace="api-1.0.0",
)

JobKind = Literal["images", "videos"]


# --- Errors --------------------------------------------------------------------------------


def error_response(code: str, message: str, status: int, **extra) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)
    if "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


@api.exception_handler(StudioError)
def _studio_error(request, exc: StudioError):
    return error_response(exc.code, exc.message, exc.status, **exc.extra)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    details = validation_details(exc)
    summary = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
    return error_response("validation_error", summary or "The request is not valid.", 422, details=details)


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return error_response(
        "authentication_required", "Log in, or send Authorization: Bearer <API token>.", 401
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400 and "parse" in str(exc).lower():
        return error_response("malformed_json", "The request body is not valid JSON.", 400)
    if exc.status_code == 403:
        return error_response("forbidden", str(exc) or "Forbidden.", 403)
    if exc.status_code == 405:
        return error_response("method_not_allowed", "This endpoint does not accept that method.", 405)
    return error_response("bad_request", str(exc), exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error_response("request_too_large", "The request body is too large.", 413)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response("not_found", "Not found.", 404)


@api.exception_handler(ProviderError)
def _provider_error(request, exc: ProviderError):
    # Reached only outside jobs: signing a GCS link when the deployment cannot sign.
    log.error("provider error in a request: %s", exc.detail)
    return error_response("provider_unavailable", "Media storage is not available right now.", 503)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("API error on %s %s", request.method, request.path)
    return error_response("internal_error", "Something went wrong on our side. Nothing was charged.", 500)


# --- Submitting ----------------------------------------------------------------------------


def _submit(request: HttpRequest, operation: str, payload) -> JsonResponse:
    key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
    fingerprint = idempotency.fingerprint(request.method, request.path, payload.model_dump(mode="json"))

    def handler():
        job = services.submit_job(request.user, operation, payload)
        return 202, answers.accepted(job)

    status, body, replayed = idempotency.run_once(
        request.user, key, fingerprint, idempotency.ttl_minutes_for(operation), handler
    )
    response = JsonResponse(body, status=status)
    response["Location"] = body.get("status_url", "")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@api.post("/images/generate", tags=["images"], response={202: dict}, summary="Generate images")
def generate_image(request, payload: GenerateImage):
    """Text to image. FREE: one watermarked preview a day (Pollinations); JIVE and JIGGA: Google's
    image model, 1-4 images. Answers 202 with the job id and the cost in ZAR and USD."""
    return _submit(request, "generate_image", payload)


@api.post("/images/edit", tags=["images"], response={202: dict}, summary="Edit an image")
def edit_image(request, payload: EditImage):
    """Mask edit of one of your images (JIVE, JIGGA). The mask is a PNG of the image's size,
    base64 or a data URL, white where to edit."""
    return _submit(request, "edit_image", payload)


@api.post("/images/upscale", tags=["images"], response={202: dict}, summary="Upscale an image")
def upscale_image(request, payload: UpscaleImage):
    """x2/x3/x4 upscale of one of your images: v3 (JIVE, JIGGA) or v4 Ultra (JIGGA)."""
    return _submit(request, "upscale_image", payload)


@api.post("/videos/generate", tags=["videos"], response={202: dict}, summary="Generate a video")
def generate_video(request, payload: GenerateVideo):
    """Veo 3.1 text-to-video or image-to-video (JIVE, JIGGA). Seconds come from the audio pool
    when generate_audio is true."""
    return _submit(request, "generate_video", payload)


@api.post("/uploads", tags=["images"], response={201: dict}, summary="Upload an image")
def upload_image(request, file: File[UploadedFile] = None):
    """Upload a PNG, JPEG or WebP (at most 10 MB) to edit, upscale or animate. EXIF is removed.
    Answers 201 with the new image's id. Uploads are capped per user per minute and per 24 hours
    (count and bytes): 429 `rate_limited` or `upload_quota_exceeded` with Retry-After."""
    # The file parameter is optional so that a file stopped by the streaming size cap gets our
    # 413 rather than ninja's "field required".
    try:
        uploads.check_upload_cap(request)
    except uploads.UploadError as e:
        raise StudioError(e.code, e.message, status=e.status) from e
    if file is None:
        raise StudioError("validation_error", "Send the image as the multipart field 'file'.", status=422)
    key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    fingerprint = idempotency.fingerprint("POST", request.path, {"file": digest.hexdigest()})

    def handler():
        asset = services.save_upload(request.user, file)
        return 201, answers.asset(asset, absolute=request.build_absolute_uri)

    status, body, replayed = idempotency.run_once(
        request.user, key, fingerprint, idempotency.ttl_minutes_for("upload"), handler
    )
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# --- Jobs and assets -----------------------------------------------------------------------


def _user_job(request, kind: str, job_id: uuid.UUID) -> MediaJob:
    jobs = MediaJob.objects.for_user(request.user)
    if kind == "videos":
        jobs = jobs.filter(operation=MediaJob.Operation.GENERATE_VIDEO)
    else:
        jobs = jobs.exclude(operation=MediaJob.Operation.GENERATE_VIDEO)
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise not_found("job")
    return job


@api.get("/{kind}/{job_id}/status", tags=["jobs"], response=dict, url_name="job_status", summary="Job status")
def job_status(request, kind: JobKind, job_id: uuid.UUID):
    """State, a progress hint, timestamps, and the error code and message of a failed job."""
    return answers.status(_user_job(request, kind, job_id))


@api.get("/{kind}/{job_id}/result", tags=["jobs"], response=dict, url_name="job_result", summary="Job result")
def job_result(request, kind: JobKind, job_id: uuid.UUID):
    """The finished job's media as signed URLs valid for 24 hours (no session needed to fetch)."""
    job = _user_job(request, kind, job_id)
    if job.state != MediaJob.State.SUCCEEDED:
        if job.state == MediaJob.State.FAILED:
            raise StudioError(
                "job_failed", errors.job_error_message(job), status=409, job_error=job.error_code
            )
        raise StudioError(
            "not_ready", f"The job is {job.state}; poll its status.", status=409, state=job.state
        )
    return answers.result(job, absolute=request.build_absolute_uri)


@api.get("/jobs", tags=["jobs"], response=dict, summary="Your recent jobs")
def list_jobs(request, active: bool = False, limit: int = 20):
    """Your most recent jobs, newest first (active=true: only those not finished)."""
    jobs = MediaJob.objects.for_user(request.user)
    if active:
        jobs = jobs.active()
    return {"jobs": [answers.status(job) for job in jobs[: max(1, min(limit, 100))]]}


@api.get("/assets/{asset_id}", tags=["images"], response=dict, summary="One of your images or videos")
def get_asset(request, asset_id: uuid.UUID):
    asset = MediaAsset.objects.for_user(request.user).filter(pk=asset_id).first()
    if asset is None:
        raise not_found("asset")
    return answers.asset(asset, absolute=request.build_absolute_uri)


# --- Quota and health ----------------------------------------------------------------------


@api.get("/quota", tags=["account"], response=dict, summary="Your allowances")
def quota(request):
    """Every meter's allowance, used, reserved, remaining and reset time, with your tier and the
    prices per unit."""
    plan = billing.plan_for(request.user)
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
        for b in billing.remaining(request.user)
    ]
    prices = {
        price.price_class: pricing.quote(price.price_class, 1).as_dict() for price in Price.objects.all()
    }
    return {
        "tier": plan.code,
        "plan": {
            "name": plan.name,
            "price": pricing.format_zar(plan.price_cents),
            "upscale_models": plan.upscale_models,
        },
        "meters": meters,
        "prices": prices,
        "usd_to_zar_rate": str(pricing.current_rate()),
        "upgrade": [
            {"tier": p.code, "price": pricing.format_zar(p.price_cents)} for p in billing.upgrade_plans(plan)
        ],
    }


@api.get("/health", tags=["operations"], auth=None, response={200: dict, 503: dict}, summary="Health")
def health_check(request):
    """200 while the app can serve, 503 when it cannot, with status ok / degraded / unavailable
    and each check's verdict. Staff (session or bearer token) also get the details: each check's
    finding, circuit breakers, the model catalog and lifecycle warnings. Never shows a secret."""
    report = health.report(full=_is_staff(request))
    return JsonResponse(report, status=200 if report["serving"] else 503)


def _is_staff(request) -> bool:
    # auth=None on /health, so a bearer token is not read unless we ask.
    user = request.user if request.user.is_authenticated else ApiTokenAuth()(request)
    return bool(user and user.is_active and user.is_staff)


# --- LLM tools -----------------------------------------------------------------------------


@api.get("/tools", tags=["tools"], response=dict, summary="Tool definitions for an LLM")
def tool_definitions(request):
    """The four tools in OpenAI's `tools` shape and Gemini's `functionDeclarations` shape."""
    return {"openai": tools.openai_tools(), "gemini": tools.gemini_tools()}


class ToolCall(Schema):
    name: str = Field(description="generate_image, edit_image, upscale_image or generate_video")
    arguments: dict | str = Field(
        default_factory=dict, description="The tool's arguments (an object or a JSON string)"
    )


@api.post("/tools/call", tags=["tools"], response={200: dict, 202: dict, 404: dict}, summary="Call a tool")
def call_tool(request, payload: ToolCall):
    """Run one tool for you. 202 with the job id and quote, or 200 with ok=false and a refusal
    (upgrade_required, quota_exceeded, validation_error ...) an LLM can relay."""
    key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
    fingerprint = idempotency.fingerprint("POST", request.path, payload.model_dump(mode="json"))
    status, body, replayed = idempotency.run_once(
        request.user,
        key,
        fingerprint,
        idempotency.ttl_minutes_for(payload.name),
        lambda: tools.call_tool(request.user, payload.name, payload.arguments),
    )
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response
