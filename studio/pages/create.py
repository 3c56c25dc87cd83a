"""Image Studio, Create tab, and the job page every operation's progress links to."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling, trigger_client_event
from pydantic import ValidationError

from billing import services as billing
from billing.models import Meter
from studio import jobs, messages
from studio.errors import StudioError
from studio.models import MediaJob
from studio.pages import common
from studio.pages.tray import JOBS_CHANGED
from studio.schemas import (
    IMAGE_ASPECT_RATIOS,
    MAX_SEED,
    NEGATIVE_PROMPT_MAX_CHARS,
    PROMPT_MAX_CHARS,
    STYLE_PRESETS,
    GenerateImage,
)

# --- Image Studio: Create ------------------------------------------------------------------
#
# One template (studio/image_studio.html) with partials, X's pattern: the create view, the
# estimate and the job view render the whole page, or for an htmx request only the partial
# that changed. Validation is GenerateImage's (studio/schemas.py), the same as the API's.

STUDIO_PAGE = "studio/image_studio.html"
RECENT_JOBS = 6
FORM_DEFAULTS = {
    "prompt": "",
    "count": "1",
    "aspect_ratio": "1:1",
    "negative_prompt": "",
    "seed": "",
    "style": "",
}
FIELD_LABELS = {
    "prompt": "Prompt",
    "count": "Number of images",
    "aspect_ratio": "Aspect ratio",
    "negative_prompt": "Negative prompt",
    "seed": "Seed",
    "style": "Style",
}


def _form_values(data) -> dict[str, str]:
    """The form's raw values (as typed, for re-display), with the defaults for missing ones."""
    values = {}
    for name, default in FORM_DEFAULTS.items():
        value = data.get(name)
        values[name] = default if value is None or value == "" else str(value)
    return values


def _image_request(values: dict[str, str]) -> GenerateImage:
    """GenerateImage from the form's values; raises pydantic's ValidationError."""
    return GenerateImage.model_validate(
        {
            "prompt": values["prompt"],
            "count": values["count"],
            "aspect_ratio": values["aspect_ratio"],
            "negative_prompt": values["negative_prompt"].strip() or None,
            "seed": values["seed"].strip() or None,
            "style": values["style"] or None,
        }
    )


def _estimate(user, values: dict[str, str]) -> dict:
    """What the request would cost and what would be left; {"problem": ...} when it cannot tell."""
    values = dict(values)
    if not values["prompt"].strip():
        # The price depends on the count, not the words: show it before a prompt is written.
        values["prompt"] = "placeholder"
    try:
        job_plan, quote = jobs.quote_job(user, "generate_image", _image_request(values))
    except ValidationError as e:
        field, message = next(iter(messages.form_errors(e).items()))
        return {"problem": f"{FIELD_LABELS.get(field, field)}: {message}" if field else message}
    except StudioError as e:
        return {"problem": e.message}
    balance = next((b for b in billing.remaining(user) if b.meter == job_plan.meter), None)
    estimate = {"quote": quote, "free": job_plan.watermark, "units": job_plan.units, "balance": balance}
    if balance is not None:
        estimate["after"] = balance.remaining - job_plan.units
        estimate["period"] = common.period_words(balance.period)
        if estimate["after"] < 0:
            estimate["upgrade"] = billing.upgrade_options(
                billing.plan_for(user), job_plan.meter, job_plan.units
            )
    return estimate


def _studio_context(
    request: HttpRequest,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    failure: dict | None = None,
    key: str | None = None,
) -> dict:
    """Everything the Create form needs; a new idempotency key unless `key` is kept."""
    plan = billing.plan_for(request.user)
    max_count = common.max_count(plan, Meter.IMAGES)
    return {
        "plan": plan,
        "show_form": True,
        "values": values,
        "errors": errors or {},
        "failure": failure,
        "idempotency_key": key or uuid.uuid4(),
        "styles": [(name, label, words) for name, (label, words) in STYLE_PRESETS.items()],
        "ratios": [(ratio, ratio.replace(":", "/")) for ratio in IMAGE_ASPECT_RATIOS],
        "counts": [(str(n), n > max_count) for n in range(1, common.MAX_COUNT + 1)],
        "max_count": max_count,
        "prompt_max": PROMPT_MAX_CHARS,
        "negative_max": NEGATIVE_PROMPT_MAX_CHARS,
        "seed_max": MAX_SEED,
        "estimate": _estimate(request.user, values),
    }


def _render_form(request: HttpRequest, values: dict[str, str], **kwargs) -> HttpResponse:
    """The form again (status 200, so htmx swaps it): the partial for htmx, else the page."""
    context = _studio_context(request, values, **kwargs)
    if request.htmx and request.method == "POST":
        return render(request, f"{STUDIO_PAGE}#form", context)
    context["cards"] = common.recent_cards(request.user, "generate_image", RECENT_JOBS)
    return render(request, STUDIO_PAGE, context)


@never_cache  # the form carries a one-time idempotency key: Back must fetch a fresh one
@require_http_methods(["GET", "POST"])
@login_required
def image_create(request: HttpRequest) -> HttpResponse:
    """Image Studio, Create tab: the form, its live estimate and the user's recent results."""
    if request.method == "GET":
        return _render_form(request, _form_values(request.GET))
    values = _form_values(request.POST)
    posted_key = request.POST.get("idempotency_key", "")
    try:
        params = _image_request(values)
    except ValidationError as e:
        return _render_form(request, values, errors=messages.form_errors(e), key=posted_key)

    try:
        job = common.submit_once(request, "generate_image", params, posted_key)
    except StudioError as e:
        keep = None if e.code in common.STALE_KEY_CODES else posted_key
        return _render_form(request, values, failure=common.failure(e), key=keep)
    if not request.htmx:
        return redirect("job-detail", job_id=job.id)
    # htmx: a fresh form (new key, the same settings to iterate on) and the new job on top of
    # the results, where it polls itself.
    context = _studio_context(request, values)
    context["card"] = common.job_card(job)
    # The header's jobs tray wakes up and shows the new job (studio/pages/tray.py).
    return trigger_client_event(render(request, f"{STUDIO_PAGE}#submitted", context), JOBS_CHANGED)


@require_GET
@login_required
def image_estimate(request: HttpRequest) -> HttpResponse:
    """The #estimate partial for the form's current values (never an error status)."""
    context = {"estimate": _estimate(request.user, _form_values(request.GET))}
    return render(request, f"{STUDIO_PAGE}#estimate", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    """A job's progress and results. The owner's only: anyone else gets 404 (no hint that it exists).

    The #progress partial polls this URL every 3 s; once the job is final it answers 286,
    which tells htmx to stop.
    """
    job = MediaJob.objects.for_user(request.user).prefetch_related("assets").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    card = common.job_card(job)
    if request.htmx and not request.htmx.history_restore_request:
        html = render_to_string(f"{STUDIO_PAGE}#progress", {"card": card}, request)
        return HttpResponseStopPolling(html) if job.is_final else HttpResponse(html)
    if job.operation == "generate_image":
        # The form again, filled in with this job's settings, to iterate on.
        params = {k: "" if v is None else v for k, v in (job.params or {}).items()}
        context = _studio_context(request, _form_values(params))
    else:
        context = {"plan": billing.plan_for(request.user), "show_form": False}
    context.update(job=job, cards=[card], refresh=not job.is_final)
    return render(request, STUDIO_PAGE, context)


urlpatterns = [
    path("studio/images/create/", image_create, name="image-create"),
    path("studio/images/estimate/", image_estimate, name="image-estimate"),
    path("studio/jobs/<uuid:job_id>/", job_detail, name="job-detail"),
]
