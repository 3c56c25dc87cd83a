"""The media endpoints: submit a job (one per operation), upload an image, follow a job, fetch
an asset. Every submit and the upload are `@idempotent` (studio/idempotency.py)."""

from __future__ import annotations

import hashlib
import inspect
import uuid
from typing import Literal

from django.utils.translation import gettext as _
from ninja import File, Router, UploadedFile

from studio import accounts, answers, assets, errors, idempotency, jobs, operations, uploads
from studio.api.errors import SIGNED_IN, SUBMIT, route
from studio.errors import StudioError, not_found
from studio.models import MediaAsset, MediaJob

router = Router()

JobKind = Literal["images", "videos"]
ACCEPTED = {202: answers.JobAccepted}


# --- Submitting ----------------------------------------------------------------------------


def _payload(request, payload, **_) -> dict:
    return payload.model_dump(mode="json")


def _submitting(operation: str):
    """@idempotent for a submit of `operation`: the payload identifies it, its key lives as long
    as the operation's, the answer's status_url is its Location."""
    return idempotency.idempotent(
        identity=_payload,
        lifetime_minutes=lambda **_: idempotency.ttl_minutes_for(operation),
        location=True,
    )


def _submit_endpoint(operation: operations.Operation):
    """POST <operation.api_path>: the operation's schema is the body; ninja reads it from the
    signature, so the endpoint is made with one."""

    def submit(request, payload):
        job = jobs.submit_job(request.user, operation.name, payload)
        return 202, answers.accepted(job)

    submit.__name__ = submit.__qualname__ = operation.name  # the OpenAPI operationId
    submit.__doc__ = operation.api_description
    submit.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(
                "payload", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=operation.schema
            ),
        ]
    )
    return route(
        router,
        "post",
        operation.api_path,
        ok=ACCEPTED,
        error_codes=(*SUBMIT, *operation.api_error_codes),
        tags=[f"{operation.output_kind}s"],
        summary=operation.api_summary,
    )(_submitting(operation.name)(submit))


# One submit endpoint per operation in the registry: a new operation needs no code here.
for _operation in operations.all():
    _submit_endpoint(_operation)


def _upload_identity(request, file) -> dict:
    """The upload's refusals that come before anything else (the caps, no file), then its digest:
    the same picture sent again under the same key is the same request."""
    try:
        uploads.check_upload_cap(request)
    except uploads.UploadError as e:
        raise StudioError(e.code, e.message, status=e.status) from e
    if file is None:
        raise StudioError("validation_error", _("Send the image as the multipart field 'file'."), status=422)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return {"file": digest.hexdigest()}


@route(
    router,
    "post",
    "/uploads",
    ok={201: answers.AssetAnswer},
    error_codes=(
        *SIGNED_IN,
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
@idempotency.idempotent(
    identity=_upload_identity, lifetime_minutes=lambda **_: idempotency.ttl_minutes_for("upload")
)
def upload_image(request, file: File[UploadedFile] = None):  # type: ignore[assignment]  # ninja's form
    """Upload a PNG, JPEG or WebP (at most 10 MB) to edit, upscale or animate. EXIF is removed.
    Answers 201 with the new image's id. Uploads are capped per user per minute and per 24 hours
    (count and bytes): 429 `rate_limited` or `upload_quota_exceeded` with Retry-After."""
    asset = assets.save_upload(request.user, file)
    return 201, answers.asset(asset, absolute=request.build_absolute_uri)


# --- Jobs and assets -----------------------------------------------------------------------


def _kind_operations(kind: str) -> list[str]:
    return operations.names(output_kind="video" if kind == "videos" else "image")


def _user_job(request, kind: str, job_id: uuid.UUID) -> MediaJob:
    job = (
        MediaJob.objects.for_user(request.user)
        .filter(operation__in=_kind_operations(kind), pk=job_id)
        .first()
    )
    if job is None:
        raise not_found("job")
    return job


@route(
    router,
    "get",
    "/{kind}/{job_id}/status",
    ok={200: answers.JobStatus},
    error_codes=(*SIGNED_IN, "not_found", "validation_error"),
    tags=["jobs"],
    url_name="job_status",
    summary="Job status",
)
def job_status(request, kind: JobKind, job_id: uuid.UUID):
    """State, a progress hint, timestamps, and the error code and message of a failed job."""
    job = MediaJob.objects.user_job_columns(
        request.user, job_id, _kind_operations(kind), answers.STATUS_FIELDS
    )
    if job is None:
        raise not_found("job")
    return answers.status(job)


@route(
    router,
    "get",
    "/{kind}/{job_id}/result",
    ok={200: answers.JobResult},
    error_codes=(
        *SIGNED_IN,
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
            "not_ready",
            _("The job is %(state)s; poll its status.") % {"state": job.state},
            status=409,
            state=job.state,
        )
    return answers.result(job, absolute=request.build_absolute_uri)


@route(
    router,
    "get",
    "/jobs",
    ok={200: answers.JobList},
    error_codes=(*SIGNED_IN, "validation_error"),
    tags=["jobs"],
    summary="Your recent jobs",
)
def list_jobs(request, active: bool = False, limit: int = 20):
    """Your most recent jobs, newest first (active=true: only those not finished)."""
    mine = MediaJob.objects.for_user(request.user)
    if active:
        mine = mine.active()
    return {"jobs": [answers.status(job) for job in mine[: max(1, min(limit, 100))]]}


@route(
    router,
    "get",
    "/assets/{asset_id}",
    ok={200: answers.AssetAnswer},
    error_codes=(*SIGNED_IN, "not_found", "validation_error", "provider_unavailable"),
    tags=["images"],
    summary="One of your images or videos",
)
def get_asset(request, asset_id: uuid.UUID):
    asset = MediaAsset.objects.for_user(request.user).filter(pk=asset_id).first()
    if asset is None:
        raise not_found("asset")
    return answers.asset(asset, absolute=request.build_absolute_uri)


@route(
    router,
    "delete",
    "/assets/{asset_id}",
    ok={204: None},
    error_codes=(*SIGNED_IN, "forbidden", "not_found", "validation_error"),
    tags=["images"],
    summary="Delete one of your images or videos",
)
def delete_asset(request, asset_id: uuid.UUID):
    """Deletes the image or video and its file, thumbnail and poster from storage, for good. The
    allowance it used is not given back. Another user's id answers 404 `not_found`, as a missing one."""
    accounts.delete_asset(request.user, asset_id)
    return 204, None
