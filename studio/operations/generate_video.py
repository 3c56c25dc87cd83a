"""Generate video: Veo 3.1 (standard, Fast or Lite) from a prompt, a first frame, or up to three
reference images of the user's own; billed per second of video.

A long-running operation: the worker starts the render at Google and the poller delivers it
(studio/worker.py). extend_video (studio/operations/extend_video.py) shares its model choice,
tier gate and prices.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from pydantic import BaseModel

from billing import pricing
from billing import services as billing
from billing.models import Meter, PriceClass
from studio import assets, errors, providers
from studio.errors import StudioError, upgrade_required
from studio.models import MediaAsset
from studio.operations.base import Flag, JobPlan, Operation, SlashCommand
from studio.schemas import GenerateVideo

# The Veo 3.1 model each choice asks for (the settings pick the model id: MODEL_VIDEO, ...).
MODELS = {
    "standard": providers.Operation.VIDEO,
    "fast": providers.Operation.VIDEO_FAST,
    "lite": providers.Operation.VIDEO_LITE,
}
RESOLUTION_WORDS = {"720p": "720p", "1080p": "1080p", "4k": "4K"}


def model_choice(choices: dict[str, Any]) -> str:
    """ "standard", "fast" or "lite" from a request's fast and lite flags."""
    return "lite" if choices.get("lite") else "fast" if choices.get("fast") else "standard"


def limits(model: str) -> providers.VideoLimits:
    """What the model behind a choice can do; provider_unavailable when no setting serves it."""
    try:
        return providers.video_limits(MODELS[model])
    except providers.ProviderError as e:
        raise errors.provider_unavailable() from e


def check_model(model: str, resolution: str, references: int = 0) -> None:
    """Refuse what the chosen model cannot make (a clear error before any price or reserve)."""
    can = limits(model)
    if resolution not in can.resolutions:
        made = ", ".join(RESOLUTION_WORDS.get(r, r) for r in can.resolutions)
        raise StudioError(
            "unsupported_resolution",
            _("%(model)s makes %(made)s videos, not %(resolution)s: choose another resolution or model.")
            % {"model": can.label, "made": made, "resolution": RESOLUTION_WORDS.get(resolution, resolution)},
            status=422,
            field="resolution",
            supported=list(can.resolutions),
        )
    if references > can.max_reference_images:
        if can.max_reference_images:
            words = _("%(model)s takes at most %(most)s reference images (you chose %(chosen)s).")
        else:
            words = _("%(model)s cannot use reference images (you chose %(chosen)s).")
        raise StudioError(
            "too_many_images",
            words % {"model": can.label, "most": can.max_reference_images, "chosen": references},
            status=422,
            field="reference_image_ids",
            most=can.max_reference_images,
        )


# The slash flags /video and /extend share: the model, its output, and the words and seed.
VEO_FLAGS = (
    Flag(("--res", "--resolution"), "resolution", gettext_lazy("Resolution.")),
    Flag(
        ("--audio",),
        "generate_audio",
        gettext_lazy("Generate a soundtrack (uses your audio allowance)."),
        "switch",
    ),
    Flag(("--fast",), "fast", gettext_lazy("Use the faster Veo 3.1 Fast model."), "switch"),
    Flag(("--lite",), "lite", gettext_lazy("Use Veo 3.1 Lite, the cheapest model."), "switch"),
    Flag(
        ("--people",),
        "person_generation",
        gettext_lazy("Whether people may appear (adults only) or not at all."),
    ),
    Flag(("--no", "--negative"), "negative_prompt", gettext_lazy("What the video should not show."), "words"),
    Flag(("--seed",), "seed", gettext_lazy("Repeat a result: the same seed and prompt give a similar one.")),
)


class GenerateVideoOperation(Operation):
    name = "generate_video"
    label = gettext_lazy("Generate video")
    schema: ClassVar[type[BaseModel]] = GenerateVideo
    output_kind = "video"
    long_running = True
    image_fields: ClassVar[tuple[str, ...]] = ("first_frame_id", "last_frame_id", "reference_image_ids")
    nouns = (pgettext_lazy("output", "video"), pgettext_lazy("output", "videos"))
    typical_seconds = 90
    api_path = "/videos/generate"
    api_summary = "Generate a video"
    api_description = (
        "Veo 3.1 text-to-video, image-to-video or reference-to-video (up to 3 of your images), on the "
        "standard, Fast or Lite model (JIVE, JIGGA; 4K: JIGGA, standard model). Seconds come from "
        "the audio pool when generate_audio is true."
    )
    api_error_codes = ("not_found", "unsupported_resolution", "too_many_images")

    tool_description = (
        "Create a 4, 6 or 8 second video with Google Veo 3.1 from a text prompt, or animate one of "
        "the user's images (first_frame_id, optionally last_frame_id to end on), or show up to 3 of "
        "the user's images of a person, character or product in a new scene (reference_image_ids, "
        "8 seconds, needs a prompt). 16:9 or 9:16, 720p or 1080p (4k on JIGGA with the standard "
        "model), optionally with a generated soundtrack; fast or lite pick cheaper models (lite "
        "takes no reference images). enhance_prompt false keeps the prompt as written, so a seed "
        "repeats a result. Tiers: JIVE and JIGGA, billed per second of video from a monthly "
        "allowance; videos with audio come from a separate, smaller pool and cost more per second. "
        "FREE users are refused with an upgrade answer (they can watch the sample gallery). A video "
        "takes a minute or two."
    )
    slash_command = SlashCommand(
        name="video",
        summary=gettext_lazy("Create a video with Veo 3.1 from a prompt."),
        example="/video waves at Muizenberg --seconds 6 --audio",
        flags=(
            Flag(("--ar", "--aspect"), "aspect_ratio", gettext_lazy("16:9 landscape or 9:16 portrait.")),
            Flag(("--seconds", "--duration"), "duration_seconds", gettext_lazy("Length in seconds.")),
            *VEO_FLAGS[:4],
            Flag(("--n", "--count"), "count", gettext_lazy("How many videos; each is billed.")),
            *VEO_FLAGS[4:],
        ),
    )
    # Sound is a separate, dearer allowance; the model (standard, Fast, Lite) is a capability with
    # its own prices; resolution and sound pick the model's price row; the model's limits (4K,
    # reference images) and the plan's resolutions are the gate.
    price_choices: ClassVar[dict[str, Any]] = {
        "generate_audio": False,
        "fast": False,
        "lite": False,
        "resolution": "720p",
        "reference_image_ids": [],
    }

    def units(self, params) -> int:
        return params.billed_seconds

    def price_variant(self, **choices) -> str:
        choices = self.choices(choices)
        return pricing.video_variant(choices["resolution"], choices["generate_audio"])

    def meter(self, **choices) -> str:
        return Meter.VIDEO_AUDIO_SECONDS if self.choices(choices)["generate_audio"] else Meter.VIDEO_SECONDS

    def admit(self, plan, units: int, **choices) -> JobPlan:
        choices = self.choices(choices)
        meter = self.meter(**choices)
        if plan.video_samples_only:
            raise upgrade_required(
                _("Making videos is not part of the %(plan)s plan; it has the sample gallery.")
                % {"plan": plan.name},
                tier=plan.code,
                upgrade=billing.upgrade_options(plan, meter, units),
            )
        model, resolution = model_choice(choices), choices["resolution"]
        check_model(model, resolution, len(choices.get("reference_image_ids") or []))
        if resolution not in plan.video_resolutions:
            offering = {p.code for p in billing.upgrade_plans(plan) if resolution in p.video_resolutions}
            options = [o for o in billing.upgrade_options(plan, meter, units) if o["tier"] in offering]
            raise upgrade_required(
                _("%(resolution)s video is not part of the %(plan)s plan.")
                % {"resolution": RESOLUTION_WORDS.get(resolution, resolution), "plan": plan.name},
                tier=plan.code,
                upgrade=options,
            )
        price_class = PriceClass.VIDEO_AUDIO if choices["generate_audio"] else PriceClass.VIDEO
        return JobPlan(MODELS[model], meter, units, price_class)

    def idempotency_ttl_minutes(self) -> int:
        return settings.IDEMPOTENCY_VIDEO_TTL_MINUTES

    def video_request(self, job) -> providers.VideoRequest:
        params = GenerateVideo.model_construct(**job.params)  # stored after validation
        return providers.VideoRequest(
            prompt=params.prompt,
            duration_seconds=params.duration_seconds,
            aspect_ratio=params.aspect_ratio,
            resolution=params.resolution,
            generate_audio=params.generate_audio,
            count=params.count,
            seed=params.seed,
            negative_prompt=params.negative_prompt,
            person_generation=params.person_generation,
            first_frame=_frame(job, params.first_frame_id),
            last_frame=_frame(job, params.last_frame_id),
            reference_images=tuple(image_input(job, i) for i in params.reference_image_ids or ()),
            output_gcs_uri=providers.video_output_uri(str(job.id)),
            enhance_prompt=params.enhance_prompt,
        )

    def delivered_units(self, job, outputs: int) -> int:
        return job.params["duration_seconds"] * outputs

    def started_message(self, params, answer: dict) -> str:
        seconds, count = params.duration_seconds, params.count
        words = {"count": count, "seconds": seconds, "ratio": params.aspect_ratio}
        if count > 1:
            parts = [_("Started %(count)s %(ratio)s videos of %(seconds)s seconds each") % words]
        elif seconds == 8:
            parts = [_("Started an %(seconds)s-second %(ratio)s video") % words]
        else:
            parts = [_("Started a %(seconds)s-second %(ratio)s video") % words]
        if params.generate_audio:
            parts.append(_("with sound"))
        if params.reference_image_ids:
            references = len(params.reference_image_ids)
            parts.append(
                ngettext("from %(count)s reference image", "from %(count)s reference images", references)
                % {"count": references}
            )
        return " ".join(parts)

    def summary(self, params: dict) -> str:
        count = params.get("count", 1)
        what = (f"{count} × " if count > 1 else "") + _("%(seconds)s s video") % {
            "seconds": params.get("duration_seconds")
        }
        return " · ".join([what, *_setting_words(params, params.get("aspect_ratio"))])


def _setting_words(params: dict, *first) -> list[str]:
    """The summary's words for the settings both video operations share."""
    references = len(params.get("reference_image_ids") or [])
    bits = [*first, RESOLUTION_WORDS.get(params.get("resolution") or "", params.get("resolution"))]
    bits += [_("audio") if params.get("generate_audio") else ""]
    bits += [model_choice(params) if model_choice(params) != "standard" else ""]
    bits += [
        ngettext("%(count)s reference", "%(count)s references", references) % {"count": references}
        if references
        else ""
    ]
    return [b for b in bits if b]


def image_input(job, asset_id) -> providers.ImageInput:
    asset = MediaAsset.objects.get(pk=asset_id, owner=job.owner)
    return providers.ImageInput(data=assets.read_bytes(asset.file), mime_type=asset.mime_type)


def _frame(job, asset_id) -> providers.ImageInput | None:
    return image_input(job, asset_id) if asset_id else None


OPERATION = GenerateVideoOperation()
