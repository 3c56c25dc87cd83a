"""Compose image: one new image from several of the user's images and a prompt, without a mask
("put the person from image 1 at Table Mountain, image 2"). Gemini image models only: they take
up to 14 input images in one generateContent request."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from billing import services as billing
from billing.models import Meter, PriceClass
from studio import assets, providers
from studio.errors import upgrade_required
from studio.models import MediaAsset
from studio.operations import image_options
from studio.operations.base import Flag, JobPlan, SlashCommand
from studio.schemas import OUTPUT_FORMATS, ComposeImage


class ComposeImageOperation(image_options.SizedImageOperation):
    name = "compose_image"
    label = gettext_lazy("Compose image")
    schema = ComposeImage
    image_fields = ("image_ids",)
    nouns = (pgettext_lazy("output", "composition"), pgettext_lazy("output", "compositions"))
    typical_seconds = 20
    api_path = "/images/compose"
    api_summary = "Compose an image from several of yours"
    api_description = (
        "One new image from up to the model's limit of your images (Gemini 3.x image models: 14) "
        "and a prompt that names them by number; no mask (JIVE, JIGGA). Priced per output image "
        "at the chosen size, like Create. Another user's image id answers not_found; more images "
        "than the model takes, too_many_images; nothing is reserved for either."
    )
    api_error_codes = ("not_found", "too_many_images", "unsupported_aspect_ratio", "unsupported_image_size")

    tool_description = (
        "Combine several of the user's images into one new image, given their image_ids (in the "
        "order the prompt numbers them) and a prompt such as 'put the person from image 1 in front "
        "of the mountain in image 2'. Up to 14 images on Gemini 3.x image models; no mask. Sizes "
        "512, 1K, 2K (JIGGA also 4K; larger costs more); png, jpeg or webp. Tiers: JIVE and JIGGA "
        "(monthly image allowance, per output image); FREE users are refused with an upgrade answer."
    )
    slash_command = SlashCommand(
        name="compose",
        summary=gettext_lazy("Make one image from several of yours."),
        example="/compose put the person from image 1 at Table Mountain --images <id> <id>",
        flags=(
            Flag(
                ("--images", "--image"), "image_ids", gettext_lazy("Your image ids, image 1 first."), "list"
            ),
            *image_options.OUTPUT_FLAGS,
            image_options.NEGATIVE_FLAG,
            image_options.SEED_FLAG,
        ),
    )

    def admit(self, plan, units: int, **choices) -> JobPlan:
        # The same plans as editing: composing changes the user's own pictures.
        if plan.edit_demo_only:
            raise upgrade_required(
                _("Composing images is not part of the %(plan)s plan. Upgrade to combine your own images.")
                % {"plan": plan.name},
                tier=plan.code,
                upgrade=billing.upgrade_options(plan, Meter.IMAGES, units),
            )
        image_options.admit_size(plan, self.choices(choices)["image_size"], Meter.IMAGES, units)
        return JobPlan(providers.Operation.IMAGE_COMPOSE, Meter.IMAGES, units, PriceClass.IMAGE)

    def call_provider(self, job):
        params = ComposeImage.model_construct(**job.params)  # stored after validation
        by_id = {
            str(asset.pk): asset
            for asset in MediaAsset.objects.for_user(job.owner).images().filter(pk__in=params.image_ids)
        }
        images = [by_id[str(image_id)] for image_id in params.image_ids]  # in the prompt's order
        request = providers.ComposeImageRequest(
            images=tuple(
                providers.ImageInput(data=assets.read_bytes(image.file), mime_type=image.mime_type)
                for image in images
            ),
            prompt=params.prompt,
            count=params.count,
            aspect_ratio=params.aspect_ratio,
            image_size=params.image_size,
            negative_prompt=params.negative_prompt,
            seed=params.seed,
            output_mime_type=OUTPUT_FORMATS[params.output_format],
        )
        return providers.compose_images(request), images[0]

    def started_message(self, params, answer: dict) -> str:
        started = _("Started composing %(count)s images into one") % {"count": len(params.image_ids)}
        if params.count > 1:
            return _("%(started)s (%(count)s variations)") % {"started": started, "count": params.count}
        return started

    def alt_text(self, params: dict) -> str:
        return _("Composition of %(count)s images") % {"count": len(params.get("image_ids") or [])}

    def settings_rows(self, params: dict, made_types: Collection[str] = ()) -> list[tuple[str, str]]:
        return [(_("Images used"), str(len(params.get("image_ids") or [])))] + (
            image_options.size_and_format_rows(params, made_types)
        )

    def summary(self, params: dict) -> str:
        count = params.get("count", 1)
        return ngettext(
            "%(count)s composition of %(images)s images", "%(count)s compositions of %(images)s images", count
        ) % {"count": count, "images": len(params.get("image_ids") or [])}


OPERATION = ComposeImageOperation()
