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
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling, reswap, retarget

from billing import pricing
from billing import services as billing
from billing.models import Meter, PriceClass
from studio import answers, assets, errors, operations, providers, samples, serving, uploads
from studio.errors import StudioError
from studio.models import MediaAsset, MediaJob
from studio.operations.generate_video import MODELS, RESOLUTION_WORDS, limits, model_choice
from studio.pages import common
from studio.pages.common import PageRequest
from studio.pages.forms import SEED_HINT, StudioForm
from studio.schemas import (
    MAX_COUNT,
    MAX_VIDEO_REFERENCES,
    VIDEO_ASPECT_RATIOS,
    VIDEO_DURATIONS,
    VIDEO_EXTEND_MAX_INPUT_SECONDS,
    VIDEO_EXTEND_SECONDS,
    VIDEO_RESOLUTIONS,
    ExtendVideo,
    GenerateVideo,
)

CREATE_PAGE = "studio/video_create.html"
EXTEND_PAGE = "studio/video_extend.html"
JOB_PAGE = "studio/video_job.html"
PICKER_SIZE = 12  # newest images offered as first/last frames
RECENT_JOBS = 5
# An upload of the same picture within this window is the same upload (a resent form).
UPLOAD_REUSE_MINUTES = 30
FRAMES = ("first_frame", "last_frame")
# The options both video forms share (Video Studio, Extend): the model, its output and the seed.
_SHARED_DEFAULTS = {
    "prompt": "",
    "negative_prompt": "",
    "model": "standard",  # the form's one radio; the request's fast and lite flags follow from it
    "fast": "false",
    "lite": "false",
    "resolution": "720p",
    "generate_audio": "false",
    "enhance_prompt": "true",
    "seed": "",
    "person_generation": "",
}
FORM_DEFAULTS = {
    **_SHARED_DEFAULTS,
    "duration_seconds": "8",
    "aspect_ratio": "16:9",
    "count": "1",
    "first_frame_id": "",
    "last_frame_id": "",
    "reference_image_ids": "",  # comma-separated, from the reference checkboxes
}
EXTEND_DEFAULTS = {**_SHARED_DEFAULTS, "video_id": ""}
_SHARED_LABELS = {
    "prompt": gettext_lazy("Prompt"),
    "negative_prompt": gettext_lazy("Negative prompt"),
    "fast": gettext_lazy("Model"),
    "lite": gettext_lazy("Model"),
    "resolution": gettext_lazy("Resolution"),
    "generate_audio": gettext_lazy("Audio"),
    "enhance_prompt": gettext_lazy("Prompt enhancement"),
    "seed": gettext_lazy("Seed"),
    "person_generation": gettext_lazy("People"),
}
_LABELS = {
    **_SHARED_LABELS,
    "duration_seconds": gettext_lazy("Length"),
    "aspect_ratio": gettext_lazy("Aspect ratio"),
    "count": gettext_lazy("Number of videos"),
    "reference_image_ids": gettext_lazy("Reference images"),
}
_EXTEND_LABELS = {**_SHARED_LABELS, "video_id": gettext_lazy("Video")}
# The model checks' refusals, shown beside the field they are about (their own words).
BESIDE_FIELDS = {
    "unsupported_resolution": ("resolution", ""),
    "too_many_images": ("reference_image_ids", ""),
    "video_too_long": ("video_id", ""),
}
MODEL_CHOICES = (
    ("standard", gettext_lazy("best quality")),
    ("fast", gettext_lazy("quicker, cheaper")),
    ("lite", gettext_lazy("cheapest, Preview")),
)
_BOOLEANS = ("fast", "lite", "generate_audio", "enhance_prompt")
PERSON_CHOICES = (
    ("", gettext_lazy("Model default")),
    ("allow_adult", gettext_lazy("Adults only")),
    ("dont_allow", gettext_lazy("No people")),
)
POOL_WORDS = {
    Meter.VIDEO_SECONDS: gettext_lazy("video without audio"),
    Meter.VIDEO_AUDIO_SECONDS: gettext_lazy("video with audio"),
}
STATE_WORDS = {
    MediaJob.State.QUEUED: gettext_lazy("Waiting for a worker"),
    MediaJob.State.RUNNING: gettext_lazy("Sending your request to Veo"),
    MediaJob.State.WAITING: gettext_lazy("Veo is rendering your video"),
}


# --- Form values -----------------------------------------------------------------------------


def _shared_request(values: dict[str, str]) -> dict:
    return {
        "prompt": values["prompt"],
        "negative_prompt": values["negative_prompt"].strip() or None,
        "fast": values["fast"],
        "lite": values["lite"],
        "resolution": values["resolution"],
        "generate_audio": values["generate_audio"],
        "enhance_prompt": values["enhance_prompt"],
        "seed": values["seed"].strip() or None,
        "person_generation": values["person_generation"] or None,
    }


def _references(values: dict[str, str]) -> list[str]:
    return [i for i in values.get("reference_image_ids", "").split(",") if i.strip()]


def _video_request(values: dict[str, str]) -> GenerateVideo:
    """GenerateVideo from the form's values; raises pydantic's ValidationError."""
    duration = values["duration_seconds"].strip()
    return GenerateVideo.model_validate(
        {
            **_shared_request(values),
            # A Literal of ints: the form's "8" has to become 8 (anything else is left to fail).
            "duration_seconds": int(duration) if duration.isdigit() else duration,
            "aspect_ratio": values["aspect_ratio"],
            "count": values["count"],
            "first_frame_id": values["first_frame_id"].strip() or None,
            "last_frame_id": values["last_frame_id"].strip() or None,
            "reference_image_ids": _references(values),
        }
    )


def _extend_request(values: dict[str, str]) -> ExtendVideo:
    return ExtendVideo.model_validate({**_shared_request(values), "video_id": values["video_id"].strip()})


def _shared_choices(values: dict[str, str]) -> dict:
    return {
        "generate_audio": values["generate_audio"] == "true",
        "fast": values["fast"] == "true",
        "lite": values["lite"] == "true",
        "resolution": values["resolution"],
    }


def _price(values: dict[str, str]) -> tuple[int, dict]:
    """Seconds billed, and the choices that set the pool, the price row and the gate."""
    seconds = int(values["duration_seconds"].strip()) * int(values["count"])
    return seconds, {**_shared_choices(values), "reference_image_ids": _references(values)}


def _extend_price(values: dict[str, str]) -> tuple[int, dict]:
    return VIDEO_EXTEND_SECONDS, _shared_choices(values)


FORM = StudioForm(
    operation="generate_video",
    defaults=FORM_DEFAULTS,
    build=_video_request,
    # The price depends on seconds, model, resolution and audio, not on the words: shown at once.
    price=_price,
    labels=_LABELS,
    estimate_fields=tuple(_LABELS),
    booleans=_BOOLEANS,
    again=lambda job: _reuse_url(job.params or {}, job.operation),
)
EXTEND_FORM = StudioForm(
    operation="extend_video",
    defaults=EXTEND_DEFAULTS,
    build=_extend_request,
    price=_extend_price,
    labels=_EXTEND_LABELS,
    estimate_fields=tuple(_EXTEND_LABELS),
    booleans=_BOOLEANS,
    again=lambda job: _reuse_url(job.params or {}, job.operation),
)


def _with_model(values: dict[str, str], data) -> dict[str, str]:
    """The form's model radio sets the request's fast and lite flags; a link or a job's params
    that carry the flags set the radio."""
    chosen = data.get("model")
    if chosen in MODELS:
        values["fast"], values["lite"] = str(chosen == "fast").lower(), str(chosen == "lite").lower()
    values["model"] = model_choice({"fast": values["fast"] == "true", "lite": values["lite"] == "true"})
    return values


def _form_values(data) -> dict[str, str]:
    """StudioForm.values, the model radio, the reference checkboxes, and the image viewer's
    "Animate" (?first_frame=<id>) as the first frame."""
    values = _with_model(FORM.values(data), data)
    if hasattr(data, "getlist") and data.getlist("reference_image_ids"):
        values["reference_image_ids"] = ",".join(v for v in data.getlist("reference_image_ids") if v)
    if not values["first_frame_id"] and data.get("first_frame"):
        values["first_frame_id"] = str(data.get("first_frame"))
    return values


def _extend_values(data) -> dict[str, str]:
    return _with_model(EXTEND_FORM.values(data), data)


def _reuse_url(params: dict, operation: str = "generate_video") -> str:
    """The form, filled in with a job's settings (an extension's: the Extend form of its video)."""
    query = {
        k: (
            "true"
            if v is True
            else "false"
            if v is False
            else ",".join(map(str, v))
            if isinstance(v, list)
            else v
        )
        for k, v in params.items()
        if v is not None
    }
    if operations.get(operation).video_fields:  # extend: its form is the source video's page
        video_id = query.pop("video_id", "")
        return f"{reverse('video-extend', kwargs={'video_id': video_id})}?{urlencode(query)}"
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
    own = _own_image_ids(user, ids + _references(values))
    for slot in FRAMES:
        if values[f"{slot}_id"] and values[f"{slot}_id"] not in own:
            values[f"{slot}_id"] = ""
    values["reference_image_ids"] = ",".join(i for i in _references(values) if i in own)
    return values


# --- Estimate --------------------------------------------------------------------------------


def _per_second(model: str, resolution: str, audio: bool) -> pricing.Quote | None:
    """One second of `model` ("standard", "fast", "lite") at `resolution`, from its price row;
    None when that model makes no such video or has no price for it."""
    try:
        model_id = limits(model).model_id
        price_class = PriceClass.VIDEO_AUDIO if audio else PriceClass.VIDEO
        return pricing.quote_model(price_class, model_id, pricing.video_variant(resolution, audio), 1)
    except (StudioError, pricing.PriceMissing):
        return None


def _rates(values: dict[str, str]) -> dict:
    """What a second costs on each model at the form's resolution, and what audio adds on the
    chosen one: the price rows' real differences (Fast and Lite differ from standard)."""
    resolution, audio = values["resolution"], values["generate_audio"] == "true"
    models = []
    for model, _ in MODEL_CHOICES:
        try:
            label = limits(model).label
        except StudioError:
            continue
        models.append({"model": model, "label": label, "quote": _per_second(model, resolution, audio)})
    chosen = values["model"]
    plain, loud = _per_second(chosen, resolution, False), _per_second(chosen, resolution, True)
    audio_adds = None
    if plain and loud:
        audio_adds = {
            "plain": plain,
            "loud": loud,
            "zar_cents": loud.zar_cents - plain.zar_cents,
            "usd_micros": loud.usd_micros - plain.usd_micros,
        }
    try:
        chosen_label = limits(chosen).label
    except StudioError:
        chosen_label = chosen
    return {
        "models": models,
        "resolution_words": RESOLUTION_WORDS.get(resolution, resolution),
        "audio": audio,
        "audio_adds": audio_adds,
        "chosen_label": chosen_label,
    }


def _seed_hint(values: dict[str, str]) -> str:
    """The seed hint for the form's model and its prompt-enhancement box, as they are now."""
    note = providers.seed_note(MODELS[values["model"]], enhance_prompt=values["enhance_prompt"] == "true")
    return note or SEED_HINT


def _estimate(user, values: dict[str, str], form: StudioForm | None = None) -> dict:
    """Cost, seconds, pool and what is left after; {"problem": ...} when it cannot tell. Always
    with the per-second rates and the seed hint, which the page refreshes beside the estimate."""
    form = form or FORM
    estimate = form.estimate(user, values)
    estimate.update(rates=_rates(values), seed_hint=_seed_hint(values))
    if "problem" in estimate:
        return estimate
    audio = values["generate_audio"] == "true"
    extending = form is EXTEND_FORM
    estimate.update(
        seconds=estimate["units"],
        duration=VIDEO_EXTEND_SECONDS if extending else int(values["duration_seconds"].strip()),
        count=1 if extending else int(values["count"]),
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
    if asset.origin == MediaAsset.Origin.UPLOADED:
        return gettext("Uploaded image, %(when)s") % {"when": when}
    return gettext("Image, %(when)s") % {"when": when}


def _recent_jobs(user) -> list[MediaJob]:
    mine = MediaJob.objects.for_user(user).filter(operation__in=operations.names(output_kind="video"))
    return list(mine[:RECENT_JOBS])


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


def _resolutions(plan, values: dict[str, str]) -> list[dict]:
    """Each resolution with whether the plan has it and, when not, which plan does and what a
    second of it costs on the one model that makes it (4K: Veo 3.1 standard)."""
    audio = values["generate_audio"] == "true"
    options = []
    for resolution in VIDEO_RESOLUTIONS:
        option = {"value": resolution, "label": RESOLUTION_WORDS[resolution], "allowed": True}
        if resolution not in plan.video_resolutions:
            tiers = [p.code for p in billing.upgrade_plans(plan) if resolution in p.video_resolutions]
            makers = [m for m, _ in MODEL_CHOICES if _makes(m, resolution)]
            option.update(
                allowed=False,
                tiers=tiers,
                model=limits(makers[0]).label if makers else "",
                quote=_per_second(makers[0], resolution, audio) if makers else None,
            )
        options.append(option)
    return options


def _makes(model: str, resolution: str) -> bool:
    try:
        return resolution in limits(model).resolutions
    except StudioError:
        return False


def _options_context(request: PageRequest, values: dict[str, str]) -> dict:
    """The Veo options both forms show: models, resolutions (tier-gated), people."""
    plan = billing.plan_for(request.user)
    return {
        "models": [
            {"value": m, "label": _label(m), "words": words} for m, words in MODEL_CHOICES if _label(m)
        ],
        "resolutions": _resolutions(plan, values),
        "people": PERSON_CHOICES,
    }


def _label(model: str) -> str:
    try:
        return limits(model).label
    except StudioError:
        return ""  # no setting serves it: not offered


def _form_context(request: PageRequest, values: dict[str, str], **kwargs) -> dict:
    """Everything the form needs (StudioForm.context, and the picker and the Veo settings)."""
    estimate = _estimate(request.user, values)
    context = FORM.context(request, values, estimate=estimate, **kwargs)
    references = _references(values)
    context.update(
        _options_context(request, values),
        form_error=context["errors"].get(""),
        seed_hint=estimate["seed_hint"],
        images=_picker(request.user, [values["first_frame_id"], values["last_frame_id"], *references]),
        references=references,
        max_references=MAX_VIDEO_REFERENCES,
        durations=[str(d) for d in VIDEO_DURATIONS],
        ratios=[(ratio, ratio.replace(":", "/")) for ratio in VIDEO_ASPECT_RATIOS],
        counts=[str(n) for n in range(1, MAX_COUNT + 1)],
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
        references = list(params.reference_image_ids)
        own = _own_image_ids(request.user, [params.first_frame_id, params.last_frame_id, *references])
        chosen = {f"{slot}_id": getattr(params, f"{slot}_id") for slot in FRAMES}
        found = {
            name: gettext("Choose one of your images.")
            for name, id_ in chosen.items()
            if id_ and str(id_) not in own
        }
        if any(str(i) not in own for i in references):
            found["reference_image_ids"] = gettext("Choose your own images.")
        return found

    job = FORM.post(
        request,
        values,
        lambda values, **kw: _render_form(request, values, **kw),
        errors=_take_uploads(request, values),
        check=foreign_frames,
        beside_fields=BESIDE_FIELDS,
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
    """The #estimate partial for the form's current values (never an error status), with the
    audio and seed hints out of band: they follow the model, resolution and enhancement boxes."""
    return _estimate_answer(request, _estimate(request.user, _form_values(request.GET)))


def _estimate_answer(request: PageRequest, estimate: dict) -> HttpResponse:
    context = {"estimate": estimate, "oob": True}
    return render(request, "studio/_video_estimate.html", context)


# --- Extend one of the user's videos ----------------------------------------------------------


def _source_video(user, video_id: str) -> MediaAsset | None:
    try:
        return MediaAsset.objects.for_user(user).videos().filter(pk=uuid.UUID(str(video_id))).first()
    except ValueError:
        return None


def _render_extend(request: PageRequest, values: dict[str, str], **kwargs) -> HttpResponse:
    plan = billing.plan_for(request.user)
    if plan.video_samples_only:
        return render(request, CREATE_PAGE, _samples_context(plan, kwargs.get("failure")))
    video = _source_video(request.user, values["video_id"])
    if video is None:
        raise Http404(gettext("No such video."))
    estimate = _estimate(request.user, values, EXTEND_FORM)
    context = EXTEND_FORM.context(request, values, estimate=estimate, **kwargs)
    context.update(
        _options_context(request, values),
        form_error=context["errors"].get(""),
        seed_hint=estimate["seed_hint"],
        video=video,
        video_url=serving.media_url(video),
        poster=serving.media_url(video, "thumbnail"),
        too_long=(video.duration_seconds or 0) > VIDEO_EXTEND_MAX_INPUT_SECONDS,
        extend_seconds=VIDEO_EXTEND_SECONDS,
        max_seconds=VIDEO_EXTEND_MAX_INPUT_SECONDS,
    )
    if request.htmx and request.method == "POST":
        return render(request, f"{EXTEND_PAGE}#form", context)
    return render(request, EXTEND_PAGE, context)


@never_cache  # the form carries a one-time idempotency key
@require_http_methods(["GET", "POST"])
@login_required
def video_extend(request: PageRequest, video_id) -> HttpResponse:
    """Extend one of the user's videos by 7 seconds: the form, and its POST (an extend_video job).
    Anyone else's video, or an id that is not a video, is 404."""
    data = request.GET if request.method == "GET" else request.POST
    values = _extend_values({**data.dict(), "video_id": str(video_id)})
    if request.method == "GET":
        return _render_extend(request, values)
    job = EXTEND_FORM.post(
        request,
        values,
        lambda values, **kw: _render_extend(request, values, **kw),
        beside_fields=BESIDE_FIELDS,
    )
    if isinstance(job, HttpResponse):
        return job
    url = reverse("video-job", kwargs={"job_id": job.id})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_GET
@login_required
def video_extend_estimate(request: PageRequest) -> HttpResponse:
    return _estimate_answer(request, _estimate(request.user, _extend_values(request.GET), EXTEND_FORM))


# --- The job: progress, player, failure --------------------------------------------------------


def _elapsed_words(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _job_context(job: MediaJob) -> dict:
    params = job.params or {}
    progress = answers.progress(job)
    typical = operations.for_job(job).typical_seconds
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
                    # Veo extends videos of up to 30 s (its extend page): longer ones say so.
                    "extendable": (asset.duration_seconds or 0) <= VIDEO_EXTEND_MAX_INPUT_SECONDS,
                }
            )
    frames = {}
    frame_ids = [params.get(f"{slot}_id") for slot in FRAMES]
    reference_ids = list(params.get("reference_image_ids") or [])
    source_id = params.get("video_id")
    wanted = [i for i in [*frame_ids, *reference_ids, source_id] if i]
    by_id = {str(a.id): a for a in MediaAsset.objects.filter(owner_id=job.owner_id, pk__in=wanted)}
    for slot, frame_id in zip(FRAMES, frame_ids, strict=True):
        frame = by_id.get(frame_id or "")
        if frame is not None:
            frames[slot] = serving.media_url(frame, "thumbnail") or serving.media_url(frame)
    references = [
        serving.media_url(by_id[i], "thumbnail") or serving.media_url(by_id[i])
        for i in reference_ids
        if i in by_id
    ]
    source = by_id.get(source_id or "")
    error = errors.job_error_message(job)
    return {
        "job": job,
        "params": params,
        "model_words": _label(model_choice(params)) or "Veo 3.1",
        "extending": bool(operations.get(job.operation).video_fields),
        "references": references,
        "source": source,
        "source_job_id": source.source_job_id if source else None,
        "extend_seconds": VIDEO_EXTEND_SECONDS,
        "max_seconds": VIDEO_EXTEND_MAX_INPUT_SECONDS,
        "person_words": dict(PERSON_CHOICES).get(params.get("person_generation") or "", ""),
        "frames": frames,
        "percent": round(progress["fraction"] * 100),
        "eta": progress["eta_seconds"],
        "elapsed": _elapsed_words(elapsed),
        "typical": typical,
        "slow": not job.is_final and elapsed > typical,
        "state_words": STATE_WORDS.get(MediaJob.State(job.state), ""),
        "videos": videos,
        "error": error,
        "reuse_url": _reuse_url(params, job.operation),
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
        .filter(pk=job_id, operation__in=operations.names(output_kind="video"))
        .prefetch_related("assets")
        .first()
    )
    if job is None:
        raise Http404(gettext("No such video."))
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
    path("studio/videos/extend/estimate/", video_extend_estimate, name="video-extend-estimate"),
    path("studio/videos/extend/<uuid:video_id>/", video_extend, name="video-extend"),
]
