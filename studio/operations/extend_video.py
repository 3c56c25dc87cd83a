"""Extend video: 7 more seconds of one of the user's finished videos, with Veo 3.1.

An operation of its own rather than a mode of generate_video: its input is a video, not a prompt or
images; its length is fixed (Google adds 7 s); it has its own refusal (a video over 30 s cannot be
extended) and its own control (Extend, on a finished video's page). It shares generate_video's
model choice, tier gate, meters and price rows: an extension is billed as 7 seconds of video.
Google: the extend-a-veo-video page (input MP4 of 1 to 30 s, 16:9 or 9:16; output 7 s more).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from studio import assets, providers
from studio.errors import StudioError
from studio.models import MediaAsset
from studio.operations.base import Flag, SlashCommand
from studio.operations.generate_video import VEO_FLAGS, GenerateVideoOperation, _setting_words
from studio.schemas import VIDEO_EXTEND_MAX_INPUT_SECONDS, VIDEO_EXTEND_SECONDS, ExtendVideo


class ExtendVideoOperation(GenerateVideoOperation):
    name = "extend_video"
    label = gettext_lazy("Extend video")
    schema = ExtendVideo
    image_fields = ()
    video_fields = ("video_id",)
    nouns = (pgettext_lazy("output", "extended video"), pgettext_lazy("output", "extended videos"))
    api_path = "/videos/extend"
    api_summary = "Extend a video"
    api_description = (
        f"Veo 3.1 adds {VIDEO_EXTEND_SECONDS} seconds to one of your finished videos (up to "
        f"{VIDEO_EXTEND_MAX_INPUT_SECONDS} s long), billed as {VIDEO_EXTEND_SECONDS} seconds of video "
        "(JIVE, JIGGA). A longer video is refused with `video_too_long`, another user's is "
        "`not_found`; neither is charged."
    )
    api_error_codes = ("not_found", "unsupported_resolution", "video_too_long")
    tool_description = (
        f"Extend one of the user's finished videos (video_id) by {VIDEO_EXTEND_SECONDS} seconds with "
        f"Google Veo 3.1, optionally saying what happens next (prompt). The video must be "
        f"{VIDEO_EXTEND_MAX_INPUT_SECONDS} seconds or shorter. Same models, resolutions, sound and "
        f"tiers as creating a video (JIVE, JIGGA; FREE users are refused with an upgrade answer); "
        f"billed as {VIDEO_EXTEND_SECONDS} seconds of video."
    )
    slash_command = SlashCommand(
        name="extend",
        summary=format_lazy(
            gettext_lazy("Add {seconds} seconds to one of your videos with Veo 3.1."),
            seconds=VIDEO_EXTEND_SECONDS,
        ),
        example="/extend the camera pulls back over the bay --video <video id> --fast",
        flags=(
            Flag(
                ("--video",),
                "video_id",
                gettext_lazy("The video to extend (its id, from its page or the gallery)."),
            ),
            *VEO_FLAGS,
        ),
    )
    price_choices: ClassVar[dict[str, Any]] = {
        "generate_audio": False,
        "fast": False,
        "lite": False,
        "resolution": "720p",
    }

    def check_inputs(self, params: ExtendVideo, images: dict) -> dict[str, bytes]:
        video = images["video_id"]
        if (video.duration_seconds or 0) > VIDEO_EXTEND_MAX_INPUT_SECONDS:
            raise StudioError(
                "video_too_long",
                _("This video is %(seconds).0f seconds long; Veo extends videos of up to %(most)s seconds.")
                % {"seconds": video.duration_seconds, "most": VIDEO_EXTEND_MAX_INPUT_SECONDS},
                status=422,
                field="video_id",
                seconds=round(video.duration_seconds, 1),
                most=VIDEO_EXTEND_MAX_INPUT_SECONDS,
            )
        return {}

    def video_request(self, job) -> providers.VideoRequest:
        params = ExtendVideo.model_construct(**job.params)  # stored after validation
        video = MediaAsset.objects.get(pk=params.video_id, owner=job.owner)
        portrait = (video.height or 0) > (video.width or 0)
        return providers.VideoRequest(
            prompt=params.prompt,
            duration_seconds=VIDEO_EXTEND_SECONDS,
            aspect_ratio="9:16" if portrait else "16:9",
            resolution=params.resolution,
            generate_audio=params.generate_audio,
            seed=params.seed,
            negative_prompt=params.negative_prompt,
            person_generation=params.person_generation,
            video=video_input(video),
            output_gcs_uri=providers.video_output_uri(str(job.id)),
            enhance_prompt=params.enhance_prompt,
        )

    def expected_outputs(self, job) -> int:
        return 1

    def delivered_units(self, job, outputs: int) -> int:
        return VIDEO_EXTEND_SECONDS * outputs

    def started_message(self, params, answer: dict) -> str:
        if params.generate_audio:
            return _("Started extending the video by %(seconds)s seconds with sound") % {
                "seconds": VIDEO_EXTEND_SECONDS
            }
        return _("Started extending the video by %(seconds)s seconds") % {"seconds": VIDEO_EXTEND_SECONDS}

    def summary(self, params: dict) -> str:
        more = _("%(seconds)s s more") % {"seconds": VIDEO_EXTEND_SECONDS}
        return " · ".join([more, *_setting_words(params)])


def video_input(video: MediaAsset) -> providers.VideoInput:
    """The video as Veo reads it: from the bucket when media live there (Google's samples extend
    a gs:// video), else its bytes inline."""
    uri = providers.storage_gcs_uri(video.file.storage, video.file.name or "")
    if uri:
        return providers.VideoInput(gcs_uri=uri)
    return providers.VideoInput(data=assets.read_bytes(video.file))


OPERATION = ExtendVideoOperation()
