"""Veo 3.1 through Vertex `:predictLongRunning` and `:fetchPredictOperation`.

Starting a video is paid work, so a submit is retried only when it cannot have started an
operation: a 429 quota refusal or a connection that was never made. A 5xx or a read timeout may
have started one, and a second submit could pay twice, so those go back to the caller at once.
Polling is free and retried under the normal policy.
"""

from __future__ import annotations

import re
import struct
import time
from dataclasses import dataclass

from django.conf import settings
from google.genai import types

from . import gcs, media, vertex
from .base import (
    Family,
    GeneratedVideo,
    ImageInput,
    InvalidRequestError,
    Operation,
    ProviderError,
    SafetyBlockedError,
    VideoInput,
    VideoOperation,
    VideoOperationFailedError,
    VideoRequest,
    VideoStatus,
)
from .catalog import ModelInfo, Route, model_info, resolve
from .resilience import call_guarded, is_retryable

DURATIONS = (4, 6, 8)
# Extending a video adds 7 s to an MP4 of 1 to 30 s (extend-a-veo-video page; Google's notebook sends 7).
EXTEND_SECONDS = 7
EXTEND_MAX_INPUT_SECONDS = 30
# An adopted render with fewer videos than asked for is taken as complete after this long without
# a new file (Google writes a finished operation's samples one right after another).
ADOPT_SETTLE_SECONDS = 30.0
ASPECT_RATIOS = ("16:9", "9:16")
# Every resolution some Veo 3.1 model makes; each model's own list is in the catalog.
RESOLUTIONS = ("720p", "1080p", "4k")
# projects/{p}/locations/{l}/publishers/google/models/{m}/operations/{id}
_OPERATION_NAME = re.compile(
    r"^projects/[^/]+/locations/(?P<location>[^/]+)/publishers/google/models/(?P<model>[^/]+)/operations/[^/]+$"
)
# google.rpc.Code values that mean "the service had a problem", not "the request was wrong".
_TRANSIENT_RPC_CODES = {
    4,
    8,
    10,
    13,
    14,
}  # DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE


def _submit_retry_if(error: ProviderError) -> bool:
    return is_retryable(error) and not getattr(error, "may_have_started", True)


class VeoAdapter:
    family = Family.VEO

    def __init__(self, route: Route) -> None:
        self.route = route
        self.model = route.model_id

    def start(self, request: VideoRequest) -> VideoOperation:
        _validate(request, self.route.model)
        source = types.GenerateVideosSource(
            prompt=request.prompt or None,
            image=_sdk_image(request.first_frame) if request.first_frame else None,
            video=_sdk_video(request.video) if request.video else None,
        )
        references = [
            types.VideoGenerationReferenceImage(image=_sdk_image(image), reference_type="asset")
            for image in request.reference_images
        ]
        config = types.GenerateVideosConfig(
            number_of_videos=request.count,
            duration_seconds=request.duration_seconds,
            aspect_ratio=request.aspect_ratio,
            resolution=request.resolution,
            generate_audio=request.generate_audio,
            seed=request.seed,
            negative_prompt=request.negative_prompt or None,
            person_generation=request.person_generation.lower() if request.person_generation else None,
            last_frame=_sdk_image(request.last_frame) if request.last_frame else None,
            reference_images=references or None,
            output_gcs_uri=request.output_gcs_uri,
            enhance_prompt=request.enhance_prompt,
        )
        client = vertex.client(self.route.location, settings.PROVIDER_VIDEO_TIMEOUT_SECONDS)
        operation = call_guarded(
            vertex.guarded_sdk_call(
                lambda: client.models.generate_videos(model=self.model, source=source, config=config),
                model=self.model,
                operation=self.route.operation,
            ),
            model_id=self.model,
            family=self.family,
            retry_if=_submit_retry_if,
        )
        if not operation.name:
            raise VideoOperationFailedError(
                "Veo accepted the request but returned no operation name", model=self.model
            )
        price_class = self.route.audio_price_class if request.generate_audio else self.route.price_class
        return VideoOperation(
            name=operation.name,
            model=self.model,
            price_class=price_class or "video",
            # Veo rewrites the prompt while enhancePrompt is on (its default), and a seed does not
            # repeat a result then; it is sent anyway, but the job does not claim it.
            seed_applied=request.seed is not None and request.enhance_prompt is False,
        )


@dataclass(frozen=True)
class VideoLimits:
    """What the model serving a video capability can do, for the tier gate and the forms."""

    model_id: str
    label: str
    resolutions: tuple[str, ...]
    max_reference_images: int
    extends_video: bool


_LABELS = {
    "veo-3.1-generate-001": "Veo 3.1",
    "veo-3.1-fast-generate-001": "Veo 3.1 Fast",
    "veo-3.1-lite-generate-001": "Veo 3.1 Lite",
}


def video_limits(operation: Operation) -> VideoLimits:
    """The limits of the model the settings pick for `operation` now (ConfigurationError if none)."""
    model = resolve(operation).model
    known = bool(model.video_resolutions)  # a Veo id the catalog does not know: the common ground
    return VideoLimits(
        model_id=model.model_id,
        label=_LABELS.get(model.model_id, model.model_id),
        resolutions=video_resolutions(model),
        max_reference_images=model.max_reference_images if known else 0,
        extends_video=model.extends_video if known else False,
    )


def poll(operation_name: str) -> VideoStatus:
    """One look at a Veo operation, by the name stored on the job (works after restarts).

    Raises SafetyBlockedError when it finished with every video filtered, and
    VideoOperationFailedError (or InvalidRequestError / SafetyBlockedError) when it failed.
    """
    match = _OPERATION_NAME.match(operation_name or "")
    if not match:
        raise InvalidRequestError(f"Not a Veo operation name: {operation_name!r}")
    model, location = match["model"], match["location"]
    client = vertex.client(location, settings.PROVIDER_VIDEO_TIMEOUT_SECONDS)

    def fetch():
        try:
            # `name` is a field of genai's Operation base, which mypy's pydantic plugin cannot see.
            return client.operations.get(types.GenerateVideosOperation(name=operation_name))  # type: ignore[call-arg]
        except Exception as exc:
            error = vertex.map_error(exc, model=model)
            if error.http_status == 404:
                # For a poll, 404 is far more often an unknown operation than a retired model.
                raise InvalidRequestError(
                    f"Unknown Veo operation {operation_name}", model=model, http_status=404
                ) from exc
            raise error from exc

    operation = call_guarded(fetch, model_id=model, family=model_info(model).family)
    if not operation.done:
        return VideoStatus(name=operation_name, model=model, done=False)
    if operation.error:
        raise _operation_error(operation.error, model)
    result = operation.result or operation.response
    generated = (result.generated_videos if result else None) or []
    filtered = (result.rai_media_filtered_count if result else 0) or 0
    reasons = list((result.rai_media_filtered_reasons if result else None) or [])
    videos = [_describe(v.video) for v in generated if v.video and (v.video.video_bytes or v.video.uri)]
    if not videos:
        if filtered or reasons:
            raise SafetyBlockedError(
                reasons[0] if reasons else "Every video was removed by Google's safety filters.",
                filtered_count=filtered or 1,
                reasons=reasons,
                model=model,
            )
        raise VideoOperationFailedError("The Veo operation finished without any video", model=model)
    return VideoStatus(
        name=operation_name,
        model=model,
        done=True,
        videos=videos,
        synthid=True,  # all Veo output carries SynthID; the API has no switch for it
        filtered_count=filtered,
        filtered_reasons=reasons,
    )


def find_outputs(output_uri: str, *, expected: int) -> list[GeneratedVideo]:
    """The videos an operation wrote under its storageUri, found without the operation's name.

    Veo writes `<storageUri><folder>/sample_<i>.mp4` as the operation finishes, and
    each job has a storageUri of its own, so what is there is this job's. A set is complete when
    it has `expected` videos, or fewer (the rest filtered) once nothing was written for
    ADOPT_SETTLE_SECONDS; until then this returns [].
    """
    found = [o for o in gcs.list_objects(output_uri) if o.uri.endswith(".mp4") and o.size > 0]
    if not found:
        return []
    quiet_for = time.time() - max(o.updated for o in found)
    if len(found) < expected and quiet_for < ADOPT_SETTLE_SECONDS:
        return []
    return [
        _describe(types.Video(uri=o.uri, mime_type="video/mp4")) for o in sorted(found, key=lambda o: o.uri)
    ]


def _validate(request: VideoRequest, model: ModelInfo) -> None:
    """The documented Veo 3.1 limits, checked before anything is sent."""
    problems = []
    if request.video is not None:
        if request.duration_seconds != EXTEND_SECONDS:
            problems.append(f"an extension is {EXTEND_SECONDS} seconds")
        if request.first_frame or request.reference_images:
            problems.append("a video to extend takes no first frame or reference images")
    elif request.duration_seconds not in DURATIONS:
        problems.append(f"duration must be one of {DURATIONS} seconds")
    if request.aspect_ratio not in ASPECT_RATIOS:
        problems.append(f"aspect ratio must be one of {ASPECT_RATIOS}")
    resolutions = video_resolutions(model)
    if request.resolution not in resolutions:
        problems.append(f"{model.model_id} makes {', '.join(resolutions)}, not {request.resolution}")
    if request.reference_images:
        most = model.max_reference_images if model.video_resolutions else 3
        if len(request.reference_images) > most:
            problems.append(f"{model.model_id} takes at most {most} reference images")
        if request.first_frame or request.last_frame:
            problems.append("reference images take no first or last frame")
        if request.duration_seconds != 8 or not request.prompt:
            problems.append("reference-to-video needs a prompt and lasts 8 seconds")
    if not 1 <= request.count <= 4:
        problems.append("between 1 and 4 videos per request")
    if request.last_frame and not request.first_frame:
        problems.append("a last frame needs a first frame")
    if not request.prompt and not request.first_frame and not request.video:
        problems.append("a prompt, a first frame or a video to extend is required")
    if request.seed is not None and not 0 <= request.seed <= 4_294_967_295:
        problems.append("the seed must fit in 32 bits")
    if problems:
        raise InvalidRequestError("Invalid video request: " + "; ".join(problems))


def _operation_error(error: dict, model: str) -> ProviderError:
    code = error.get("code")
    message = error.get("message") or "The Veo operation failed"
    if code == 3 and vertex.is_safety_message(message):
        return SafetyBlockedError(message, model=model)
    if code == 3:
        return InvalidRequestError(f"Veo rejected the request: {message}", model=model)
    failed = VideoOperationFailedError(f"The Veo operation failed: {message}", rpc_code=code, model=model)
    # A service-side failure may well succeed if the job submits again (a failed operation is not billed).
    failed.retryable = code in _TRANSIENT_RPC_CODES
    return failed


def video_resolutions(model: ModelInfo) -> tuple[str, ...]:
    """What `model` makes; a Veo id the catalog does not know is taken to make 720p and 1080p."""
    return model.video_resolutions or RESOLUTIONS[:2]


def _sdk_video(video: VideoInput) -> types.Video:
    if video.gcs_uri:
        return types.Video(uri=video.gcs_uri, mime_type=video.mime_type)
    return types.Video(video_bytes=video.data, mime_type=video.mime_type)


def _sdk_image(image: ImageInput) -> types.Image:
    # mimeType is required on image and lastFrame; ImageInput always carries one.
    if image.gcs_uri:
        return types.Image(gcs_uri=image.gcs_uri, mime_type=image.mime_type)
    return types.Image(image_bytes=image.data, mime_type=image.mime_type)


def _describe(video: types.Video) -> GeneratedVideo:
    """A GeneratedVideo with the size and duration read from the MP4 itself (ranged reads for GCS)."""
    width = height = duration = None
    try:
        if video.video_bytes:
            data = video.video_bytes
            width, height, duration = media.probe_mp4(lambda s, e: data[s:e], len(data))
        elif video.uri:
            uri = video.uri
            width, height, duration = media.probe_mp4(lambda s, e: gcs.read_range(uri, s, e), gcs.size(uri))
    except (ProviderError, ValueError, struct.error):
        pass  # the size is a nicety; the video stands without it
    return GeneratedVideo(
        mime_type=video.mime_type or "video/mp4",
        data=video.video_bytes or None,
        gcs_uri=video.uri,
        width=width,
        height=height,
        duration_seconds=duration,
    )
