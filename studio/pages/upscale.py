"""Image Studio, Upscale tab: pick one of your images, a factor and V3 or V4 Ultra.

X's pattern, as on the Create tab: one view renders the page, or for an htmx request the form
partial again (errors, refusals) or the fresh form with the new job's progress card. The
validation is UpscaleImage's (studio/schemas.py); the tier gate and the prices are
studio/jobs.py's and billing's, so the page shows what submitting would do.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from billing import services as billing
from billing.models import Meter, UpscaleModel
from studio import operations
from studio.errors import StudioError
from studio.models import MediaAsset
from studio.operations import upscale_image
from studio.pages import common, forms
from studio.pages.common import PageRequest
from studio.pages.forms import StudioForm
from studio.schemas import UpscaleImage

PAGE = "studio/image_upscale.html"
PICKER_LIMIT = 24
RECENT_JOBS = 4
FACTORS = ("x2", "x3", "x4")
MODELS = tuple(UpscaleModel)
FORM_DEFAULTS = {"image": "", "factor": "x2", "model": "v3"}


def _upscale_request(values: dict[str, str]) -> UpscaleImage:
    """UpscaleImage from the form's values; raises pydantic's ValidationError."""
    return UpscaleImage.model_validate(
        {"image_id": values["image"] or None, "factor": values["factor"], "model": values["model"]}
    )


FORM = StudioForm(
    operation="upscale_image",
    defaults=FORM_DEFAULTS,
    build=_upscale_request,
    # One upscale, priced by the model; the image only sets the size of the result.
    price=lambda values: (1, {"model": values["model"]}),
    estimate_fields=("factor", "model"),
    renamed={"image_id": "image"},
    again=lambda job: _upscale_again(job),
)


def _upscale_again(job) -> str:
    settings = common.settings_query(job, ("factor", "model"))
    return f"{reverse('image-upscale')}?image={job.params['image_id']}&{settings}"


def _own_image(user, value: str) -> MediaAsset | None:
    try:
        return MediaAsset.objects.for_user(user).images().filter(pk=uuid.UUID(value)).first()
    except ValueError:
        return None


def _model_choices(user, plan) -> list[dict]:
    """V3 and V4 Ultra with their price per image, and for a model the plan lacks, why and the way up."""
    higher = billing.upgrade_plans(plan)
    choices = []
    for model in MODELS:
        allowed = model.value in plan.upscale_models
        offering = [p for p in higher if model.value in p.upscale_models]
        plans = gettext(" and ").join(p.code for p in offering)
        reason = (
            "" if allowed else gettext("%(model)s is on %(plans)s") % {"model": model.label, "plans": plans}
        )
        try:
            if allowed:
                _, quote = operations.quote(user, "upscale_image", 1, model=model.value)
            else:
                quote = upscale_image.list_price(model.value)
        except StudioError:
            # No model or no price row for it (the operator's to fix; the log says which): the
            # choice is shown, disabled, with a plain reason, instead of the page failing.
            reason = gettext("%(model)s is not available right now") % {"model": model.label}
            quote, allowed, offering = None, False, []
        choices.append(
            {
                "value": model.value,
                "label": model.label,
                "quote": quote,
                "allowed": allowed,
                "reason": reason,
                "upgrade": [] if allowed else offering,
            }
        )
    return choices


def _estimate(user, values: dict[str, str], image: MediaAsset | None = None) -> dict:
    """The cost of the chosen model, the size of the result, and what remains of `upscales`."""
    estimate = FORM.estimate(user, values)
    if "problem" in estimate:
        return estimate
    estimate.update(model=UpscaleModel(values["model"]).label, factor=values["factor"])
    if image is not None and image.width and image.height:
        scale = int(values["factor"][1:])
        width, height = image.width * scale, image.height * scale
        estimate.update(
            width=width, height=height, too_big=width * height > upscale_image.MAX_UPSCALED_PIXELS
        )
        estimate["max_megapixels"] = upscale_image.MAX_UPSCALED_PIXELS // 1_000_000
    return estimate


def _picker(user, selected: MediaAsset | None) -> list[dict]:
    """The newest images as picker tiles; a preselected older image comes first."""
    images = list(MediaAsset.objects.for_user(user).images().select_related("source_job")[:PICKER_LIMIT])
    if selected is not None and all(a.pk != selected.pk for a in images):
        images.insert(0, selected)
    return common.picker_tiles(images)


def _context(
    request: PageRequest,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    failure: dict | None = None,
    key: str | None = None,
) -> dict:
    user = request.user
    plan = billing.plan_for(user)
    context: dict = {"plan": plan, "values": values}
    if not plan.upscale_models:
        # FREE: no form that cannot work; what upscaling is and which plans have it.
        offering = {p.code: p for p in billing.upgrade_plans(plan) if p.upscale_models}
        context["upgrade"] = [
            {**o, "models": [UpscaleModel(m).label for m in offering[o["tier"]].upscale_models]}
            for o in billing.upgrade_options(plan, Meter.UPSCALES, 1)
            if o["tier"] in offering
        ]
        return context
    selected = _own_image(user, values["image"]) if values["image"] else None
    estimate = _estimate(user, values, selected)
    context.update(FORM.context(request, values, errors=errors, failure=failure, key=key, estimate=estimate))
    context.update(
        show_form=True,
        images=_picker(user, selected),
        picker_limit=PICKER_LIMIT,
        factors=FACTORS,
        models=_model_choices(user, plan),
    )
    return context


@never_cache  # the form carries a one-time idempotency key: Back must fetch a fresh one
@require_http_methods(["GET", "POST"])
@login_required
def image_upscale(request: PageRequest) -> HttpResponse:
    """Image Studio, Upscale tab. ?image=<id> preselects one of the user's images."""
    if request.method == "GET":
        return _render(request, _context(request, FORM.values(request.GET)))
    values = FORM.values(request.POST)
    if not billing.plan_for(request.user).upscale_models:
        return _render(request, _context(request, values))
    job = FORM.post(
        request,
        values,
        lambda values, **kw: _render(request, _context(request, values, **kw)),
        # Another user's id, or one that never was: the picker's error, not a refusal.
        beside_fields={"not_found": ("image", gettext("Choose one of your images."))},
    )
    if isinstance(job, HttpResponse):
        return job
    return forms.submitted(request, job, PAGE, lambda: _context(request, values))


def _render(request: PageRequest, context: dict) -> HttpResponse:
    if request.htmx and request.method == "POST" and context.get("show_form"):
        return render(request, f"{PAGE}#form", context)
    if context.get("show_form"):
        context["cards"] = common.recent_cards(request.user, "upscale_image", RECENT_JOBS)
    return render(request, PAGE, context)


@require_GET
@login_required
def upscale_estimate(request: PageRequest) -> HttpResponse:
    """The #estimate partial for the form's current choices (never an error status)."""
    values = FORM.values(request.GET)
    image = _own_image(request.user, values["image"]) if values["image"] else None
    return render(request, f"{PAGE}#estimate", {"estimate": _estimate(request.user, values, image)})


urlpatterns = [
    path("studio/images/upscale/", image_upscale, name="image-upscale"),
    path("studio/images/upscale/estimate/", upscale_estimate, name="image-upscale-estimate"),
]
