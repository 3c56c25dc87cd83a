"""The web side of a job: the tier gate, the quote, and the submit every channel goes through.

    plan_job()        the tier gate: which provider operation, meter, units and price class
    quote_job()       the cost estimate the pages show (no reservation)
    submit_job()      tier gate → input checks → allowance reserve → job row → enqueue on commit

The worker side (run, poll videos, sweep) is studio/worker.py.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel

from billing import pricing
from billing import services as billing
from billing.models import Meter, PriceClass
from studio import errors, limits, providers, uploads
from studio.errors import StudioError, not_found, upgrade_required, validation_error
from studio.models import MediaAsset, MediaJob
from studio.providers import catalog, resilience
from studio.schemas import EditImage, GenerateImage, GenerateVideo, UpscaleImage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """What the tier gate decided for one request."""

    provider_operation: providers.Operation
    meter: str
    units: int
    price_class: str
    watermark: bool


# What the price list calls each upscale model; the Upscale tab shows the price of both.
UPSCALE_PRICE_CLASSES = {"v3": PriceClass.UPSCALE_V3, "v4": PriceClass.UPSCALE_V4}
# The pages warn before this refusal (studio/pages/upscale.py).
MAX_UPSCALED_PIXELS = catalog.MAX_UPSCALED_PIXELS


def plan_job(user, operation: str, params: BaseModel) -> Plan:
    """The tier gate: which provider operation, meter, units and price class serve this request,
    or StudioError(upgrade_required) when the user's plan does not offer it at all."""
    plan = billing.plan_for(user)
    if isinstance(params, GenerateImage):
        if plan.watermark_output:
            # The FREE preview: Pollinations, free to us, watermarked in the file.
            return Plan(
                providers.Operation.IMAGE_PREVIEW, Meter.IMAGES, params.count, PriceClass.POLLINATIONS, True
            )
        return Plan(providers.Operation.IMAGE_GENERATE, Meter.IMAGES, params.count, PriceClass.IMAGE, False)
    if isinstance(params, EditImage):
        if plan.edit_demo_only:
            raise upgrade_required(
                f"Editing images is not part of the {plan.name} plan (the editor is a demo). "
                "Upgrade to edit your own images.",
                tier=plan.code,
                upgrade=billing.upgrade_options(plan, Meter.EDITS, params.count),
            )
        return Plan(providers.Operation.IMAGE_EDIT, Meter.EDITS, params.count, PriceClass.IMAGE, False)
    if isinstance(params, UpscaleImage):
        if params.model not in plan.upscale_models:
            wanted = "V4 Ultra" if params.model == "v4" else "upscaling"
            offering = {p.code for p in billing.upgrade_plans(plan) if params.model in p.upscale_models}
            options = [o for o in billing.upgrade_options(plan, Meter.UPSCALES, 1) if o["tier"] in offering]
            raise upgrade_required(
                f"The {plan.name} plan does not include {wanted}.", tier=plan.code, upgrade=options
            )
        operation = providers.Operation.UPSCALE_V4 if params.model == "v4" else providers.Operation.UPSCALE_V3
        price_class = UPSCALE_PRICE_CLASSES[params.model]
        return Plan(operation, Meter.UPSCALES, 1, price_class, False)
    if isinstance(params, GenerateVideo):
        meter = Meter.VIDEO_AUDIO_SECONDS if params.generate_audio else Meter.VIDEO_SECONDS
        if plan.video_samples_only:
            raise upgrade_required(
                f"Making videos is not part of the {plan.name} plan; it has the sample gallery.",
                tier=plan.code,
                upgrade=billing.upgrade_options(plan, meter, params.billed_seconds),
            )
        operation = providers.Operation.VIDEO_FAST if params.fast else providers.Operation.VIDEO
        price_class = PriceClass.VIDEO_AUDIO if params.generate_audio else PriceClass.VIDEO
        return Plan(operation, meter, params.billed_seconds, price_class, False)
    raise TypeError(f"unknown request type {type(params).__name__}")


def quote_job(user, operation: str, params: BaseModel) -> tuple[Plan, pricing.Quote]:
    """The cost estimate the pages show as the form changes (no reservation)."""
    job_plan = plan_job(user, operation, params)
    return job_plan, pricing.quote(job_plan.price_class, job_plan.units)


def submit_job(user, operation: str, params: BaseModel) -> MediaJob:
    """Accept a request: gate, check its inputs, reserve the allowance, create the job, enqueue.

    Raises StudioError (nothing reserved, nothing charged) when the request is refused.
    Call inside a transaction if the caller has more to commit with it (the idempotency record).
    """
    job_plan = plan_job(user, operation, params)
    mask_png = _check_inputs(user, params)
    try:
        route = catalog.resolve(job_plan.provider_operation)
    except providers.ProviderError as e:
        # A model setting that cannot serve this operation: the operator's to fix, not the user's.
        log.error("refused a %s submit: %s", job_plan.provider_operation, e.detail)
        raise errors.provider_unavailable() from e
    job_id = uuid.uuid4()
    trial = _admit_past_breaker(route, job_id)
    try:
        return _create_job(user, operation, params, job_id, job_plan, route, mask_png)
    except BaseException:
        if trial:  # the job that was to be the breaker's trial will not exist
            resilience.end_trial(route.model_id, route.family, str(job_id))
        raise


def _create_job(user, operation, params, job_id, job_plan, route, mask_png) -> MediaJob:
    reference = f"job:{job_id}"
    now = timezone.now()
    with transaction.atomic():
        limits.check_submit_rate(user)  # every channel comes through here; the lock lasts to commit
        try:
            billing.reserve(user, job_plan.meter, job_plan.units, reference)
        except billing.QuotaExceeded as e:
            raise StudioError(
                "quota_exceeded",
                f"Not enough allowance left: {e}.",
                status=429,
                **e.as_dict(),
            ) from e
        quote = pricing.quote(job_plan.price_class, job_plan.units)
        job = MediaJob(
            id=job_id,
            owner=user,
            operation=operation,
            params=params.model_dump(mode="json", exclude={"mask"}),
            provider_operation=job_plan.provider_operation,
            model=route.model_id,
            meter=job_plan.meter,
            price_class=job_plan.price_class,
            units=job_plan.units,
            watermark=job_plan.watermark,
            reservation_reference=reference,
            quote_zar_cents=quote.zar_cents,
            quote_usd_micros=quote.usd_micros,
            created_at=now,
            lease_until=now + timedelta(seconds=settings.JOB_REQUEUE_SECONDS),
        )
        if mask_png is not None:
            job.mask.save(f"{job_id}.png", ContentFile(mask_png), save=False)
        job.save()
        transaction.on_commit(lambda: enqueue_job(job.id))
    return job


def enqueue_job(job_id) -> None:
    from django_q.tasks import async_task

    async_task("studio.tasks.run_job", str(job_id), task_name=f"job {job_id}")


def _check_inputs(user, params: BaseModel) -> bytes | None:
    """Own-image references must be the user's images; a mask must fit its image. Returns the
    cleaned mask PNG, if any."""
    images = {
        field: user_image(user, getattr(params, field))
        for field in ("image_id", "first_frame_id", "last_frame_id")
        if getattr(params, field, None) is not None
    }
    factor = getattr(params, "factor", None)
    if factor:
        image = images["image_id"]
        scale = int(factor.removeprefix("x"))
        if image.width * scale * image.height * scale > MAX_UPSCALED_PIXELS:
            raise validation_error(
                f"{factor} would make this {image.width}×{image.height} image "
                f"{image.width * scale}×{image.height * scale}, above the upscaler's "
                f"{MAX_UPSCALED_PIXELS // 1_000_000} megapixels: choose a smaller factor.",
                [{"field": "factor", "message": "result too large"}],
            )
    mask = getattr(params, "mask", None)
    if not mask:
        return None
    image = images["image_id"]
    try:
        return uploads.clean_mask(uploads.decode_data_url(mask), (image.width, image.height))
    except uploads.UploadError as e:
        raise StudioError(e.code, e.message, status=e.status) from e


def user_image(user, asset_id) -> MediaAsset:
    try:
        return MediaAsset.objects.for_user(user).images().get(pk=asset_id)
    except (MediaAsset.DoesNotExist, ValueError):
        raise not_found("image") from None


def _admit_past_breaker(route: catalog.Route, job_id) -> bool:
    """Refuse the submit while the model's breaker is open; True when this job is its trial.

    One read of the breaker decides (resilience.SharedBreaker.admit). Within the reset timeout
    the answer says when it ends. After it, the first submit claims the trial for its job (once
    across all processes) and is accepted; its outcome closes or re-opens the breaker, and other
    submits meanwhile are told to come back when the trial will have decided.
    """
    admission = resilience.admit(route.model_id, route.family, holder=str(job_id))
    if not admission.allowed:
        log.info("refused a submit: the %s breaker is open (%ss)", route.model_id, admission.retry_after)
        raise errors.provider_unavailable(retry_after=admission.retry_after)
    if admission.trial:
        log.info("job %s is the trial call for the %s breaker", job_id, route.model_id)
    return admission.trial is not None
