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
from django.http.multipartparser import MultiPartParserError
from ninja import Field, File, NinjaAPI, Schema, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict

from billing import pricing
from billing import services as billing
from billing.models import Price
from studio import answers, assets, errors, health, idempotency, jobs, tools, uploads
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

# Every code a request can be refused with: its HTTP status and when it comes. The OpenAPI
# document is made from this table (the `code` enum and each operation's error responses), and
# a test checks that every code the studio raises is in it (README, "Error codes").
API_ERRORS: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "the body is not JSON"),
    "bad_request": (400, "the request cannot be read (e.g. a multipart body that is not one)"),
    "invalid_idempotency_key": (400, "`Idempotency-Key` is not a UUID v4"),
    "invalid_image": (400, "the upload is not a readable image"),
    "image_too_large": (400, "the image is more than 40 MP or 8192 px a side"),
    "invalid_mask": (400, "the mask is not a PNG, or marks nothing"),
    "mask_size_mismatch": (400, "the mask is not the image's pixel size"),
    "authentication_required": (401, "no session or bearer token"),
    "forbidden": (403, "a session request without its CSRF token"),
    "upgrade_required": (
        403,
        "your tier does not include this; `upgrade` lists the plans that do, with prices",
    ),
    "not_found": (404, "no such job, image or asset of yours (another user's ids answer this too)"),
    "method_not_allowed": (405, "the path does not take that method"),
    "idempotency_conflict": (
        409,
        "a request with this `Idempotency-Key` is still running (`Retry-After: 1`)",
    ),
    "not_ready": (409, "the job has not finished; poll its status (`state`)"),
    "job_failed": (409, "the job failed, uncharged (`job_error` is its code)"),
    "request_too_large": (413, "a JSON body over 8 MB"),
    "upload_too_large": (413, "a file over 10 MB (stopped while streaming)"),
    "unsupported_image_type": (415, "not PNG, JPEG or WebP, or animated"),
    "validation_error": (
        422,
        "a field is missing, unknown, out of range or contradicts another; `details` lists each",
    ),
    "idempotency_mismatch": (422, "this `Idempotency-Key` was used for a different request"),
    "quota_exceeded": (429, "not enough allowance left: `remaining`, `resets_at`, `upgrade`"),
    "rate_limited": (429, "too many requests in a minute (`retry_after`, `Retry-After`)"),
    "upload_quota_exceeded": (
        429,
        "the day's upload count or bytes are used up (`retry_after`, `Retry-After`)",
    ),
    "internal_error": (500, "a bug on our side; nothing was charged"),
    "provider_unavailable": (
        503,
        "the model cannot take work now (nothing reserved); `retry_after` when known",
    ),
}
# The one code that is not an HTTP error: /tools/call answers an unknown tool name 404 in its own shape.
TOOL_ERRORS = {"unknown_tool": "there is no tool by that name (`tools` lists them)"}

ErrorCode = Literal[tuple([*API_ERRORS, *TOOL_ERRORS])]  # type: ignore[valid-type]


class FieldProblem(Schema):
    field: str = Field(
        description="The field at fault, dotted (`outpaint.left`); empty for the whole request."
    )
    message: str = Field(description="What is wrong with it, in words.")
    type: str | None = Field(
        None,
        description="pydantic's error type, stable for programs: `missing`, `extra_forbidden`, "
        "`literal_error`, `string_too_short`, `prompt_without_meaning`, ...",
    )


class ErrorBody(Schema):
    model_config = ConfigDict(extra="allow")  # code-specific fields: remaining, resets_at, upgrade, ...

    code: ErrorCode = Field(  # type: ignore[valid-type]
        description="Stable machine code. "
        + " ".join(f"`{code}` ({status}): {when}." for code, (status, when) in API_ERRORS.items())
    )
    message: str = Field(description="A sentence to show the user: what happened and what to do.")
    details: list[FieldProblem] | None = Field(None, description="validation_error: each field's problem.")
    retry_after: int | None = Field(None, description="Seconds to wait before retrying (also `Retry-After`).")


class ErrorResponse(Schema):
    """Every error answer: `{"error": {"code", "message", ...}}`. Refusals cost nothing."""

    error: ErrorBody


def route(method: str, path: str, *, ok: dict, error_codes: tuple[str, ...], **kwargs):
    """api.get / api.post with the success answers `ok` and every error answer documented: each
    status the `errors` codes come with → ErrorResponse, described by those codes. Every
    operation may also answer 500 `internal_error`."""
    by_status: dict[int, list[str]] = {}
    for code in sorted({*error_codes, "internal_error"}, key=lambda c: (API_ERRORS[c][0], c)):
        by_status.setdefault(API_ERRORS[code][0], []).append(code)
    extra = kwargs.pop("openapi_extra", {})
    extra.setdefault("responses", {}).update(
        {
            status: {"description": "; ".join(f"`{code}`: {API_ERRORS[code][1]}" for code in codes)}
            for status, codes in by_status.items()
        }
    )
    response = {**ok, **dict.fromkeys(by_status, ErrorResponse)}
    return getattr(api, method)(path, response=response, openapi_extra=extra, **kwargs)


# The refusals every operation of a signed-in user may meet, and those of every POST.
_SIGNED_IN = ("authentication_required",)
_POST = (
    *_SIGNED_IN,
    "malformed_json",
    "bad_request",
    "forbidden",
    "request_too_large",
    "validation_error",
    "invalid_idempotency_key",
    "idempotency_conflict",
    "idempotency_mismatch",
)
# A submit also meets the tier gate, the allowance, the submit rate limit and the breaker.
_SUBMIT = (*_POST, "upgrade_required", "quota_exceeded", "rate_limited", "provider_unavailable")


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


@api.exception_handler(MultiPartParserError)
def _unreadable_multipart(request, exc):
    # A multipart Content-Type without a boundary, or a body that is not one: the client's fault.
    return error_response(
        "bad_request", "The multipart body cannot be read; send the file as form-data.", 400
    )


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
        job = jobs.submit_job(request.user, operation, payload)
        return 202, answers.accepted(job)

    status, body, replayed = idempotency.run_once(
        request.user, key, fingerprint, idempotency.ttl_minutes_for(operation), handler
    )
    response = JsonResponse(body, status=status)
    response["Location"] = body.get("status_url", "")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@route(
    "post",
    "/images/generate",
    ok={202: dict},
    error_codes=_SUBMIT,
    tags=["images"],
    summary="Generate images",
)
def generate_image(request, payload: GenerateImage):
    """Text to image. FREE: one watermarked preview a day (Pollinations); JIVE and JIGGA: Google's
    image model, 1-4 images. Answers 202 with the job id and the cost in ZAR and USD."""
    return _submit(request, "generate_image", payload)


@route(
    "post",
    "/images/edit",
    ok={202: dict},
    error_codes=(*_SUBMIT, "not_found", "invalid_mask", "mask_size_mismatch"),
    tags=["images"],
    summary="Edit an image",
)
def edit_image(request, payload: EditImage):
    """Mask edit of one of your images (JIVE, JIGGA). The mask is a PNG of the image's size,
    base64 or a data URL, white where to edit."""
    return _submit(request, "edit_image", payload)


@route(
    "post",
    "/images/upscale",
    ok={202: dict},
    error_codes=(*_SUBMIT, "not_found"),
    tags=["images"],
    summary="Upscale an image",
)
def upscale_image(request, payload: UpscaleImage):
    """x2/x3/x4 upscale of one of your images: v3 (JIVE, JIGGA) or v4 Ultra (JIGGA)."""
    return _submit(request, "upscale_image", payload)


@route(
    "post",
    "/videos/generate",
    ok={202: dict},
    error_codes=(*_SUBMIT, "not_found"),
    tags=["videos"],
    summary="Generate a video",
)
def generate_video(request, payload: GenerateVideo):
    """Veo 3.1 text-to-video or image-to-video (JIVE, JIGGA). Seconds come from the audio pool
    when generate_audio is true."""
    return _submit(request, "generate_video", payload)


@route(
    "post",
    "/uploads",
    ok={201: dict},
    error_codes=(
        *_SIGNED_IN,
        "bad_request",
        "forbidden",
        "validation_error",
        "invalid_idempotency_key",
        "idempotency_conflict",
        "idempotency_mismatch",
        "invalid_image",
        "image_too_large",
        "upload_too_large",
        "unsupported_image_type",
        "rate_limited",
        "upload_quota_exceeded",
    ),
    # `file` is required; the view takes it as optional only so that a file stopped by the
    # streaming size cap answers 413 upload_too_large rather than "field required".
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "description": "A PNG, JPEG or WebP image, at most 10 MB, 40 MP and 8192 px "
                                "a side, not animated (anything else: 400 invalid_image or image_too_large, "
                                "413, 415)."
                            }
                        },
                    }
                }
            }
        }
    },
    tags=["images"],
    summary="Upload an image",
)
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
        asset = assets.save_upload(request.user, file)
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


@route(
    "get",
    "/{kind}/{job_id}/status",
    ok={200: dict},
    error_codes=(*_SIGNED_IN, "not_found", "validation_error"),
    tags=["jobs"],
    url_name="job_status",
    summary="Job status",
)
def job_status(request, kind: JobKind, job_id: uuid.UUID):
    """State, a progress hint, timestamps, and the error code and message of a failed job."""
    return answers.status(_user_job(request, kind, job_id))


@route(
    "get",
    "/{kind}/{job_id}/result",
    ok={200: dict},
    error_codes=(
        *_SIGNED_IN,
        "not_found",
        "validation_error",
        "not_ready",
        "job_failed",
        "provider_unavailable",
    ),
    tags=["jobs"],
    url_name="job_result",
    summary="Job result",
)
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


@route(
    "get",
    "/jobs",
    ok={200: dict},
    error_codes=(*_SIGNED_IN, "validation_error"),
    tags=["jobs"],
    summary="Your recent jobs",
)
def list_jobs(request, active: bool = False, limit: int = 20):
    """Your most recent jobs, newest first (active=true: only those not finished)."""
    jobs = MediaJob.objects.for_user(request.user)
    if active:
        jobs = jobs.active()
    return {"jobs": [answers.status(job) for job in jobs[: max(1, min(limit, 100))]]}


@route(
    "get",
    "/assets/{asset_id}",
    ok={200: dict},
    error_codes=(*_SIGNED_IN, "not_found", "validation_error", "provider_unavailable"),
    tags=["images"],
    summary="One of your images or videos",
)
def get_asset(request, asset_id: uuid.UUID):
    asset = MediaAsset.objects.for_user(request.user).filter(pk=asset_id).first()
    if asset is None:
        raise not_found("asset")
    return answers.asset(asset, absolute=request.build_absolute_uri)


# --- Quota and health ----------------------------------------------------------------------


@route("get", "/quota", ok={200: dict}, error_codes=_SIGNED_IN, tags=["account"], summary="Your allowances")
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


class HealthReport(Schema):
    """/health: 200 while the app can serve (ok or degraded), 503 when it cannot. Staff get each
    check's details; anyone else each check's ok."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="ok, degraded or unavailable")
    serving: bool = Field(description="Whether the app can take requests (200) or not (503).")
    checks: dict = Field(description="Each check (database, broker, cluster, storage, ...) with its `ok`.")


@route(
    "get",
    "/health",
    ok={200: HealthReport, 503: HealthReport},
    error_codes=(),
    auth=None,
    tags=["operations"],
    summary="Health",
)
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


@route(
    "get",
    "/tools",
    ok={200: dict},
    error_codes=_SIGNED_IN,
    tags=["tools"],
    summary="Tool definitions for an LLM",
)
def tool_definitions(request):
    """The four tools in OpenAI's `tools` shape and Gemini's `functionDeclarations` shape."""
    return {"openai": tools.openai_tools(), "gemini": tools.gemini_tools()}


class ToolCall(Schema):
    name: str = Field(description="generate_image, edit_image, upscale_image or generate_video")
    arguments: dict | str = Field(
        default_factory=dict, description="The tool's arguments (an object or a JSON string)"
    )


class ToolRefusal(Schema):
    """A call the LLM should relay rather than retry: 200 for a refused call (arguments, tier,
    allowance, rate), 404 for a tool name that does not exist."""

    ok: Literal[False]
    error: ErrorBody
    message: str = Field(description="A sentence to pass on to the user.")


@route(
    "post",
    "/tools/call",
    ok={200: ToolRefusal, 202: dict, 404: ToolRefusal},
    error_codes=_POST,
    openapi_extra={
        "responses": {
            200: {
                "description": "A refused call (`ok: false`): relay `message` (validation, tier, allowance)"
            },
            202: {"description": "The job was accepted (`ok: true`), with its id, quote and `message`"},
            404: {"description": "`unknown_tool`: " + TOOL_ERRORS["unknown_tool"]},
        }
    },
    tags=["tools"],
    summary="Call a tool",
)
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
