"""Generate video: Veo 3.1 from a prompt, a first frame, or both; billed per second of video.

A long-running operation: the worker starts the render at Google and the poller delivers it
(studio/worker.py)."""

from __future__ import annotations

from django.conf import settings

from billing import pricing
from billing import services as billing
from billing.models import Meter, PriceClass
from studio import assets, providers
from studio.errors import upgrade_required
from studio.models import MediaAsset
from studio.operations.base import Flag, JobPlan, Operation, SlashCommand
from studio.schemas import GenerateVideo


class GenerateVideoOperation(Operation):
    name = "generate_video"
    label = "Generate video"
    schema = GenerateVideo
    output_kind = "video"
    long_running = True
    image_fields = ("first_frame_id", "last_frame_id")
    nouns = ("video", "videos")
    typical_seconds = 90
    api_path = "/videos/generate"
    api_summary = "Generate a video"
    api_description = (
        "Veo 3.1 text-to-video or image-to-video (JIVE, JIGGA). Seconds come from the audio pool "
        "when generate_audio is true."
    )
    api_error_codes = ("not_found",)

    tool_description = (
        "Create a 4, 6 or 8 second video with Google Veo 3.1 from a text prompt, or animate one of "
        "the user's images (first_frame_id, optionally last_frame_id to end on). 16:9 or 9:16, "
        "720p or 1080p, optionally with a generated soundtrack. Tiers: JIVE and JIGGA, billed per "
        "second of video from a monthly allowance; videos with audio come from a separate, smaller "
        "pool and cost more per second. FREE users are refused with an upgrade answer (they can "
        "watch the sample gallery). A video takes a minute or two."
    )
    slash_command = SlashCommand(
        name="video",
        summary="Create a video with Veo 3.1 from a prompt.",
        example="/video waves at Muizenberg --seconds 6 --audio",
        flags=(
            Flag(("--ar", "--aspect"), "aspect_ratio", "16:9 landscape or 9:16 portrait."),
            Flag(("--seconds", "--duration"), "duration_seconds", "Length in seconds."),
            Flag(("--res", "--resolution"), "resolution", "Resolution."),
            Flag(
                ("--audio",), "generate_audio", "Generate a soundtrack (uses your audio allowance).", "switch"
            ),
            Flag(("--fast",), "fast", "Use the faster Veo 3.1 Fast model.", "switch"),
            Flag(("--n", "--count"), "count", "How many videos; each is billed."),
            Flag(
                ("--people",), "person_generation", "Whether people may appear (adults only) or not at all."
            ),
            Flag(("--no", "--negative"), "negative_prompt", "What the video should not show.", "words"),
            Flag(("--seed",), "seed", "Repeat a result: the same seed and prompt give a similar one."),
        ),
    )
    # Sound is a separate, dearer allowance; the fast model is a different capability (a model
    # with its own prices); resolution and sound pick the model's price row.
    price_choices = {"generate_audio": False, "fast": False, "resolution": "720p"}

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
                f"Making videos is not part of the {plan.name} plan; it has the sample gallery.",
                tier=plan.code,
                upgrade=billing.upgrade_options(plan, meter, units),
            )
        capability = providers.Operation.VIDEO_FAST if choices["fast"] else providers.Operation.VIDEO
        price_class = PriceClass.VIDEO_AUDIO if choices["generate_audio"] else PriceClass.VIDEO
        return JobPlan(capability, meter, units, price_class)

    def idempotency_ttl_minutes(self) -> int:
        return settings.IDEMPOTENCY_VIDEO_TTL_MINUTES

    def video_request(self, job) -> tuple[providers.VideoRequest, bool]:
        params = GenerateVideo.model_construct(**job.params)  # stored after validation
        request = providers.VideoRequest(
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
            output_gcs_uri=providers.video_output_uri(str(job.id)),
        )
        return request, bool(job.params.get("fast"))

    def delivered_units(self, job, outputs: int) -> int:
        return job.params["duration_seconds"] * outputs

    def started_message(self, params, answer: dict) -> str:
        seconds, count = params.duration_seconds, params.count
        sound = " with sound" if params.generate_audio else ""
        if count > 1:
            return f"Started {count} {params.aspect_ratio} videos of {seconds} seconds each{sound}"
        article = "an" if seconds == 8 else "a"
        return f"Started {article} {seconds}-second {params.aspect_ratio} video{sound}"

    def summary(self, params: dict) -> str:
        count = params.get("count", 1)
        what = (f"{count} × " if count > 1 else "") + f"{params.get('duration_seconds')} s video"
        bits = [params.get("aspect_ratio"), params.get("resolution")]
        bits += ["audio" if params.get("generate_audio") else "", "fast" if params.get("fast") else ""]
        return " · ".join([what, *[b for b in bits if b]])


def _frame(job, asset_id) -> providers.ImageInput | None:
    if not asset_id:
        return None
    asset = MediaAsset.objects.get(pk=asset_id, owner=job.owner)
    return providers.ImageInput(data=assets.read_bytes(asset.file), mime_type=asset.mime_type)


OPERATION = GenerateVideoOperation()
