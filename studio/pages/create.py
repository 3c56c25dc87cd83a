"""Image Studio, Create tab, and the job page every operation's progress links to."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from billing import services as billing
from billing.models import Meter
from studio import providers
from studio.models import MediaJob
from studio.pages import common, forms, image_options
from studio.pages.common import PageRequest
from studio.pages.forms import StudioForm
from studio.schemas import STYLE_PRESETS, GenerateImage

# --- Image Studio: Create ------------------------------------------------------------------
#
# One template (studio/image_studio.html) with partials, X's pattern: the create view, the
# estimate and the job view render the whole page, or for an htmx request only the partial
# that changed. Validation is GenerateImage's (studio/schemas.py), the same as the API's.

STUDIO_PAGE = "studio/image_studio.html"
RECENT_JOBS = 6


def _image_request(values: dict[str, str]) -> GenerateImage:
    """GenerateImage from the form's values; raises pydantic's ValidationError."""
    return GenerateImage.model_validate(
        {
            "prompt": values["prompt"],
            "count": values["count"],
            "aspect_ratio": values["aspect_ratio"],
            "image_size": values["image_size"],
            "output_format": values["output_format"],
            "negative_prompt": values["negative_prompt"].strip() or None,
            "seed": values["seed"].strip() or None,
            "style": values["style"] or None,
        }
    )


FORM_DEFAULTS = {
    "prompt": "",
    "count": "1",
    "aspect_ratio": "1:1",
    "image_size": "1K",
    "output_format": "png",
    "negative_prompt": "",
    "seed": "",
    "style": "",
}
# What "Try again" and "Reuse settings" send back to this form: all of it, in its order.
REUSABLE = tuple(FORM_DEFAULTS)

FORM = StudioForm(
    operation="generate_image",
    defaults=FORM_DEFAULTS,
    build=_image_request,
    # The price depends on the count and the size, not the words: shown before a prompt is written.
    price=lambda values: (int(values["count"]), {"image_size": values["image_size"]}),
    labels={
        "prompt": gettext_lazy("Prompt"),
        "count": gettext_lazy("Number of images"),
        "aspect_ratio": gettext_lazy("Aspect ratio"),
        "image_size": gettext_lazy("Size"),
        "output_format": gettext_lazy("File type"),
        "negative_prompt": gettext_lazy("Negative prompt"),
        "seed": gettext_lazy("Seed"),
        "style": gettext_lazy("Style"),
    },
    again=lambda job: f"{reverse('image-create')}?{common.settings_query(job, REUSABLE)}",
)


def _studio_context(request: PageRequest, values: dict[str, str], **kwargs) -> dict:
    """Everything the Create form needs (StudioForm.context, and the styles, ratios and counts)."""
    context = FORM.context(request, values, **kwargs)
    most = common.max_count(context["plan"], Meter.IMAGES)
    context.update(
        show_form=True,
        styles=[(name, label, words) for name, (label, words) in STYLE_PRESETS.items()],
        ratios=image_options.ratio_choices(image_options.serving_model(request.user, FORM.operation)),
        sizes=image_options.size_choices(request.user, FORM.operation, providers.Operation.IMAGE_GENERATE),
        formats=image_options.format_choices(),
        counts=forms.counts(most),
        max_count=most,
    )
    return context


def _render_form(request: PageRequest, values: dict[str, str], **kwargs) -> HttpResponse:
    """The form again (status 200, so htmx swaps it): the partial for htmx, else the page."""
    context = _studio_context(request, values, **kwargs)
    if request.htmx and request.method == "POST":
        return render(request, f"{STUDIO_PAGE}#form", context)
    context["cards"] = common.recent_cards(request.user, "generate_image", RECENT_JOBS)
    return render(request, STUDIO_PAGE, context)


@never_cache  # the form carries a one-time idempotency key: Back must fetch a fresh one
@require_http_methods(["GET", "POST"])
@login_required
def image_create(request: PageRequest) -> HttpResponse:
    """Image Studio, Create tab: the form, its live estimate and the user's recent results."""
    if request.method == "GET":
        return _render_form(request, FORM.values(request.GET))
    values = FORM.values(request.POST)
    job = FORM.post(
        request,
        values,
        lambda values, **kw: _render_form(request, values, **kw),
        beside_fields=image_options.BESIDE_FIELDS,
    )
    if isinstance(job, HttpResponse):
        return job
    return forms.submitted(request, job, STUDIO_PAGE, lambda: _studio_context(request, values))


@require_GET
@login_required
def image_estimate(request: PageRequest) -> HttpResponse:
    """The #estimate partial for the form's current values (never an error status)."""
    context = {"estimate": FORM.estimate(request.user, FORM.values(request.GET))}
    return render(request, f"{STUDIO_PAGE}#estimate", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def job_detail(request: PageRequest, job_id) -> HttpResponse:
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
    if job.operation == FORM.operation:
        # The form again, filled in with this job's settings, to iterate on.
        params = {k: "" if v is None else v for k, v in (job.params or {}).items()}
        context = _studio_context(request, FORM.values(params))
    else:
        context = {"plan": billing.plan_for(request.user), "show_form": False}
    context.update(job=job, cards=[card], refresh=not job.is_final)
    return render(request, STUDIO_PAGE, context)


urlpatterns = [
    path("studio/images/create/", image_create, name="image-create"),
    path("studio/images/estimate/", image_estimate, name="image-estimate"),
    path("studio/jobs/<uuid:job_id>/", job_detail, name="job-detail"),
]
