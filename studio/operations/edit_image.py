"""Edit image: insert or remove inside a mask (painted, an uploaded mask image, or the area in
words), swap the background, or outpaint."""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from billing import services as billing
from billing.models import Meter, PriceClass
from studio import assets, providers, schemas, uploads
from studio.errors import StudioError, upgrade_required, validation_error
from studio.models import MediaAsset
from studio.operations.base import JobPlan, Operation
from studio.schemas import EditImage, OutpaintSides

# The validation error type of an area in words that the edit model in use cannot find.
MASK_DESCRIPTION_UNSUPPORTED = "mask_description_unsupported"

# The gallery's words for each mode.
MODE_LABELS = {
    "insert": pgettext_lazy("edit mode", "Insert"),
    "remove": pgettext_lazy("edit mode", "Remove"),
    "background_swap": pgettext_lazy("edit mode", "Background swap"),
    "outpaint": pgettext_lazy("edit mode", "Outpaint"),
}
_STARTED = {
    "insert": gettext_lazy("Started an insert edit of the image"),
    "remove": gettext_lazy("Started removing from the image"),
    "background_swap": gettext_lazy("Started swapping the image's background"),
    "outpaint": gettext_lazy("Started extending the image's canvas"),
}


class EditImageOperation(Operation):
    name = "edit_image"
    label = gettext_lazy("Edit image")
    schema = EditImage
    image_fields = ("image_id", "mask_asset_id")
    file_fields = frozenset({"mask"})
    nouns = (pgettext_lazy("output", "edit"), pgettext_lazy("output", "edits"))
    typical_seconds = 15
    api_path = "/images/edit"
    api_summary = "Edit an image"
    api_description = (
        "Edit one of your images (JIVE, JIGGA). insert and remove need a mask, exactly one of: "
        "mask_asset_id (one of your uploads, the image's pixel size, white where to edit), "
        "mask_description (the area in words; Gemini image models) or mask (a painted PNG, base64 "
        "or a data URL). background_swap finds the background itself; outpaint needs no mask."
    )
    api_error_codes = ("not_found", "invalid_mask", "mask_size_mismatch")

    tool_description = (
        "Edit one of the user's images, given its image_id. Modes: insert adds what the prompt "
        "describes inside an area; remove erases an area and fills it in; background_swap replaces "
        "the background with what the prompt describes (it finds the background itself, no mask); "
        "outpaint extends the canvas, either by pixels per side (outpaint) or to a target "
        "outpaint_aspect_ratio. For insert and remove say where with exactly one of "
        "mask_description (the area in words, e.g. 'the red car') or mask_asset_id (one of the "
        "user's uploaded images used as a black-and-white mask of the same size). Tiers: JIVE and "
        "JIGGA (monthly edit allowance); FREE users are refused with an upgrade answer."
    )
    tool_hidden_fields = frozenset({"mask"})

    def meter(self, **choices) -> str:
        return Meter.EDITS

    def admit(self, plan, units: int, **choices) -> JobPlan:
        if plan.edit_demo_only:
            raise upgrade_required(
                _(
                    "Editing images is not part of the %(plan)s plan (the editor is a demo). "
                    "Upgrade to edit your own images."
                )
                % {"plan": plan.name},
                tier=plan.code,
                upgrade=billing.upgrade_options(plan, Meter.EDITS, units),
            )
        return JobPlan(providers.Operation.IMAGE_EDIT, Meter.EDITS, units, PriceClass.IMAGE)

    def check_inputs(self, params: EditImage, images: dict) -> dict[str, bytes]:
        """A mask (painted, or one of the user's images) must fit its image; the job keeps the
        cleaned PNG as a file. An area in words needs an edit model that can find it."""
        if params.mask_description and providers.edits_from_words() is None:
            raise validation_error(
                _("The edit model in use cannot find an area from words: give a mask (mask_asset_id)."),
                [
                    {
                        "field": "mask_description",
                        "message": _("this edit model needs a mask image; upload one and send mask_asset_id"),
                        "type": MASK_DESCRIPTION_UNSUPPORTED,
                    }
                ],
            )
        image = images["image_id"]
        if params.mask_asset_id:
            source: bytes | str = assets.read_bytes(images["mask_asset_id"].file)
        elif params.mask:
            source = params.mask
        else:
            return {}
        try:
            data = uploads.decode_data_url(source) if isinstance(source, str) else source
            mask = uploads.clean_mask(data, (image.width, image.height))
        except uploads.UploadError as e:
            raise StudioError(e.code, e.message, status=e.status) from e
        return {"mask": mask}

    def call_provider(self, job):
        # The stored params were validated at submit (without the mask, which the job keeps as
        # a file): read as they are, not validated again.
        params = job.params
        image = MediaAsset.objects.get(pk=params["image_id"], owner=job.owner)
        mask = None
        if job.mask:
            mask = providers.ImageInput(data=assets.read_bytes(job.mask), mime_type="image/png")
        outpaint = None
        if params["mode"] == "outpaint":
            sides = params.get("outpaint") or _sides_for_ratio(image, params["outpaint_aspect_ratio"])
            outpaint = providers.Outpaint(
                left=sides.get("left", 0),
                top=sides.get("top", 0),
                right=sides.get("right", 0),
                bottom=sides.get("bottom", 0),
            )
        request = providers.EditImageRequest(
            image=providers.ImageInput(data=assets.read_bytes(image.file), mime_type=image.mime_type),
            mode=providers.EditMode(params["mode"]),
            prompt=params.get("prompt", ""),
            mask=mask,
            mask_description=params.get("mask_description"),
            outpaint=outpaint,
            count=params.get("count", 1),
            negative_prompt=params.get("negative_prompt"),
            seed=params.get("seed"),
        )
        return providers.edit_image(request), image

    def started_message(self, params, answer: dict) -> str:
        what = str(_STARTED[params.mode])
        if params.count > 1:
            return _("%(started)s (%(count)s variations)") % {"started": what, "count": params.count}
        return what

    def refusal_hint(self, details: list[dict]) -> str:
        about_the_mask = (schemas.EDIT_NEEDS_MASK, schemas.EDIT_ONE_MASK, schemas.OUTPAINT_WITH_MASK)
        if not any(item["field"] == "mask" or item["type"] in about_the_mask for item in details):
            return ""
        return " " + _(
            "Insert and remove edits need exactly one mask: mask_description (the area in words) or"
            " mask_asset_id (an uploaded mask image); background_swap and outpaint work without one."
        )

    def settings_rows(self, params: dict, made_types: Collection[str] = ()) -> list[tuple[str, str]]:
        mode = params.get("mode", "")
        return [(_("Mode"), str(MODE_LABELS.get(mode, mode)))]


def _sides_for_ratio(image: MediaAsset, ratio: str) -> dict[str, int]:
    """Grow the canvas evenly, keeping the whole image, until it has `ratio`."""
    wide, high = (int(part) for part in ratio.split(":"))
    width, height = cast(int, image.width), cast(int, image.height)  # an image's size is stored
    if width * high >= height * wide:  # too wide for the ratio: add height
        extra = max(1, round(width * high / wide) - height)
        sides = OutpaintSides(top=extra // 2, bottom=extra - extra // 2)
    else:
        extra = max(1, round(height * wide / high) - width)
        sides = OutpaintSides(left=extra // 2, right=extra - extra // 2)
    return sides.model_dump()


OPERATION = EditImageOperation()
