"""Generate image: text to images. FREE gets one watermarked Pollinations preview; paid plans
get Google's model (Imagen or Gemini image, as the catalog says)."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from billing.models import Meter, PriceClass
from studio import providers
from studio.operations import image_options
from studio.operations.base import Flag, JobPlan, SlashCommand
from studio.schemas import OUTPUT_FORMATS, STYLE_PRESETS, GenerateImage


class GenerateImageOperation(image_options.SizedImageOperation):
    name = "generate_image"
    label = gettext_lazy("Generate image")
    schema = GenerateImage
    nouns = (pgettext_lazy("output", "image"), pgettext_lazy("output", "images"))
    typical_seconds = 12
    api_path = "/images/generate"
    api_summary = "Generate images"
    api_description = (
        "Text to image. FREE: one watermarked preview a day (Pollinations); JIVE and JIGGA: Google's "
        "image model, 1-4 images, in the aspect ratios and sizes the model offers (2K on JIVE, 4K "
        "on JIGGA), as PNG, JPEG or WebP. Answers 202 with the job id and the cost in ZAR and USD."
    )
    api_error_codes = ("unsupported_aspect_ratio", "unsupported_image_size")

    tool_description = (
        "Create images from a text description: photos, illustrations, artwork, in a chosen "
        "aspect ratio and optional style preset. Tiers: FREE users get one watermarked preview "
        "image a day (use count 1, size 1K); JIVE and JIGGA users get 1-4 clean images per call "
        "from their monthly image allowance, with negative prompt and seed, at 512, 1K or 2K (JIGGA "
        "also 4K; larger costs more), as png, jpeg or webp. The images are usually ready within "
        "seconds."
    )
    slash_command = SlashCommand(
        name="image",
        summary=gettext_lazy("Create images from a prompt."),
        example="/image a protea at sunrise --ar 16:9 --style cinematic",
        flags=(
            *image_options.OUTPUT_FLAGS,
            Flag(("--style",), "style", gettext_lazy("A style preset added to the prompt.")),
            image_options.NEGATIVE_FLAG,
            image_options.SEED_FLAG,
        ),
    )

    def admit(self, plan, units: int, **choices) -> JobPlan:
        image_options.admit_size(plan, self.choices(choices)["image_size"], Meter.IMAGES, units)
        if plan.watermark_output:
            # The FREE preview: Pollinations, free to us, watermarked in the file.
            return JobPlan(
                providers.Operation.IMAGE_PREVIEW, Meter.IMAGES, units, PriceClass.POLLINATIONS, True
            )
        return JobPlan(providers.Operation.IMAGE_GENERATE, Meter.IMAGES, units, PriceClass.IMAGE)

    def call_provider(self, job):
        # Stored after validation; a job stored before sizes and formats existed gets the defaults.
        request = GenerateImage.model_construct(**job.params)
        provider_request = providers.GenerateImagesRequest(
            prompt=request.full_prompt(),
            count=request.count,
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            output_mime_type=self.output_mime_type(job, request.output_format),
            negative_prompt=request.negative_prompt,
            seed=request.seed,
            # SynthID stays on (Google's default); the adapters drop a seed it would conflict with.
            add_watermark=True,
        )
        if job.capability == providers.Operation.IMAGE_PREVIEW:
            return providers.generate_preview(provider_request), None
        return providers.generate_images(provider_request), None

    @staticmethod
    def output_mime_type(job, output_format: str) -> str:
        """The file type asked, except that FREE's watermarked preview is a JPEG when PNG was
        asked: Pollinations sends JPEG, PNG's lossless full quality is what the paid plans'
        files are for, and a photo-like preview marked and stored as PNG took 132 ms of a worker
        against 54 ms as JPEG (issue 17). JPEG and WebP previews are as asked."""
        if job.capability == providers.Operation.IMAGE_PREVIEW and output_format == "png":
            return OUTPUT_FORMATS["jpeg"]
        return OUTPUT_FORMATS[output_format]

    def started_message(self, params, answer: dict) -> str:
        if answer.get("watermarked"):
            return _("Started a watermarked FREE preview image")
        return ngettext(
            "Started generating %(count)s image", "Started generating %(count)s images", params.count
        ) % {"count": params.count}

    def settings_rows(self, params: dict, made_types: Collection[str] = ()) -> list[tuple[str, str]]:
        return image_options.size_and_format_rows(params, made_types)

    def summary(self, params: dict) -> str:
        style = STYLE_PRESETS.get(params.get("style") or "", ("",))[0]
        size = params.get("image_size")
        bits = [
            ngettext("%(count)s image", "%(count)s images", params.get("count", 1))
            % {"count": params.get("count", 1)},
            params.get("aspect_ratio"),
            size if size and size != "1K" else "",
            style,
        ]
        return " · ".join(b for b in bits if b)


OPERATION = GenerateImageOperation()
