"""The web side of a job: the tier gate, the quote, and the submit every channel goes through.

    plan_job()        the tier gate (the operation's, studio/operations/): capability, meter, units, price
    quote_job()       the cost estimate of a whole request (no reservation)
    submit_job()      tier gate → input checks → allowance reserve → job row → enqueue on commit

The worker side (run, poll videos, sweep) is studio/worker.py.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel

from billing import pricing
from billing import services as billing
from mediastudio import sql
from mediastudio.sql import in_a_transaction
from studio import errors, limits, operations, providers
from studio.errors import not_found
from studio.models import MediaAsset, MediaJob
from studio.operations import JobPlan

log = logging.getLogger(__name__)


def plan_job(user, operation: str, params: BaseModel) -> JobPlan:
    """The tier gate: which provider capability, meter, units and price class serve this
    request, or StudioError(upgrade_required) when the user's plan does not offer it at all."""
    op = operations.get(operation)
    return op.admit(billing.plan_for(user), op.units(params), **op.choices_of(params))


def quote_job(user, operation: str, params: BaseModel) -> tuple[JobPlan, pricing.Quote]:
    """The cost estimate of a whole request (no reservation); operations.quote() prices
    units and options without one."""
    op = operations.get(operation)
    return operations.quote(user, operation, op.units(params), **op.choices_of(params))


def submit_job(user, operation: str, params: BaseModel) -> MediaJob:
    """Accept a request: gate, check its inputs, reserve the allowance, create the job, enqueue.

    Raises StudioError (nothing reserved, nothing charged) when the request is refused.

    One transaction, no savepoint: inside a caller's (the idempotency record's, run_once) it is
    part of that one. Every refusal is raised before anything is written (the allowance UPDATE
    that misses writes nothing), so a caller may catch it and go on. On
    PostgreSQL an accepted submit is BEGIN, the plan read with the user's subscription locked,
    the allowance UPDATE (with the rate limit in it), the reservation and job INSERTs, COMMIT;
    the model's price comes from pricing's short cache and the enqueue runs on commit.
    """
    with in_a_transaction():
        # The user's submits one at a time from here to commit (the rate limit counts exactly);
        # the same statement reads the plan the tier gate asks for.
        billing.plan_for(user, lock=True)
        job_plan = plan_job(user, operation, params)
        files = _check_inputs(user, operation, params)
        # A model setting that cannot serve this operation is the operator's to fix, not the user's.
        route = operations.route_for(job_plan)
        op = operations.get(operation)
        # What that model cannot make (an aspect ratio, a size, too many images) is refused here.
        op.check_model(route.model, params.model_dump())
        # Priced by the model the route resolved to; no price row refuses here, before any reserve.
        quote = operations.price(job_plan, op.price_variant(**op.choices_of(params)), route.model_id)
        job_id = uuid.uuid4()
        trial = _admit_past_breaker(route, job_id)
        try:
            return _create_job(user, operation, params, job_id, job_plan, route, files, quote)
        except BaseException:
            if trial:  # the job that was to be the breaker's trial will not exist
                providers.end_trial(route.model_id, route.family, str(job_id))
            raise


def _create_job(user, operation, params, job_id, job_plan, route, files, quote) -> MediaJob:
    reference = f"job:{job_id}"
    now = timezone.now()
    try:
        # Every channel comes through here: the rate limit is checked in the reserve's UPDATE.
        billing.reserve(user, job_plan.meter, job_plan.units, reference, guard=limits.submit_rate_guard(user))
    except billing.QuotaExceeded as e:
        raise errors.quota_exceeded(e) from e
    job = MediaJob(
        id=job_id,
        owner=user,
        operation=operation,
        # The edit mask is kept as a file (job.mask), not in the params.
        params=params.model_dump(mode="json", exclude=set(operations.get(operation).file_fields)),
        capability=job_plan.capability,
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
    for field, data in files.items():
        getattr(job, field).save(f"{job_id}.png", ContentFile(data), save=False)
    sql.insert(job)  # one INSERT, as save(force_insert=True) writes it, without composing it again
    transaction.on_commit(lambda: enqueue_job(job.id))
    return job


def enqueue_job(job_id) -> None:
    from django_q.tasks import async_task

    async_task("studio.tasks.run_job", str(job_id), task_name=f"job {job_id}", broker=_broker())


_brokers: dict[int, object] = {}


def _broker():
    """The process's one broker, kept: django-q makes a new one (a new Redis connection, and its
    hand-shake) for every task unless given one. Per process id: a forked worker makes its own."""
    from django_q.brokers import get_broker

    pid = os.getpid()
    if pid not in _brokers:
        _brokers.clear()
        _brokers[pid] = get_broker()
    return _brokers[pid]


def _check_inputs(user, operation: str, params: BaseModel) -> dict[str, bytes]:
    """Own-image references must be the user's images (a field may hold one id or a list); then the
    operation's own checks. Returns the files to keep on the job (the cleaned edit mask)."""
    op = operations.get(operation)
    inputs: dict = {}
    for field in op.image_fields:
        value = getattr(params, field, None)
        if isinstance(value, list):
            inputs[field] = user_images(user, value)
        elif value is not None:
            inputs[field] = user_image(user, value)
    for field in op.video_fields:
        inputs[field] = user_video(user, getattr(params, field))
    return op.check_inputs(params, inputs)


def user_image(user, asset_id) -> MediaAsset:
    try:
        return MediaAsset.objects.for_user(user).images().get(pk=asset_id)
    except (MediaAsset.DoesNotExist, ValueError):
        raise not_found("image") from None


def user_images(user, asset_ids) -> list[MediaAsset]:
    """The user's images with these ids, in their order; StudioError(not_found) if any is not."""
    found = {a.pk: a for a in MediaAsset.objects.for_user(user).images().filter(pk__in=asset_ids)}
    if any(asset_id not in found for asset_id in asset_ids):
        raise not_found("image")
    return [found[asset_id] for asset_id in asset_ids]


def user_video(user, asset_id) -> MediaAsset:
    try:
        return MediaAsset.objects.for_user(user).videos().get(pk=asset_id)
    except (MediaAsset.DoesNotExist, ValueError):
        raise not_found("video") from None


def _admit_past_breaker(route: providers.Route, job_id) -> bool:
    """Refuse the submit while the model's breaker is open; True when this job is its trial.

    One read of the breaker decides (resilience.SharedBreaker.admit). Within the reset timeout
    the answer says when it ends. After it, the first submit claims the trial for its job (once
    across all processes) and is accepted; its outcome closes or re-opens the breaker, and other
    submits meanwhile are told to come back when the trial will have decided.
    """
    admission = providers.admit(route.model_id, route.family, holder=str(job_id))
    if not admission.allowed:
        log.info("refused a submit: the %s breaker is open (%ss)", route.model_id, admission.retry_after)
        raise errors.provider_unavailable(retry_after=admission.retry_after)
    if admission.trial:
        log.info("job %s is the trial call for the %s breaker", job_id, route.model_id)
    return admission.trial is not None
