"""Video Studio: the form, its live estimate, the job's progress and player, and the FREE samples.

A state machine with one URL per state, so a reload (or a link in the tray) lands where the user
was: /studio/videos/new/ is the form, /studio/videos/<job>/ shows the job's progress while Veo
renders and the player once it is done (or the error, with the same settings to try again).
FREE users get a gallery of sample clips (studio/samples.py) and the upgrade options instead of
the form. Validation is GenerateVideo's (studio/schemas.py), the same as the API's.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling, reswap, retarget

from billing import services as billing
from billing.models import Meter
from studio import answers, assets, errors, operations, samples, serving, uploads
from studio.errors import StudioError
from studio.models import MediaAsset, MediaJob
from studio.pages import common
from studio.pages.common import PageRequest
from studio.pages.forms import StudioForm
from studio.schemas import (
    MAX_COUNT,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
    VIDEO_RESOLUTIONS,
    GenerateVideo,
)

CREATE_PAGE = "studio/video_create.html"
JOB_PAGE = "studio/video_job.html"
PICKER_SIZE = 12  # newest images offered as first/last frames
RECENT_JOBS = 5
# An upload of the same picture within this window is the same upload (a resent form).
UPLOAD_REUSE_MINUTES = 30
FRAMES = ("first_frame", "last_frame")
FORM_DEFAULTS = {
    "prompt": "",
    "negative_prompt": "",
    "fast": "false",
    "duration_seconds": "8",
    "aspect_ratio": "16:9",
    "resolution": "720p",
    "generate_audio": "false",
    "count": "1",
    "seed": "",
    "person_generation": "",
    "first_frame_id": "",
    "last_frame_id": "",
}
_LABELS = {
    "prompt": "Prompt",
    "negative_prompt": "Negative prompt",
    "fast": "Model",
    "duration_seconds": "Length",
    "aspect_ratio": "Aspect ratio",
    "resolution": "Resolution",
    "generate_audio": "Audio",
    "count": "Number of videos",
    "seed": "Seed",
    "person_generation": "People",
}
PERSON_CHOICES = (("", "Model default"), ("allow_adult", "Adults only"), ("dont_allow", "No people"))
POOL_WORDS = {Meter.VIDEO_SECONDS: "video without audio", Meter.VIDEO_AUDIO_SECONDS: "video with audio"}
STATE_WORDS: dict[str, str] = {
    MediaJob.State.QUEUED: "Waiting for a worker",
    MediaJob.State.RUNNING: "Sending your request to Veo",
    MediaJob.State.WAITING: "Veo is rendering your video",
}


# --- Form values -----------------------------------------------------------------------------


def _video_request(values: dict[str, str]) -> GenerateVideo:
    """GenerateVideo from the form's values; raises pydantic's ValidationError."""
    duration = values["duration_seconds"].strip()
    return GenerateVideo.model_validate(
        {
            "prompt": values["prompt"],
            "negative_prompt": values["negative_prompt"].strip() or None,
            "fast": values["fast"],
            # A Literal of ints: the form's "8" has to become 8 (anything else is left to fail).
            "duration_seconds": int(duration) if duration.isdigit() else duration,
            "aspect_ratio": values["aspect_ratio"],
            "resolution": values["resolution"],
            "generate_audio": values["generate_audio"],
            "count": values["count"],
            "seed": values["seed"].strip() or None,
            "person_generation": values["person_generation"] or None,
            "first_frame_id": values["first_frame_id"].strip() or None,
            "last_frame_id": values["last_frame_id"].strip() or None,
        }
    )


def _price(values: dict[str, str]) -> tuple[int, dict]:
    """Seconds billed, and the choices that set the pool and the price (audio, the fast model)."""
    seconds = int(values["duration_seconds"].strip()) * int(values["count"])
    return seconds, {"generate_audio": values["generate_audio"] == "true", "fast": values["fast"] == "true"}


FORM = StudioForm(
    operation="generate_video",
    defaults=FORM_DEFAULTS,
    build=_video_request,
    # The price depends on seconds and audio, not on the words or the frames: shown at once.
    price=_price,
    labels=_LABELS,
    estimate_fields=tuple(_LABELS),
    booleans=("fast", "generate_audio"),
    again=lambda job: _reuse_url(job.params or {}),
)


def _form_values(data) -> dict[str, str]:
    """StudioForm.values, and the image viewer's "Animate" (?first_frame=<id>) as the first frame."""
    values = FORM.values(data)
    if not values["first_frame_id"] and data.get("first_frame"):
        values["first_frame_id"] = str(data.get("first_frame"))
    return values


def _reuse_url(params: dict) -> str:
    """The form, filled in with a job's settings."""
    query = {
        k: ("true" if v is True else "false" if v is False else v) for k, v in params.items() if v is not None
    }
    return f"{reverse('video-create')}?{urlencode(query)}"


def _own_image_ids(user, ids) -> set[str]:
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not wanted:
        return set()
    found = MediaAsset.objects.for_user(user).images().filter(pk__in=wanted).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def _drop_foreign_frames(user, values: dict[str, str]) -> dict[str, str]:
    """A GET may name any id: keep only the user's own images (anyone else's is ignored, as if
    it did not exist)."""
    ids = [values[f"{slot}_id"] for slot in FRAMES if values[f"{slot}_id"]]
    own = _own_image_ids(user, ids)
    for slot in FRAMES:
        if values[f"{slot}_id"] and values[f"{slot}_id"] not in own:
            values[f"{slot}_id"] = ""
    return values


# --- Estimate --------------------------------------------------------------------------------


def _estimate(user, values: dict[str, str]) -> dict:
    """Cost, seconds, pool and what is left after; {"problem": ...} when it cannot tell."""
    estimate = FORM.estimate(user, values)
    if "problem" in estimate:
        return estimate
    audio = values["generate_audio"] == "true"
    estimate.update(
        seconds=estimate["units"],
        duration=int(values["duration_seconds"].strip()),
        count=int(values["count"]),
        audio=audio,
        pool=POOL_WORDS[estimate["meter"]],
    )
    if estimate.get("after", 0) < 0 and audio:
        # Without audio it might fit: the other pool's seconds.
        other = next(b for b in billing.remaining(user) if b.meter == Meter.VIDEO_SECONDS)
        if other.remaining >= estimate["units"]:
            estimate["other"] = {"pool": POOL_WORDS[Meter.VIDEO_SECONDS], "remaining": other.remaining}
    return estimate


# --- The form --------------------------------------------------------------------------------


def _picker(user, selected: list[str]) -> list[dict]:
    """The user's newest images, and any selected one that is older, as thumbnail radios."""
    mine = MediaAsset.objects.for_user(user).images().select_related("source_job")
    images = list(mine.order_by("-created_at")[:PICKER_SIZE])
    shown = {str(a.id) for a in images}
    extra = [s for s in selected if s and s not in shown]
    if extra:
        images += list(mine.filter(pk__in=_own_image_ids(user, extra)))
    return [
        {
            "id": str(a.id),
            "asset": a,
            "thumb": serving.media_url(a, "thumbnail") or serving.media_url(a),
            "alt": _image_words(a),
        }
        for a in images
    ]


def _image_words(asset: MediaAsset) -> str:
    """A thumbnail's alt text: the prompt that made it, or where it came from."""
    prompt = ((asset.source_job.params or {}).get("prompt") or "") if asset.source_job else ""
    if prompt:
        return prompt if len(prompt) <= 80 else prompt[:79] + "…"
    local = timezone.localtime(asset.created_at)
    when = f"{local.day} {local:%b, %H:%M}"
    kind = "Uploaded image" if asset.origin == MediaAsset.Origin.UPLOADED else "Image"
    return f"{kind}, {when}"


def _recent_jobs(user) -> list[MediaJob]:
    return list(MediaJob.objects.for_user(user).filter(operation="generate_video")[:RECENT_JOBS])


def _upgrade_offers(plan) -> list[dict]:
    """Each plan above the user's, with its video allowances."""
    offers = []
    for other in billing.upgrade_plans(plan):
        plain, audio = (
            other.allowance_for(Meter.VIDEO_SECONDS),
            other.allowance_for(Meter.VIDEO_AUDIO_SECONDS),
        )
        if plain or audio:
            offers.append(
                {
                    "tier": other.code,
                    "price_cents": other.price_cents,
                    "seconds": plain.units if plain else 0,
                    "audio_seconds": audio.units if audio else 0,
                }
            )
    return offers


def _samples_context(plan, failure: dict | None = None) -> dict:
    ready = samples.available()
    if len(ready) < len(samples.CATALOGUE):
        samples.prepare_in_background()
    return {
        "plan": plan,
        "samples_only": True,
        "samples": ready,
        "samples_missing": len(ready) < len(samples.CATALOGUE),
        "offers": _upgrade_offers(plan),
        "failure": failure,
    }


def _form_context(request: PageRequest, values: dict[str, str], **kwargs) -> dict:
    """Everything the form needs (StudioForm.context, and the picker and the Veo settings)."""
    context = FORM.context(request, values, estimate=_estimate(request.user, values), **kwargs)
    context.update(
        form_error=context["errors"].get(""),
        images=_picker(request.user, [values["first_frame_id"], values["last_frame_id"]]),
        durations=[str(d) for d in VIDEO_DURATIONS],
        ratios=[(ratio, ratio.replace(":", "/")) for ratio in VIDEO_ASPECT_RATIOS],
        resolutions=VIDEO_RESOLUTIONS,
        counts=[str(n) for n in range(1, MAX_COUNT + 1)],
        people=PERSON_CHOICES,
        upload_max_mb=uploads.max_upload_bytes() // (1024 * 1024),
    )
    return context


def _render_form(request: PageRequest, values: dict[str, str], **kwargs) -> HttpResponse:
    """The form (status 200, so htmx swaps it): the partial for an htmx POST, else the page."""
    plan = billing.plan_for(request.user)
    if plan.video_samples_only:
        return render(request, CREATE_PAGE, _samples_context(plan, kwargs.get("failure")))
    context = _form_context(request, values, **kwargs)
    if request.htmx and request.method == "POST":
        return render(request, f"{CREATE_PAGE}#form", context)
    context["recent"] = _recent_jobs(request.user)
    return render(request, CREATE_PAGE, context)


def _take_uploads(request: PageRequest, values: dict[str, str]) -> dict[str, str]:
    """Store the uploaded frames (an upload replaces a picked image); errors by field."""
    errors: dict[str, str] = {}
    try:
        uploads.check_upload_cap(request)
    except uploads.UploadError as e:
        # The file that was too big, and every field after it, never arrived: the first frame's
        # upload unless that one is here.
        slot = "last_frame" if "first_frame_upload" in request.FILES else "first_frame"
        errors[f"{slot}_id"] = e.message
    for slot in FRAMES:
        upload = request.FILES.get(f"{slot}_upload")
        if not upload:
            continue
        try:
            values[f"{slot}_id"] = str(
                assets.save_upload(request.user, upload, reuse_within_minutes=UPLOAD_REUSE_MINUTES).id
            )
        except StudioError as e:
            errors[f"{slot}_id"] = e.message
    return errors


@never_cache  # the form carries a one-time idempotency key: Back must fetch a fresh one
@require_http_methods(["GET", "POST"])
@login_required
def video_create(request: PageRequest) -> HttpResponse:
    """The Video Studio form (or, for FREE, the sample gallery); POST submits a video job."""
    if request.method == "GET":
        return _render_form(request, _drop_foreign_frames(request.user, _form_values(request.GET)))
    if billing.plan_for(request.user).video_samples_only:
        # Nothing to read or store: the tier gate says no whatever the form holds.
        try:
            operations.quote(request.user, "generate_video", 1)
        except StudioError as e:
            return _render_form(request, {}, failure=common.failure(e))

    values = _form_values(request.POST)

    def foreign_frames(params: GenerateVideo) -> dict[str, str]:
        own = _own_image_ids(request.user, [params.first_frame_id, params.last_frame_id])
        chosen = {f"{slot}_id": getattr(params, f"{slot}_id") for slot in FRAMES}
        return {
            name: "Choose one of your images." for name, id_ in chosen.items() if id_ and str(id_) not in own
        }

    job = FORM.post(
        request,
        values,
        lambda values, **kw: _render_form(request, values, **kw),
        errors=_take_uploads(request, values),
        check=foreign_frames,
    )
    if isinstance(job, HttpResponse):
        return job
    url = reverse("video-job", kwargs={"job_id": job.id})
    if request.htmx:
        return HttpResponseClientRedirect(url)  # a real navigation: the job's own URL, reload-safe
    return redirect(url)


@require_GET
@login_required
def video_estimate(request: PageRequest) -> HttpResponse:
    """The #estimate partial for the form's current values (never an error status)."""
    context = {"estimate": _estimate(request.user, _form_values(request.GET))}
    return render(request, f"{CREATE_PAGE}#estimate", context)


# --- The job: progress, player, failure --------------------------------------------------------


def _elapsed_words(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _job_context(job: MediaJob) -> dict:
    params = job.params or {}
    progress = answers.progress(job)
    typical = operations.get("generate_video").typical_seconds
    elapsed = (timezone.now() - job.created_at).total_seconds()
    videos = []
    if job.state == MediaJob.State.SUCCEEDED:
        for asset in sorted(job.assets.all(), key=lambda a: a.created_at):
            videos.append(
                {
                    "asset": asset,
                    "url": serving.media_url(asset),
                    "poster": serving.media_url(asset, "thumbnail"),
                    "download": serving.media_url(asset, download=True),
                }
            )
    frames = {}
    frame_ids = [params.get(f"{slot}_id") for slot in FRAMES]
    if any(frame_ids):
        by_id = {
            str(a.id): a
            for a in MediaAsset.objects.filter(owner_id=job.owner_id, pk__in=[i for i in frame_ids if i])
        }
        for slot, frame_id in zip(FRAMES, frame_ids, strict=True):
            frame = by_id.get(frame_id or "")
            if frame is not None:
                frames[slot] = serving.media_url(frame, "thumbnail") or serving.media_url(frame)
    error = errors.job_error_message(job)
    return {
        "job": job,
        "params": params,
        "model_words": "Veo 3.1 Fast" if params.get("fast") else "Veo 3.1",
        "person_words": dict(PERSON_CHOICES).get(params.get("person_generation") or "", ""),
        "frames": frames,
        "percent": round(progress["fraction"] * 100),
        "eta": progress["eta_seconds"],
        "elapsed": _elapsed_words(elapsed),
        "typical": typical,
        "slow": not job.is_final and elapsed > typical,
        "state_words": STATE_WORDS.get(job.state, ""),
        "videos": videos,
        "error": error,
        "reuse_url": _reuse_url(params),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def video_job(request: PageRequest, job_id) -> HttpResponse:
    """One video job: progress while it runs, then the player (or what went wrong).

    The #progress partial polls this URL every 3 s. When the job is final the answer is the
    whole #state (player or error) aimed at #video-state, with 286 so that htmx stops polling.
    #video-state carries data-progress: the header's tray (studio/pages/tray.py) then knows the
    job finishes in front of the user and shows no toast, unless it was sent to the background.
    Only the owner's generate_video jobs exist here; anything else is 404 (no hint that it exists).
    """
    job = (
        MediaJob.objects.for_user(request.user)
        .filter(pk=job_id, operation="generate_video")
        .prefetch_related("assets")
        .first()
    )
    if job is None:
        raise Http404("No such video.")
    context = _job_context(job)
    if request.htmx and not request.htmx.history_restore_request:
        if not job.is_final:
            return render(request, f"{JOB_PAGE}#progress", context)
        response = HttpResponseStopPolling(render_to_string(f"{JOB_PAGE}#state", context, request))
        return reswap(retarget(response, "#video-state"), "outerHTML")
    context["plan"] = billing.plan_for(request.user)
    return render(request, JOB_PAGE, context)


urlpatterns = [
    path("studio/videos/new/", video_create, name="video-create"),
    path("studio/videos/estimate/", video_estimate, name="video-estimate"),
    path("studio/videos/<uuid:job_id>/", video_job, name="video-job"),
]
