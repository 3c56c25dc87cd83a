"""The API's refusals: every stable code with its HTTP status, the error body as an OpenAPI
component, the handlers that turn exceptions into that body, and `route`, which documents each
endpoint's answers from the codes it may meet.

Every error answer is `{"error": {"code": ..., "message": ...}}` with the codes of
studio/errors.py (README: "Error codes").
"""

from __future__ import annotations

import logging
from typing import Literal

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict

from studio.errors import StudioError
from studio.messages import validation_details
from studio.providers import ProviderError

log = logging.getLogger(__name__)

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
        "your tier does not include this; `upgrade` lists the plans that do, with prices, and "
        "`plans_url` is the page where the user subscribes",
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
    "unsupported_aspect_ratio": (
        422,
        "the image model in use does not make that aspect ratio (`supported` lists those it makes)",
    ),
    "unsupported_image_size": (
        422,
        "the image model in use does not make that size (`supported` lists those it makes)",
    ),
    "too_many_images": (
        422,
        "more images than the model takes in one request (`most`): compose's inputs, a video's references",
    ),
    "unsupported_resolution": (
        422,
        "the video model chosen does not make that resolution (`supported` lists those it makes)",
    ),
    "video_too_long": (422, "extend: the video is longer than Veo extends (`seconds`, `most`: 30)"),
    "quota_exceeded": (
        429,
        "not enough allowance left: `remaining`, `resets_at`, `upgrade`, `plans_url` (where to subscribe)",
    ),
    "rate_limited": (429, "too many requests in a minute (`retry_after`, `Retry-After`)"),
    "upload_quota_exceeded": (
        429,
        "the day's upload count or bytes are used up (`retry_after`, `Retry-After`)",
    ),
    "internal_error": (500, "a bug on our side; nothing was charged"),
    "provider_rejected": (
        422,
        "the model answered with nothing usable for this request (the prompt helper); try rewording it",
    ),
    "provider_unavailable": (
        503,
        "the model cannot take work now (nothing reserved); `retry_after` when known",
    ),
    "price_missing": (
        503,
        "the model has no price for this option yet, an operator's to add (nothing reserved)",
    ),
}
# The one code that is not an HTTP error: /tools/call answers an unknown tool name 404 in its own shape.
TOOL_ERRORS = {"unknown_tool": "there is no tool by that name (`tools` lists them)"}

ErrorCode = Literal[tuple([*API_ERRORS, *TOOL_ERRORS])]  # type: ignore[valid-type]

# The refusals every operation of a signed-in user may meet, and those of every POST.
SIGNED_IN = ("authentication_required",)
POST = (
    *SIGNED_IN,
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
SUBMIT = (
    *POST,
    "upgrade_required",
    "quota_exceeded",
    "rate_limited",
    "provider_unavailable",
    "price_missing",
)


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


def route(router: Router, method: str, path: str, *, ok: dict, error_codes: tuple[str, ...], **kwargs):
    """router.get / router.post with the success answers `ok` (status → response model) and every
    error answer documented: each status the `error_codes` come with → ErrorResponse, described by
    those codes. Every operation may also answer 500 `internal_error`."""
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
    return getattr(router, method)(path, response=response, openapi_extra=extra, **kwargs)


def error_response(code: str, message: str, status: int, **extra) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)
    if "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


def install(api: NinjaAPI) -> None:
    """Answer every exception an endpoint can raise with the error body and its stable code."""

    @api.exception_handler(StudioError)
    def _studio_error(request, exc: StudioError):
        return error_response(exc.code, exc.message, exc.status, **exc.extra)

    @api.exception_handler(ValidationError)
    def _validation_error(request, exc: ValidationError):
        details = validation_details(exc)
        summary = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
        return error_response(
            "validation_error", summary or _("The request is not valid."), 422, details=details
        )

    @api.exception_handler(AuthenticationError)
    def _authentication_error(request, exc):
        return error_response(
            "authentication_required", _("Log in, or send Authorization: Bearer <API token>."), 401
        )

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        # ninja raises HttpError(400) from the JSON parser's error for a body it cannot read.
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            return error_response("malformed_json", _("The request body is not valid JSON."), 400)
        if exc.status_code == 403:
            return error_response("forbidden", str(exc) or _("Forbidden."), 403)
        if exc.status_code == 405:
            return error_response("method_not_allowed", _("This endpoint does not accept that method."), 405)
        return error_response("bad_request", str(exc), exc.status_code)

    @api.exception_handler(MultiPartParserError)
    def _unreadable_multipart(request, exc):
        # A multipart Content-Type without a boundary, or a body that is not one: the client's fault.
        return error_response(
            "bad_request", _("The multipart body cannot be read; send the file as form-data."), 400
        )

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return error_response("request_too_large", _("The request body is too large."), 413)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return error_response("not_found", _("Not found."), 404)

    @api.exception_handler(ProviderError)
    def _provider_error(request, exc: ProviderError):
        # Reached only outside jobs: signing a GCS link when the deployment cannot sign.
        log.error("provider error in a request: %s", exc.detail)
        return error_response("provider_unavailable", _("Media storage is not available right now."), 503)

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        log.exception("API error on %s %s", request.method, request.path)
        return error_response(
            "internal_error", _("Something went wrong on our side. Nothing was charged."), 500
        )
