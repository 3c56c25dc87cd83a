"""The worker side of a job: run it, poll its video, sweep up after dead workers.

    run_job()         the task body: claim, call the provider, store the outputs, charge or release
    poll_videos()     the video poller: one look at every running Veo operation every few seconds
    sweep()           fails and releases jobs whose worker died; re-enqueues lost tasks

Every state change is a conditional UPDATE (MediaJob.move) and every charge or refund goes
through billing's idempotent commit/release in the same transaction as the state change that
justifies it, so a redelivered task, a sweeper racing a slow worker, or two pollers looking at
the same operation can never charge twice or charge a failed job. The web side (the tier gate
and the submit) is studio/jobs.py.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing
from studio import assets, errors, operations, providers
from studio.jobs import enqueue_job
from studio.models import MediaJob, WorkerLease

log = logging.getLogger(__name__)

POLLER_LEASE = "video-poller"
HEARTBEAT_LEASE = "heartbeat"


def warm(**_signal) -> None:
    """A queue worker's start (django-q2's post_spawn, connected in studio/apps.py): import the
    task modules and the operations, build the providers' clients and breaker stores, and open
    the database connection, so the first job is as fast as the next (issue 17.7)."""
    started = time.perf_counter()
    try:
        from django.db import connection
        from PIL import Image

        import studio.tasks  # noqa: F401  (django-q imports the task by its dotted path)

        operations.all()
        Image.init()  # every image plugin, as the first decode would
        models = providers.warm()
        connection.ensure_connection()
    except Exception:  # a worker that could not warm still works, as it did before
        log.exception("worker warm-up failed")
        return
    log.info("worker warm in %.0f ms (%s)", (time.perf_counter() - started) * 1000, ", ".join(models))


def run_job(job_id) -> None:
    """The task body: claim the job, do the work, record the outcome. Never raises for expected
    provider failures (they are recorded on the job); a redelivered task finds nothing to do."""
    job = MediaJob.objects.filter(pk=job_id).select_related("owner").first()
    if job is None:
        log.warning("job %s does not exist", job_id)
        return
    now = timezone.now()
    claimed = job.move(
        MediaJob.State.QUEUED,
        MediaJob.State.RUNNING,
        started_at=now,
        lease_until=now + timedelta(seconds=settings.JOB_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        log.info("job %s already %s: duplicate delivery ignored", job_id, job.state)
        return
    from django_q.exceptions import TimeoutException

    # The job's id names it to the breakers (a trial claimed at submit is its own), and its
    # provider calls must be over within the budget, leaving the rest of the task timeout for
    # storing what they made (studio/checks.py).
    scope = providers.job_scope(str(job.id), budget_seconds=settings.JOB_PROVIDER_BUDGET_SECONDS)
    try:
        with scope:
            operation = operations.for_job(job)
            if operation.long_running:
                _start_video(job, operation)
            else:
                _run_image_job(job, operation)
    except providers.ProviderError as e:
        fail_job(job, error_code(e), detail=e.detail)
    except TimeoutException as e:
        # django-q2 stopped the task at its timeout. Fail and release now, not a lease later as
        # worker_lost; then let django-q2 record the timeout and replace this worker.
        fail_job(job, "provider_timeout", detail=f"task timeout: {e}")
        raise
    except Exception as e:
        log.exception("job %s crashed", job_id)
        fail_job(job, "internal_error", detail=f"{type(e).__name__}: {e}")


def error_code(error: providers.ProviderError) -> str:
    if isinstance(error, providers.SafetyBlockedError):
        return "safety_blocked"
    if isinstance(error, providers.ModelUnavailableError):
        return "model_unavailable"
    if isinstance(error, providers.InvalidRequestError):
        return "provider_rejected"
    if isinstance(error, providers.ProviderTimeoutError):
        return "provider_timeout"
    if isinstance(error, (providers.RetryableError, providers.ConfigurationError)):
        return "provider_unavailable"
    return "provider_failed"


def _run_image_job(job: MediaJob, operation: operations.Operation) -> None:
    """One provider call built from the stored job; its images become the job's assets."""
    result, parent = operation.call_provider(job)
    outputs = [image for image in result.images if image.data]
    if not outputs:
        raise providers.SafetyBlockedError(
            "Every image was removed by the safety filters. You were not charged.",
            filtered_count=result.filtered_count,
        )
    stored = []
    for image in outputs:
        stored.append(
            assets.store_output(
                owner=job.owner,
                data=cast(bytes, image.data),  # outputs keep only the images with data
                mime_type=image.mime_type,
                watermark=job.watermark,
                synthid=result.synthid,
                source_job=job,
                parent=parent,
                like_parent=operation.output_looks_like_parent,
            )
        )
    units = operation.delivered_units(job, len(stored))
    if (job.params or {}).get("seed") is not None:  # the viewer shows the seed only if it was used
        MediaJob.objects.filter(pk=job.pk).update(seed_applied=result.seed_applied)
        job.seed_applied = result.seed_applied
    finish_job(job, model=result.model, units=units, filtered=result.filtered_count + result.failed_count)


def finish_job(job: MediaJob, *, model: str, units: int, filtered: int = 0) -> bool:
    """Mark the job succeeded and charge the units delivered; the rest of the reservation goes back.

    Only the caller that moves the job out of its active state charges, so this is safe to race.
    """
    with transaction.atomic():
        moved = job.move(
            (MediaJob.State.RUNNING, MediaJob.State.WAITING),
            MediaJob.State.SUCCEEDED,
            finished_at=timezone.now(),
            delivered_units=units,
            filtered_count=filtered,
            lease_until=None,
            next_poll_at=None,
            model=model,
        )
        if not moved:
            log.warning("job %s was %s before it could finish; not charged", job.id, job.state)
            return False
        entry = billing.commit(
            job.reservation_reference,
            operation=job.operation,
            model=model,
            price_class=job.price_class,
            units=units,
            variant=operations.for_job(job).price_variant_of_job(job),
            quoted_unit_usd_micros=job.quote_usd_micros // job.units if job.units else None,
        )
        if entry is not None:
            MediaJob.objects.filter(pk=job.pk).update(
                cost_zar_cents=entry.zar_cents, cost_usd_micros=entry.usd_micros
            )
            job.cost_zar_cents, job.cost_usd_micros = entry.zar_cents, entry.usd_micros
    return True


def fail_job(job: MediaJob, code: str, message: str | None = None, *, detail: str = "") -> bool:
    """Mark an active job failed and release its whole reservation. False if it was final already.

    The user reads the sentence studio/errors.py has for `code`; `message` is used only for a code
    it has none for. `detail`, the provider's raw answer, goes to the log and to error_detail,
    which only staff see.
    """
    if code in errors.USER_MESSAGES or not message:
        message = errors.user_message(code)
    with transaction.atomic():
        moved = job.move(
            MediaJob.ACTIVE_STATES,
            MediaJob.State.FAILED,
            finished_at=timezone.now(),
            error_code=code[:40],
            error_message=message[:500],
            error_detail=detail,
            lease_until=None,
            next_poll_at=None,
        )
        if moved:
            billing.release(job.reservation_reference, reason=code)
    if moved:
        # Failures the user caused (a refused prompt, a rejected setting) are not the operator's problem.
        level = logging.INFO if code in ("safety_blocked", "provider_rejected") else logging.WARNING
        log.log(level, "job %s failed: %s; %s", job.id, code, detail or message)
    return moved


# --- Video ---------------------------------------------------------------------------------


def _start_video(job: MediaJob, operation: operations.Operation) -> None:
    # Intent before the paid call, in the conditional update that claims the call: a job whose
    # call was claimed is never sent to Google again. If this worker dies before the operation's
    # name is saved below, the sweeper adopts the render from the job's own output folder.
    claimed = MediaJob.objects.filter(
        pk=job.pk, state=MediaJob.State.RUNNING, provider_call_started_at__isnull=True
    ).update(provider_call_started_at=timezone.now())
    if not claimed:
        log.warning("job %s: its Veo call was made before; it is never sent twice", job.id)
        return
    request = operation.video_request(job)
    render = providers.start_video(request, providers.Operation(job.capability))
    now = timezone.now()
    # Saved at once: from here on the render is Google's, and polling needs only this name.
    job.move(
        MediaJob.State.RUNNING,
        MediaJob.State.WAITING,
        provider_job_name=render.name,
        model=render.model,
        seed_applied=render.seed_applied if request.seed is not None else None,
        lease_until=None,
        next_poll_at=now,
        deadline_at=now + timedelta(minutes=settings.VIDEO_DEADLINE_MINUTES),
    )
    transaction.on_commit(_kick_poller)


def _kick_poller() -> None:
    from django_q.tasks import async_task

    async_task("studio.tasks.poll_videos", task_name="poll videos")


def poll_videos(budget_seconds: float | None = None) -> int:
    """Poll every waiting video every VIDEO_POLL_SECONDS for up to `budget_seconds`.

    One poller at a time across all workers (a lease in the database); the schedule starts one
    each minute and each new video starts one at once. Returns the number of polls made.
    """
    budget = settings.VIDEO_POLLER_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    holder = uuid.uuid4().hex
    if not WorkerLease.try_take(POLLER_LEASE, holder, budget + 30):
        return 0
    polls = 0
    give_up_at = time.monotonic() + budget
    try:
        while True:
            waiting = MediaJob.objects.filter(state=MediaJob.State.WAITING)
            if not waiting.exists():
                break
            for job in waiting.filter(next_poll_at__lte=timezone.now()).select_related("owner"):
                if _claim_poll(job):
                    poll_video_job(job)
                    polls += 1
            if time.monotonic() + settings.VIDEO_POLL_SECONDS > give_up_at:
                break
            time.sleep(settings.VIDEO_POLL_SECONDS)
    finally:
        WorkerLease.give_up(POLLER_LEASE, holder)
    return polls


def _claim_poll(job: MediaJob) -> bool:
    """Take this poll; another process that read the same next_poll_at gets nothing."""
    next_poll = timezone.now() + timedelta(seconds=settings.VIDEO_POLL_SECONDS)
    return bool(
        MediaJob.objects.filter(
            pk=job.pk, state=MediaJob.State.WAITING, next_poll_at=job.next_poll_at
        ).update(next_poll_at=next_poll)
    )


def poll_video_job(job: MediaJob) -> None:
    """One look at a job's Veo operation; store and charge when done, release when it failed."""
    if job.deadline_at and job.deadline_at < timezone.now():
        fail_job(job, "video_timeout", detail=f"no video by the deadline {job.deadline_at.isoformat()}")
        return
    if not job.provider_job_name:
        _look_for_adopted_video(job)
        return
    try:
        status = providers.poll_video(job.provider_job_name)
    except providers.RetryableError as e:
        log.info("poll of job %s will be retried: %s", job.id, e.message)
        return
    except providers.ProviderError as e:
        fail_job(job, error_code(e), detail=e.detail)
        return
    if not status.done:
        return
    _deliver_videos(
        job, status.videos, model=status.model, synthid=status.synthid, filtered=status.filtered_count
    )


def _look_for_adopted_video(job: MediaJob) -> None:
    """An adopted render (see sweep): deliver it once its files are in the job's output folder."""
    expected = operations.for_job(job).expected_outputs(job)
    try:
        folder = cast(str, providers.video_output_uri(str(job.id)))  # adopted only with a bucket
        videos = providers.find_video_outputs(folder, expected=expected)
    except providers.RetryableError as e:
        log.info("look for the adopted video of job %s will be retried: %s", job.id, e.message)
        return
    except providers.ProviderError as e:
        fail_job(job, error_code(e), detail=e.detail)
        return
    if videos:
        log.warning("job %s: adopted %d video(s) whose operation name was lost", job.id, len(videos))
        _deliver_videos(job, videos, model=job.model, synthid=True, filtered=0)


def _deliver_videos(
    job: MediaJob, videos: list[providers.GeneratedVideo], *, model: str, synthid: bool, filtered: int
) -> None:
    """Store the rendered videos and charge the seconds delivered."""
    try:
        stored = [
            assets.create_video_asset(
                owner=job.owner, data=providers.video_bytes(video), synthid=synthid, source_job=job
            )
            for video in videos
        ]
    except providers.ProviderError as e:
        fail_job(job, error_code(e), detail=e.detail)
        return
    units = operations.for_job(job).delivered_units(job, len(stored))
    finish_job(job, model=model, units=units, filtered=filtered)


# --- Housekeeping --------------------------------------------------------------------------


def sweep() -> dict:
    """Run every minute by the cluster: beat the heart, fail jobs whose worker died, re-enqueue
    queued jobs whose task went missing, and make sure waiting videos are being polled."""
    now = timezone.now()
    WorkerLease.objects.update_or_create(
        name=HEARTBEAT_LEASE, defaults={"holder": "cluster", "expires_at": now, "updated_at": now}
    )
    lost = adopted = 0
    for job in MediaJob.objects.filter(state=MediaJob.State.RUNNING, lease_until__lt=now):
        lease_until = cast(datetime, job.lease_until)  # the filter leaves only jobs with a lease
        if _adopt_lost_video(job, now):
            adopted += 1
        elif fail_job(job, "worker_lost", detail=f"lease passed at {lease_until.isoformat()}"):
            lost += 1
    timed_out = 0
    for job in MediaJob.objects.filter(state=MediaJob.State.WAITING, deadline_at__lt=now):
        deadline_at = cast(datetime, job.deadline_at)  # the filter leaves only jobs with a deadline
        if fail_job(job, "video_timeout", detail=f"still waiting at {deadline_at.isoformat()}"):
            timed_out += 1
    requeued = 0
    for job in MediaJob.objects.filter(state=MediaJob.State.QUEUED, lease_until__lt=now):
        retry_at = now + timedelta(seconds=settings.JOB_REQUEUE_SECONDS)
        if MediaJob.objects.filter(
            pk=job.pk, state=MediaJob.State.QUEUED, lease_until=job.lease_until
        ).update(lease_until=retry_at):
            enqueue_job(job.id)
            requeued += 1
    if MediaJob.objects.filter(state=MediaJob.State.WAITING).exists():
        _kick_poller()
    if lost or adopted or timed_out or requeued:
        log.warning(
            "sweep: %s lost, %s adopted, %s timed out, %s re-enqueued", lost, adopted, timed_out, requeued
        )
    return {"lost": lost, "adopted": adopted, "timed_out": timed_out, "requeued": requeued}


def _adopt_lost_video(job: MediaJob, now) -> bool:
    """A video job whose worker died after sending the Veo submit, before saving the operation's
    name: Google may well be rendering it, and bills us either way. With a bucket, the job's
    storageUri is its own folder, so wait for the files there until the video deadline (and
    deliver and charge them) instead of refunding and paying for a render nobody sees. Without a
    bucket there is nowhere to look: the job is released as worker_lost (README: Resilience)."""
    if not (
        operations.for_job(job).long_running and job.provider_call_started_at and not job.provider_job_name
    ):
        return False
    if providers.video_output_uri(str(job.id)) is None:
        return False
    deadline = job.provider_call_started_at + timedelta(minutes=settings.VIDEO_DEADLINE_MINUTES)
    return job.move(
        MediaJob.State.RUNNING,
        MediaJob.State.WAITING,
        lease_until=None,
        next_poll_at=now,
        deadline_at=deadline,
    )
