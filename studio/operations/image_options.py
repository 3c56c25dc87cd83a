"""What the image operations share about a request's options: the output size each plan may ask
for, and the aspect ratios, sizes and input counts the chosen model takes.

Not an operation (no OPERATION here): generate_image and compose_image call these from their
tier gate (admit) and their model check (check_model). README: "Image sizes, ratios and formats".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import services as billing
from billing.models import Meter
from studio.errors import StudioError, upgrade_required
from studio.operations.base import Flag, Operation
from studio.schemas import IMAGE_SIZES, OUTPUT_FORMATS

# The output sizes each plan may ask for, by plan code. 512 is smaller than the 1K every plan has,
# but only Gemini 3.1 Flash Image makes it and FREE's previews come from Pollinations at 1K.
# A plan not listed here (a new one staff add) gets 1K until it is.
PLAN_IMAGE_SIZES: dict[str, tuple[str, ...]] = {
    "FREE": ("1K",),
    "JIVE": ("512", "1K", "2K"),
    "JIGGA": IMAGE_SIZES,
}
SIZE_WORDS = {"512": "512 (0.25 MP)", "1K": "1K", "2K": "2K", "4K": "4K"}

# The slash-command flags of what an image request makes, and of how many and what not to show
# (/image and /compose, in that order around their own flags).
OUTPUT_FLAGS = (
    Flag(("--ar", "--aspect"), "aspect_ratio", gettext_lazy("Aspect ratio, width:height.")),
    Flag(("--size",), "image_size", gettext_lazy("Output size (larger costs more).")),
    Flag(("--format",), "output_format", gettext_lazy("File type of the result.")),
    Flag(("--n", "--count"), "count", gettext_lazy("How many images.")),
)
NEGATIVE_FLAG = Flag(
    ("--no", "--negative"), "negative_prompt", gettext_lazy("What the image should not show."), "words"
)
SEED_FLAG = Flag(
    ("--seed",), "seed", gettext_lazy("Repeat a result: the same seed and prompt give a similar one.")
)


def plan_sizes(plan) -> tuple[str, ...]:
    return PLAN_IMAGE_SIZES.get(plan.code, ("1K",))


def admit_size(plan, size: str, meter: str, units: int) -> None:
    """The tier gate on the output size: StudioError(upgrade_required) with the plans that have it."""
    if size in plan_sizes(plan):
        return
    offering = {p.code for p in billing.upgrade_plans(plan) if size in plan_sizes(p)}
    options = [o for o in billing.upgrade_options(plan, meter, units) if o["tier"] in offering]
    raise upgrade_required(
        _("%(size)s images are not part of the %(plan)s plan.") % {"size": size, "plan": plan.name},
        tier=plan.code,
        upgrade=options,
    )


def check_model(model, fields: dict[str, Any]) -> None:
    """Refuse what the model that would serve the request cannot do (`model`: the catalog's
    ModelInfo). `fields` are the request's (or a quote's choices): aspect_ratio, image_size,
    image_ids; those absent or None are not checked. Nothing is reserved before this passes."""
    ratio = fields.get("aspect_ratio")
    if ratio and model.aspect_ratios and ratio not in model.aspect_ratios:
        raise StudioError(
            "unsupported_aspect_ratio",
            _("The image model in use does not make %(what)s images. It offers %(offers)s.")
            % {"what": ratio, "offers": ", ".join(model.aspect_ratios)},
            status=422,
            field="aspect_ratio",
            supported=list(model.aspect_ratios),
        )
    size = fields.get("image_size")
    if size and size not in model.image_sizes:
        raise StudioError(
            "unsupported_image_size",
            _("The image model in use does not make %(what)s images. It offers %(offers)s.")
            % {"what": size, "offers": ", ".join(model.image_sizes)},
            status=422,
            field="image_size",
            supported=list(model.image_sizes),
        )
    images = fields.get("image_ids")
    if images is not None and len(images) > model.max_input_images:
        raise StudioError(
            "too_many_images",
            _("The image model in use takes at most %(most)s images; %(chosen)s were chosen.")
            % {"most": model.max_input_images, "chosen": len(images)},
            status=422,
            field="image_ids",
            most=model.max_input_images,
        )


def size_and_format_rows(params: dict, made_types: Collection[str] = ()) -> list[tuple[str, str]]:
    """The gallery's rows for a request's size and file type (jobs from before them: 1K, PNG). The
    type is the one the files were stored as when `made_types` names one: FREE's preview is a
    JPEG when PNG was asked (GenerateImageOperation.output_mime_type), and the file is what the
    person downloads."""
    asked = params.get("output_format") or "png"
    stored = {mime: name for name, mime in OUTPUT_FORMATS.items()}
    made = set(made_types)
    shown = stored.get(made.pop(), asked) if len(made) == 1 else asked
    return [
        (_("Size"), SIZE_WORDS.get(params.get("image_size") or "1K", "1K")),
        (_("Format"), shown.upper()),
    ]


class SizedImageOperation(Operation):
    """An operation that makes new images at a chosen size and file type (generate_image,
    compose_image): paid from the `images` allowance, priced by its size's row, and refused what
    the model cannot make."""

    price_choices = {"image_size": "1K"}

    def meter(self, **choices) -> str:
        return Meter.IMAGES

    def price_variant(self, **choices) -> str:
        return self.choices(choices)["image_size"]

    def check_model(self, model, fields: dict[str, Any]) -> None:
        check_model(model, fields)
