"""Image Studio, Edit tab: pick or upload an image, paint a mask, choose the mode, submit.

    image-edit          step 1: the user's images (newest first) and an upload form; for a plan
                        whose editing is a demo (FREE), the demo instead
    image-edit-canvas   steps 2 and 3 for one of the user's images: the mask editor
                        (static/studio/mask_editor.js) and the mode / prompt / cost form
    image-edit-estimate the live cost estimate (#estimate partial)
    image-edit-demo     the demo: a sample picture with a prepared mask and result; applying
                        shows the upgrade prompt and creates nothing

The mask is painted in the browser on a canvas of the image's own pixel size and sent as a PNG
data URL in the `mask` field; EditImage validates the request and jobs.submit_job checks the
mask against the image (size, not empty), exactly as for the JSON API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from billing import services as billing
from billing.models import Meter
from studio import assets, operations, uploads
from studio.errors import StudioError
from studio.models import MediaAsset
from studio.pages import common, forms
from studio.pages.common import PageRequest
from studio.pages.forms import StudioForm
from studio.schemas import (
    IMAGE_ASPECT_RATIOS,
    EditImage,
)
from studio.serving import media_url

EDIT_PAGE = "studio/image_edit.html"
PICK_PAGE = "studio/image_edit_pick.html"
PICK_PER_PAGE = 24
RECENT_EDITS = 4

MODES = [
    ("insert", gettext_lazy("Insert"), gettext_lazy("Add what you describe inside the painted area.")),
    (
        "remove",
        gettext_lazy("Remove"),
        gettext_lazy("Erase what is inside the painted area and fill it in naturally."),
    ),
    (
        "background_swap",
        gettext_lazy("Background swap"),
        gettext_lazy(
            "Keep the subject, replace the background with what you describe "
            "(paint the background to choose it yourself)."
        ),
    ),
    (
        "outpaint",
        gettext_lazy("Outpaint"),
        gettext_lazy("Extend the picture beyond its edges and fill the new space."),
    ),
]
NEEDS_MASK = ("insert", "remove")
# The outpaint fields: each side's form name and its label.
SIDES = (
    ("left", pgettext_lazy("outpaint side", "Left")),
    ("top", pgettext_lazy("outpaint side", "Top")),
    ("right", pgettext_lazy("outpaint side", "Right")),
    ("bottom", pgettext_lazy("outpaint side", "Bottom")),
)
FORM_DEFAULTS = {
    "mode": "insert",
    "prompt": "",
    "count": "1",
    "negative_prompt": "",
    "seed": "",
    "mask": "",
    "outpaint_by": "sides",
    "left": "0",
    "top": "0",
    "right": "0",
    "bottom": "0",
    "outpaint_aspect_ratio": "16:9",
}
# A mask error from the server belongs next to the canvas, not in the alert at the top.
MASK_CODES = ("invalid_mask", "mask_size_mismatch", "invalid_image", "upload_too_large", "image_too_large")

DEMO: dict[str, Any] = {
    "source": "studio/demo/edit-source.webp",
    "mask": "studio/demo/edit-mask.png",
    "result": "studio/demo/edit-result.webp",
    "width": 768,
    "height": 512,
    "prompt": gettext_lazy("A red and yellow hot-air balloon drifting over the mountain"),
}


def _edit_request(values: dict[str, str]) -> EditImage:
    """EditImage from the form's values; raises pydantic's ValidationError.

    Only the inputs of the chosen mode are passed on: a mask painted before switching to
    outpaint, or side widths left over from trying outpaint, are not part of the request.
    """
    mode = values["mode"]
    data: dict = {
        "image_id": values.get("image_id"),  # the canvas's image, from its URL
        "mode": mode,
        "prompt": values["prompt"],
        "count": values["count"],
        "negative_prompt": values["negative_prompt"].strip() or None,
        "seed": values["seed"].strip() or None,
    }
    if mode == "outpaint":
        if values["outpaint_by"] == "ratio":
            data["outpaint_aspect_ratio"] = values["outpaint_aspect_ratio"]
        else:
            data["outpaint"] = {
                side: values[side].strip() or "0" for side in ("left", "top", "right", "bottom")
            }
    elif values["mask"]:
        data["mask"] = values["mask"]
    return EditImage.model_validate(data)


def _edit_again(job) -> str:
    """The canvas of the job's image with its mode, words and sides (the mask is painted again)."""
    params = job.params or {}
    query = common.settings_query(job, ("mode", "prompt", "count", "negative_prompt", "seed"))
    sides = {side: value for side, value in (params.get("outpaint") or {}).items() if value}
    if params.get("outpaint_aspect_ratio"):
        sides = {"outpaint_by": "ratio", "outpaint_aspect_ratio": params["outpaint_aspect_ratio"]}
    url = reverse("image-edit-canvas", kwargs={"asset_id": params["image_id"]})
    return f"{url}?{query}&{urlencode(sides)}" if sides else f"{url}?{query}"


FORM = StudioForm(
    operation="edit_image",
    defaults=FORM_DEFAULTS,
    build=_edit_request,
    # The price depends on the count only: shown whatever the user is still painting or typing.
    price=lambda values: (int(values["count"]), {}),
    labels={"count": gettext_lazy("Number of images")},
    estimate_fields=("count",),
    again=_edit_again,
)


def _user_image(user, asset_id) -> MediaAsset:
    asset = MediaAsset.objects.for_user(user).images().filter(pk=asset_id).first()
    if asset is None:
        raise Http404("No such image.")
    return asset


def _form_context(request: PageRequest, values: dict[str, str], **kwargs) -> dict:
    """What the mode / prompt / cost form needs (StudioForm.context, and the modes, sides, ratios
    and counts)."""
    values = {**values, "mask": ""}  # never echoed back: the canvas still holds it
    context = FORM.context(request, values, **kwargs)
    most = common.max_count(context["plan"], Meter.EDITS)
    context.update(
        modes=MODES,
        sides=[(side, label, values[side]) for side, label in SIDES],
        ratios=[(ratio, ratio.replace(":", "/")) for ratio in IMAGE_ASPECT_RATIOS],
        counts=forms.counts(most),
        max_count=most,
    )
    return context


def _canvas_context(request: PageRequest, asset: MediaAsset, values: dict[str, str], **kwargs) -> dict:
    context = _form_context(request, values, **kwargs)
    context.update(
        demo=False,
        asset=asset,
        picture={"url": media_url(asset), "width": asset.width, "height": asset.height},
        action=request.path,
    )
    return context


def _demo_context(request: PageRequest, values: dict[str, str], **kwargs) -> dict:
    context = _form_context(request, values, **kwargs)
    context.update(
        demo=True,
        picture={"url": static(DEMO["source"]), "width": DEMO["width"], "height": DEMO["height"]},
        mask_url=static(DEMO["mask"]),
        result_url=static(DEMO["result"]),
        action=reverse("image-edit-demo"),
    )
    return context


def _render_canvas(request: PageRequest, asset: MediaAsset, values: dict[str, str], **kwargs) -> HttpResponse:
    context = _canvas_context(request, asset, values, **kwargs)
    if request.htmx and request.method == "POST":
        return render(request, f"{EDIT_PAGE}#form", context)
    context["cards"] = common.recent_cards(
        request.user, "edit_image", RECENT_EDITS, params__image_id=str(asset.id)
    )
    return render(request, EDIT_PAGE, context)


def _render_demo(request: PageRequest, values: dict[str, str], **kwargs) -> HttpResponse:
    context = _demo_context(request, values, **kwargs)
    if request.htmx and request.method == "POST":
        return render(request, f"{EDIT_PAGE}#form", context)
    return render(request, EDIT_PAGE, context)


def _demo_values() -> dict[str, str]:
    return {**FORM_DEFAULTS, "prompt": str(DEMO["prompt"])}


# --- Step 1: pick or upload ----------------------------------------------------------------


def _render_pick(request: PageRequest, *, upload_error: str = "") -> HttpResponse:
    images = MediaAsset.objects.for_user(request.user).images().order_by("-created_at")
    page = Paginator(images, PICK_PER_PAGE).get_page(request.GET.get("page"))
    items = [
        {"asset": asset, "thumb": media_url(asset, "thumbnail") or media_url(asset)}
        for asset in page.object_list
    ]
    context = {
        "page": page,
        "items": items,
        "upload_error": upload_error,
        "max_mb": uploads.max_upload_bytes() // (1024 * 1024),
    }
    return render(request, PICK_PAGE, context)


@never_cache  # the demo form carries a one-time idempotency key
@require_http_methods(["GET", "POST"])
@login_required
def image_edit(request: PageRequest) -> HttpResponse:
    """Step 1: choose one of your images or upload one. A demo-only plan gets the demo."""
    if billing.plan_for(request.user).edit_demo_only:
        if request.method == "POST":
            return redirect("image-edit")
        return _render_demo(request, _demo_values())
    if request.method == "GET":
        return _render_pick(request)
    try:
        uploads.check_upload_cap(request)
        upload = request.FILES.get("image")
        if upload is None:
            return _render_pick(request, upload_error=_("Choose an image file to upload."))
        asset = assets.save_upload(request.user, upload)
    except uploads.UploadError as e:
        return _render_pick(request, upload_error=e.message)
    except StudioError as e:
        return _render_pick(request, upload_error=e.message)
    return redirect("image-edit-canvas", asset_id=asset.id)


# --- Steps 2 and 3: paint, choose, submit --------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def image_edit_canvas(request: PageRequest, asset_id) -> HttpResponse:
    """The mask editor and the edit form for one of the user's images (anyone else's: 404)."""
    asset = _user_image(request.user, asset_id)
    if request.method == "GET":
        return _render_canvas(request, asset, FORM.values(request.GET))
    values = {**FORM.values(request.POST), "image_id": str(asset.id)}
    job = FORM.post(
        request,
        values,
        lambda values, **kw: _render_canvas(request, asset, values, **kw),
        beside_fields=dict.fromkeys(MASK_CODES, ("mask", "")),
    )
    if isinstance(job, HttpResponse):
        return job
    return forms.submitted(request, job, EDIT_PAGE, lambda: _canvas_context(request, asset, values))


@require_GET
@login_required
def image_edit_estimate(request: PageRequest) -> HttpResponse:
    """The #estimate partial for the form's count (never an error status)."""
    context = {"estimate": FORM.estimate(request.user, FORM.values(request.GET))}
    return render(request, f"{EDIT_PAGE}#estimate", context)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def image_edit_demo(request: PageRequest) -> HttpResponse:
    """The demo. Applying asks the tier gate, which for a demo-only plan answers with the upgrade
    options; nothing is submitted, reserved or stored, whatever the plan."""
    if request.method == "GET":
        return _render_demo(request, _demo_values())
    values = FORM.values(request.POST)
    posted_key = request.POST.get("idempotency_key", "")
    try:
        operations.quote(request.user, "edit_image", 1)
    except StudioError as e:
        return _render_demo(request, values, failure=common.failure(e), key=posted_key)
    failure: dict[str, Any] = {
        "code": "demo",
        "message": _("This is the demo picture. Your plan edits your own images: pick one on the Edit tab."),
        "upgrade": [],
        "resets_at": None,
    }
    return _render_demo(request, values, failure=failure, key=posted_key)


urlpatterns = [
    path("studio/images/edit/", image_edit, name="image-edit"),
    path("studio/images/edit/demo/", image_edit_demo, name="image-edit-demo"),
    path("studio/images/edit/estimate/", image_edit_estimate, name="image-edit-estimate"),
    path("studio/images/edit/<uuid:asset_id>/", image_edit_canvas, name="image-edit-canvas"),
]
