"""Upscale image: x2, x3 or x4 with Imagen's V3 upscaler, or V4 Ultra on plans that have it."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from billing import pricing
from billing import services as billing
from billing.models import Meter, PriceClass, UpscaleModel
from studio import assets, providers
from studio.errors import upgrade_required, validation_error
from studio.models import MediaAsset
from studio.operations.base import JobPlan, Operation
from studio.schemas import UpscaleImage

# What the price list calls each upscale model; the Upscale tab shows the price of both.
PRICE_CLASSES = {"v3": PriceClass.UPSCALE_V3, "v4": PriceClass.UPSCALE_V4}
CAPABILITIES = {"v3": providers.Operation.UPSCALE_V3, "v4": providers.Operation.UPSCALE_V4}
# The pages warn before this refusal (studio/pages/upscale.py).
MAX_UPSCALED_PIXELS = providers.MAX_UPSCALED_PIXELS


def list_price(model: str):
    """What one upscale with `model` ("v3", "v4") costs whatever the plan: the Upscale tab shows
    the price of a model the plan lacks beside the way up to it."""
    from studio import operations

    job_plan = JobPlan(CAPABILITIES[model], Meter.UPSCALES, 1, PRICE_CLASSES[model])
    return operations.price(job_plan, pricing.UPSCALE_VARIANT)


def model_label(model: str) -> str:
    return UpscaleModel(model).label if model in UpscaleModel.values else model


class UpscaleImageOperation(Operation):
    name = "upscale_image"
    label = gettext_lazy("Upscale image")
    schema = UpscaleImage
    image_fields = ("image_id",)
    output_looks_like_parent = True  # the thumbnail is the parent's (assets.create_image_asset)
    nouns = (pgettext_lazy("output", "upscale"), pgettext_lazy("output", "upscales"))
    typical_seconds = 10
    api_path = "/images/upscale"
    api_summary = "Upscale an image"
    api_description = "x2/x3/x4 upscale of one of your images: v3 (JIVE, JIGGA) or v4 Ultra (JIGGA)."
    api_error_codes = ("not_found",)

    tool_description = (
        "Make one of the user's images larger and sharper, x2, x3 or x4, given its image_id. "
        "Tiers: JIVE may use the v3 model only; JIGGA may use v3 or v4 (Ultra: sharper, costs "
        "more); FREE users are refused with an upgrade answer. Counts against the monthly upscale "
        "allowance."
    )
    price_choices = {"model": "v3"}

    def units(self, params) -> int:
        return 1

    def price_variant(self, **choices) -> str:
        return pricing.UPSCALE_VARIANT

    def meter(self, **choices) -> str:
        return Meter.UPSCALES

    def admit(self, plan, units: int, **choices) -> JobPlan:
        model = self.choices(choices)["model"]
        if model not in plan.upscale_models:
            wanted = "V4 Ultra" if model == "v4" else _("upscaling")
            offering = {p.code for p in billing.upgrade_plans(plan) if model in p.upscale_models}
            options = [o for o in billing.upgrade_options(plan, Meter.UPSCALES, 1) if o["tier"] in offering]
            raise upgrade_required(
                _("The %(plan)s plan does not include %(wanted)s.") % {"plan": plan.name, "wanted": wanted},
                tier=plan.code,
                upgrade=options,
            )
        return JobPlan(CAPABILITIES[model], Meter.UPSCALES, 1, PRICE_CLASSES[model])

    def check_inputs(self, params: UpscaleImage, images: dict) -> dict[str, bytes]:
        image = images["image_id"]
        scale = int(params.factor.removeprefix("x"))
        if image.width * scale * image.height * scale > MAX_UPSCALED_PIXELS:
            raise validation_error(
                _(
                    "%(factor)s would make this %(width)s×%(height)s image %(new_width)s×%(new_height)s, "
                    "above the upscaler's %(megapixels)s megapixels: choose a smaller factor."
                )
                % {
                    "factor": params.factor,
                    "width": image.width,
                    "height": image.height,
                    "new_width": image.width * scale,
                    "new_height": image.height * scale,
                    "megapixels": MAX_UPSCALED_PIXELS // 1_000_000,
                },
                [{"field": "factor", "message": _("result too large")}],
            )
        return {}

    def call_provider(self, job):
        params = job.params
        image = MediaAsset.objects.get(pk=params["image_id"], owner=job.owner)
        result = providers.upscale_image(
            providers.UpscaleImageRequest(
                image=providers.ImageInput(data=assets.read_bytes(image.file), mime_type=image.mime_type),
                factor=params["factor"],
            ),
            version=params["model"],
        )
        return result, image

    def delivered_units(self, job, outputs: int) -> int:
        return job.units

    def started_message(self, params, answer: dict) -> str:
        model = "V4 Ultra" if params.model == "v4" else "V3"
        return _("Started upscaling the image %(factor)s with %(model)s") % {
            "factor": params.factor,
            "model": model,
        }

    def alt_text(self, params: dict) -> str:
        return _("Upscaled image (%(factor)s)") % {"factor": params.get("factor", "")}

    def settings_rows(self, params: dict, made_types: Collection[str] = ()) -> list[tuple[str, str]]:
        return [
            (_("Factor"), params.get("factor", "")),
            (_("Upscaler"), str(model_label(params.get("model", "")))),
        ]


OPERATION = UpscaleImageOperation()
