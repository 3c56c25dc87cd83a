"""Image Studio, Compose tab: tick several of your images, say how to combine them, get one new
image ("put the person from image 1 at Table Mountain, image 2"). No mask.

X's pattern, as on the Upscale tab: one view renders the page, or for an htmx request the form
partial again (errors, refusals) or the fresh form with the new job's card. Validation is
ComposeImage's (studio/schemas.py); the tier gate, the model's limits and the prices are
studio/operations/compose_image.py's, so the page shows what submitting would do. The estimate
lists the ticked images with the numbers the prompt uses (the picker's order).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from billing import services as billing
from billing.models import Meter
from studio import providers
from studio.models import MediaAsset
from studio.pages import common, forms, image_options
from studio.pages.common import PageRequest
from studio.pages.forms import StudioForm
from studio.schemas import ComposeImage

PAGE = "studio/image_compose.html"
PICKER_LIMIT = 24
RECENT_JOBS = 4


def _ids(values: dict[str, str]) -> list[str]:
    return [part for part in values["images"].split(",") if part]


def _compose_request(values: dict[str, str]) -> ComposeImage:
    """ComposeImage from the form's values; raises pydantic's ValidationError."""
    return ComposeImage.model_validate(
        {
            "image_ids": _ids(values),
            "prompt": values["prompt"],
            "count": values["count"],
            "aspect_ratio": values["aspect_ratio"] or None,
            "image_size": values["image_size"],
            "output_format": values["output_format"],
            "negative_prompt": values["negative_prompt"].strip() or None,
            "seed": values["seed"].strip() or None,
        }
    )


FORM = StudioForm(
    operation="compose_image",
    defaults={
        "images": "",
        "prompt": "",
        "count": "1",
        "aspect_ratio": "",
        "image_size": "1K",
        "output_format": "png",
        "negative_prompt": "",
        "seed": "",
    },
    build=_compose_request,
    # Priced per output image at the size; which images and the words do not change it.
    price=lambda values: (int(values["count"]), {"image_size": values["image_size"]}),
    labels={
        "count": gettext_lazy("Number of images"),
        "image_size": gettext_lazy("Size"),
        "aspect_ratio": gettext_lazy("Aspect ratio"),
    },
    estimate_fields=("count", "image_size", "aspect_ratio"),
    renamed={"image_ids": "images"},
)


def _values(data) -> dict[str, str]:
    """The form's values; the ticked images (a list in a form, a string in a query) as "id,id"."""
    values = FORM.values(data)
    if hasattr(data, "getlist"):
        values["images"] = ",".join(data.getlist("images"))
    return values


def _chosen(user, values: dict[str, str]) -> list[MediaAsset]:
    """The user's images among the ticked ids, in the order they are sent (image 1 first)."""
    wanted = []
    for value in _ids(values):
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    found = {a.pk: a for a in MediaAsset.objects.for_user(user).images().filter(pk__in=wanted)}
    return [found[pk] for pk in wanted if pk in found]


def _estimate(user, values: dict[str, str]) -> dict:
    """The cost, the ticked images numbered as the prompt names them, and the model's limit."""
    estimate = FORM.estimate(user, values)
    model = image_options.serving_model(user, FORM.operation)
    chosen = _chosen(user, values)
    estimate.update(chosen=common.picker_tiles(chosen), most=model.max_input_images if model else 0)
    estimate["too_many"] = bool(model) and len(chosen) > model.max_input_images
    return estimate


def _context(request: PageRequest, values: dict[str, str], **kwargs) -> dict:
    user = request.user
    plan = billing.plan_for(user)
    if plan.edit_demo_only:
        # FREE: no form that cannot work; what composing is and which plans have it.
        return {
            "plan": plan,
            "values": values,
            "upgrade": billing.upgrade_options(plan, Meter.IMAGES, 1),
        }
    context = FORM.context(request, values, estimate=_estimate(user, values), **kwargs)
    chosen = set(_ids(values))
    images = MediaAsset.objects.for_user(user).images().select_related("source_job")[:PICKER_LIMIT]
    context.update(
        show_form=True,
        images=common.picker_tiles(images),
        chosen=chosen,
        picker_limit=PICKER_LIMIT,
        ratios=image_options.ratio_choices(image_options.serving_model(user, FORM.operation)),
        sizes=image_options.size_choices(user, FORM.operation, providers.Operation.IMAGE_COMPOSE),
        formats=image_options.format_choices(),
        counts=forms.counts(common.max_count(plan, Meter.IMAGES)),
    )
    return context


def _render(request: PageRequest, context: dict) -> HttpResponse:
    if request.htmx and request.method == "POST" and context.get("show_form"):
        return render(request, f"{PAGE}#form", context)
    if context.get("show_form"):
        context["cards"] = common.recent_cards(request.user, FORM.operation, RECENT_JOBS)
    return render(request, PAGE, context)


@never_cache  # the form carries a one-time idempotency key: Back must fetch a fresh one
@require_http_methods(["GET", "POST"])
@login_required
def image_compose(request: PageRequest) -> HttpResponse:
    """Image Studio, Compose tab. ?images=<id>,<id> preselects some of the user's images."""
    if request.method == "GET":
        return _render(request, _context(request, _values(request.GET)))
    values = _values(request.POST)
    if billing.plan_for(request.user).edit_demo_only:
        return _render(request, _context(request, values))
    job = FORM.post(
        request,
        values,
        lambda values, **kw: _render(request, _context(request, values, **kw)),
        beside_fields={
            **image_options.BESIDE_FIELDS,
            "too_many_images": ("images", ""),
            # Another user's id, or one that never was: the picker's error, not a refusal.
            "not_found": ("images", _("Choose your own images.")),
        },
    )
    if isinstance(job, HttpResponse):
        return job
    return forms.submitted(request, job, PAGE, lambda: _context(request, values))


@require_GET
@login_required
def compose_estimate(request: PageRequest) -> HttpResponse:
    """The #estimate partial for the form's current choices (never an error status)."""
    return render(request, f"{PAGE}#estimate", {"estimate": _estimate(request.user, _values(request.GET))})


urlpatterns = [
    path("studio/images/compose/", image_compose, name="image-compose"),
    path("studio/images/compose/estimate/", compose_estimate, name="image-compose-estimate"),
]
