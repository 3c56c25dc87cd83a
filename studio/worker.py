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
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing
from billing.models import Meter
from studio import assets, errors, providers
from studio.jobs import enqueue_job
from studio.models import MediaAsset, MediaJob, WorkerLease
from studio.providers import resilience
from studio.schemas import EditImage, GenerateImage, GenerateVideo, UpscaleImage

log = logging.getLogger(__name__)

POLLER_LEASE = "video-poller"
HEARTBEAT_LEASE = "heartbeat"


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
    scope = resilience.job_scope(str(job.id), budget_seconds=settings.JOB_PROVIDER_BUDGET_SECONDS)
    try:
        with scope:
            if job.is_video:
                _start_video(job)
            else:
                _run_image_job(job)
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


def _run_image_job(job: MediaJob) -> None:
    params = job.params
    parent = None
    if job.operation == MediaJob.Operation.GENERATE_IMAGE:
        request = GenerateImage(**params)
        provider_request = providers.GenerateImagesRequest(
            prompt=request.full_prompt(),
            count=request.count,
            aspect_ratio=request.aspect_ratio,
            negative_prompt=request.negative_prompt,
            seed=request.seed,
            # SynthID stays on (Google's default); the adapters drop a seed it would conflict with.
            add_watermark=True,
        )
        if job.provider_operation == providers.Operation.IMAGE_PREVIEW:
            result = providers.generate_preview(provider_request)
        else:
            result = providers.generate_images(provider_request)
    elif job.operation == MediaJob.Operation.EDIT_IMAGE:
        request = EditImage.model_validate(params, context={"mask_stored": bool(job.mask)})
        parent = MediaAsset.objects.get(pk=request.image_id, owner=job.owner)
        result = providers.edit_image(_edit_request(job, request, parent))
    else:
        request = UpscaleImage(**params)
        parent = MediaAsset.objects.get(pk=request.image_id, owner=job.owner)
        result = providers.upscale_image(
            providers.UpscaleImageRequest(
                image=providers.ImageInput(data=assets.read_bytes(parent.file), mime_type=parent.mime_type),
                factor=request.factor,
            ),
            version=request.model,
        )
    outputs = [image for image in result.images if image.data]
    if not outputs:
        raise providers.SafetyBlockedError(
            "Every image was removed by the safety filters. You were not charged.",
            filtered_count=result.filtered_count,
        )
    stored = []
    for image in outputs:
        data = assets.add_watermark(image.data, image.mime_type) if job.watermark else image.data
        stored.append(
            assets.create_image_asset(
                owner=job.owner,
                data=data,
                mime_type=image.mime_type,
                synthid=result.synthid,
                watermarked=job.watermark,
                source_job=job,
                parent=parent,
            )
        )
    units = len(stored) if job.meter in (Meter.IMAGES, Meter.EDITS) else job.units
    finish_job(job, model=result.model, units=units, filtered=result.filtered_count + result.failed_count)


def _edit_request(job: MediaJob, request: EditImage, image: MediaAsset) -> providers.EditImageRequest:
    mask = None
    if job.mask:
        mask = providers.ImageInput(data=assets.read_bytes(job.mask), mime_type="image/png")
    outpaint = None
    if request.mode == "outpaint":
        sides = request.outpaint or _sides_for_ratio(image, request.outpaint_aspect_ratio)
        outpaint = providers.Outpaint(left=sides.left, top=sides.top, right=sides.right, bottom=sides.bottom)
    return providers.EditImageRequest(
        image=providers.ImageInput(data=assets.read_bytes(image.file), mime_type=image.mime_type),
        mode=providers.EditMode(request.mode),
        prompt=request.prompt,
        mask=mask,
        outpaint=outpaint,
        count=request.count,
        negative_prompt=request.negative_prompt,
        seed=request.seed,
    )


def _sides_for_ratio(image: MediaAsset, ratio: str):
    """Grow the canvas evenly, keeping the whole image, until it has `ratio`."""
    from studio.schemas import OutpaintSides

    wide, high = (int(part) for part in ratio.split(":"))
    width, height = image.width, image.height
    if width * high >= height * wide:  # too wide for the ratio: add height
        extra = max(1, round(width * high / wide) - height)
        return OutpaintSides(top=extra // 2, bottom=extra - extra // 2)
    extra = max(1, round(height * wide / high) - width)
    return OutpaintSides(left=extra // 2, right=extra - extra // 2)


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


def _start_video(job: MediaJob) -> None:
    request = GenerateVideo(**job.params)
    first = last = None
    if request.first_frame_id:
        first = MediaAsset.objects.get(pk=request.first_frame_id, owner=job.owner)
    if request.last_frame_id:
        last = MediaAsset.objects.get(pk=request.last_frame_id, owner=job.owner)
    output_uri = providers.video_output_uri(str(job.id))
    # Intent before the paid call, in the conditional update that claims the call: a job whose
    # call was claimed is never sent to Google again. If this worker dies before the operation's
    # name is saved below, the sweeper adopts the render from the job's own output folder.
    claimed = MediaJob.objects.filter(
        pk=job.pk, state=MediaJob.State.RUNNING, provider_call_started_at__isnull=True
    ).update(provider_call_started_at=timezone.now())
    if not claimed:
        log.warning("job %s: its Veo call was made before; it is never sent twice", job.id)
        return
    operation = providers.start_video(
        providers.VideoRequest(
            prompt=request.prompt,
            duration_seconds=request.duration_seconds,
            aspect_ratio=request.aspect_ratio,
            resolution=request.resolution,
            generate_audio=request.generate_audio,
            count=request.count,
            seed=request.seed,
            negative_prompt=request.negative_prompt,
            person_generation=request.person_generation,
            first_frame=_image_input(first),
            last_frame=_image_input(last),
            output_gcs_uri=output_uri,
        ),
        fast=request.fast,
    )
    now = timezone.now()
    # Saved at once: from here on the render is Google's, and polling needs only this name.
    job.move(
        MediaJob.State.RUNNING,
        MediaJob.State.WAITING,
        provider_operation_name=operation.name,
        model=operation.model,
        lease_until=None,
        next_poll_at=now,
        deadline_at=now + timedelta(minutes=settings.VIDEO_DEADLINE_MINUTES),
    )
    transaction.on_commit(_kick_poller)


def _image_input(asset: MediaAsset | None) -> providers.ImageInput | None:
    if asset is None:
        return None
    return providers.ImageInput(data=assets.read_bytes(asset.file), mime_type=asset.mime_type)


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
    if not job.provider_operation_name:
        _look_for_adopted_video(job)
        return
    try:
        status = providers.poll_video(job.provider_operation_name)
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
    request = GenerateVideo(**job.params)
    try:
        videos = providers.find_video_outputs(providers.video_output_uri(str(job.id)), expected=request.count)
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
                owner=job.owner, data=_video_bytes(video), synthid=synthid, source_job=job
            )
            for video in videos
        ]
    except providers.ProviderError as e:
        fail_job(job, error_code(e), detail=e.detail)
        return
    per_video = GenerateVideo(**job.params).duration_seconds
    finish_job(job, model=model, units=per_video * len(stored), filtered=filtered)


def _video_bytes(video: providers.GeneratedVideo) -> bytes:
    if video.data:
        return video.data
    from studio.providers import gcs

    return gcs.download(video.gcs_uri)


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
        if _adopt_lost_video(job, now):
            adopted += 1
        elif fail_job(job, "worker_lost", detail=f"lease passed at {job.lease_until.isoformat()}"):
            lost += 1
    timed_out = 0
    for job in MediaJob.objects.filter(state=MediaJob.State.WAITING, deadline_at__lt=now):
        if fail_job(job, "video_timeout", detail=f"still waiting at {job.deadline_at.isoformat()}"):
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
    if not (job.is_video and job.provider_call_started_at and not job.provider_operation_name):
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
