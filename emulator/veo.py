"""Veo 3.1: `:predictLongRunning` starts an operation, `:fetchPredictOperation` polls it.

Shapes: cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation.
google-genai 3.4.0 polls with POST `{model}:fetchPredictOperation` and `{"operationName": ...}`
(google/genai/operations.py); a GET on the operation name is answered too. The MP4s render in a
background thread from submission on; an operation reports done once `operation_delay` seconds have
passed and its videos are ready.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from PIL import Image

from . import gcs, media, video
from .catalog import VEO_SIZES, ModelSpec
from .errors import ApiError, invalid_argument
from .inputs import read_bytes, read_image_ref
from .state import Call, EmulatorState, Reply, json_reply
from .validation import (
    UINT32_MAX,
    as_dict,
    check_storage_uri,
    optional_bool,
    optional_enum,
    optional_int,
)

logger = logging.getLogger(__name__)

DURATIONS = (4, 6, 8)
ASPECT_RATIOS = ("16:9", "9:16")
RESOLUTIONS = ("720p", "1080p", "4k")
PERSON_GENERATION = ("allow_adult", "dont_allow", "disallow", "allow_all")
COMPRESSION = ("optimized", "lossless")
RESIZE_MODES = ("pad", "crop")
# Extending a video (extend-a-veo-video page): the input is an MP4 of 1 to 30 seconds at 16:9 or
# 9:16, and the extension adds 7 seconds (the duration Google's notebook sends).
EXTEND_SECONDS = 7
EXTEND_INPUT_SECONDS = (1.0, 30.0)
MAX_KEPT_OPERATIONS = 200
RESPONSE_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"

PROMPT_BLOCKED = (
    "The prompt could not be submitted. This prompt contains sensitive words that violate Google's "
    "Responsible AI practices. Try rephrasing the prompt. If you think this was an error, send feedback. "
    "Support codes: 29310472"
)
GENERATION_FAILED = "Video generation failed due to an internal error. Please try again later."
VIDEO_FILTERED = (
    "The generated video was filtered out because it may violate Vertex AI's usage guidelines. You will "
    "not be charged for filtered videos. Try rephrasing the prompt. Support codes: 17301594"
)


@dataclass
class VideoJob:
    width: int
    height: int
    duration: int
    with_audio: bool
    prompt: str
    seed: int | None
    sample_count: int
    storage_uri: str | None
    first_frame: Image.Image | None
    last_frame: Image.Image | None
    resize_mode: str
    fault: str | None
    source_video: bytes | None = None  # extend: the video the new seconds follow


@dataclass
class VideoOperation:
    name: str
    ready_at: float  # time.monotonic() after which the operation may report done
    finished: threading.Event = field(default_factory=threading.Event)
    response: dict | None = None
    error: dict | None = None

    def as_json(self) -> dict:
        if not self.finished.is_set() or time.monotonic() < self.ready_at:
            return {"name": self.name}  # no "done": google-genai reads that as still running
        if self.error is not None:
            return {"name": self.name, "done": True, "error": self.error}
        return {"name": self.name, "done": True, "response": self.response}


def prompt_of(body: object) -> str | None:
    instances = body.get("instances") if isinstance(body, dict) else None
    first = instances[0] if isinstance(instances, list) and instances else None
    prompt = first.get("prompt") if isinstance(first, dict) else None
    return prompt if isinstance(prompt, str) else None


def submit(call: Call, state: EmulatorState, spec: ModelSpec) -> Reply:
    job = _parse(as_dict(call.json, "body"), state, call.fault.kind if call.fault else None, spec)
    route = call.route
    name = (
        f"projects/{route.project}/locations/{route.location}/publishers/google/models/{spec.id}"
        f"/operations/{uuid.uuid4()}"
    )
    operation = VideoOperation(name=name, ready_at=time.monotonic() + state.operation_delay)
    with state.operations_lock:
        state.operations[name] = operation
        while len(state.operations) > MAX_KEPT_OPERATIONS:
            state.operations.pop(next(iter(state.operations)))
    threading.Thread(target=_run, args=(operation, job, state), name="veo-render", daemon=True).start()
    return json_reply({"name": name})


def fetch(call: Call, state: EmulatorState) -> Reply:
    body = as_dict(call.json, "body")
    name = body.get("operationName")
    if not isinstance(name, str) or not name:
        raise invalid_argument("operationName is required.")
    return json_reply(_find(state, name).as_json())


def get(call: Call, state: EmulatorState) -> Reply:
    return json_reply(_find(state, call.route.operation_name or "").as_json())


def _find(state: EmulatorState, name: str) -> VideoOperation:
    with state.operations_lock:
        operation = state.operations.get(name)
    if operation is None:
        raise ApiError(404, f"Operation {name} not found.")
    return operation


def _parse(body: dict, state: EmulatorState, fault: str | None, spec: ModelSpec) -> VideoJob:
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise invalid_argument("instances must be a list with exactly one object.")
    instance = instances[0]
    params = as_dict(body.get("parameters"), "parameters")

    prompt = instance.get("prompt") or ""
    if not isinstance(prompt, str):
        raise invalid_argument("instances[0].prompt must be a string.")
    has_image, has_video = instance.get("image") is not None, instance.get("video") is not None
    references = instance.get("referenceImages")
    if not prompt.strip() and not has_image and not has_video:
        raise invalid_argument("instances[0].prompt is required for text-to-video.")
    if instance.get("lastFrame") is not None and not has_image:
        raise invalid_argument("lastFrame can only be used together with image.")
    if has_image and (has_video or references):
        raise invalid_argument("image cannot be combined with video or referenceImages.")

    duration = optional_int(params, "durationSeconds", low=0, high=3600)
    if has_video:
        duration = EXTEND_SECONDS if duration is None else duration
        if duration != EXTEND_SECONDS:
            raise invalid_argument(
                f"Unsupported durationSeconds {duration} for video extension. Supported: {EXTEND_SECONDS}."
            )
    else:
        duration = 8 if duration is None else duration
        if duration not in DURATIONS:
            raise invalid_argument(f"Unsupported durationSeconds {duration}. Supported: 4, 6, 8.")
    aspect_ratio = params.get("aspectRatio", "16:9")
    if aspect_ratio not in ASPECT_RATIOS:
        raise invalid_argument(f"Unsupported aspectRatio {aspect_ratio!r}. Supported: 16:9, 9:16.")
    resolution = optional_enum(params, "resolution", RESOLUTIONS) or "720p"
    if resolution not in spec.video_resolutions:
        raise invalid_argument(
            f"{spec.id} does not support resolution {resolution!r}. "
            f"Supported: {', '.join(spec.video_resolutions)}."
        )
    reference_frames: list[Image.Image] = []
    if references is not None:
        reference_frames = _read_references(references, prompt, instance, duration, spec, state)
    source_video = None
    if has_video:
        source_video = _read_source_video(instance["video"], state)

    seed = optional_int(params, "seed", low=0, high=UINT32_MAX)
    optional_enum(params, "personGeneration", PERSON_GENERATION)
    optional_enum(params, "compressionQuality", COMPRESSION)
    optional_bool(params, "enhancePrompt")
    first = reference_frames[0] if reference_frames else None
    last = None
    if has_image:
        first = read_image_ref(
            instance["image"], "instances[0].image", state.gcs_url, mime_required=True
        ).image
    if instance.get("lastFrame") is not None:
        last = read_image_ref(
            instance["lastFrame"], "instances[0].lastFrame", state.gcs_url, mime_required=True
        ).image
    width, height = VEO_SIZES[(aspect_ratio, resolution)]
    return VideoJob(
        width=width,
        height=height,
        duration=duration,
        with_audio=bool(optional_bool(params, "generateAudio")),
        prompt=prompt,
        seed=seed,
        sample_count=optional_int(params, "sampleCount", low=1, high=4) or 1,
        storage_uri=check_storage_uri(params.get("storageUri"), "parameters.storageUri"),
        first_frame=first,
        last_frame=last,
        resize_mode=optional_enum(params, "resizeMode", RESIZE_MODES) or "pad",
        fault=fault,
        source_video=source_video,
    )


def _read_references(
    references: object, prompt: str, instance: dict, duration: int, spec: ModelSpec, state: EmulatorState
) -> list[Image.Image]:
    """Veo 3.1 reference-to-video (generate-videos-from-references page and the 3.1 model page):
    up to 3 asset images on standard and Fast, none on Lite; style images were only ever for
    veo-2.0-generate-exp; a prompt is required; 8 seconds only."""
    if not spec.max_reference_images:
        raise invalid_argument(f"{spec.id} does not support referenceImages.")
    if not isinstance(references, list) or not references:
        raise invalid_argument("referenceImages must be a non-empty list.")
    if not prompt.strip():
        raise invalid_argument("referenceImages need a prompt.")
    if instance.get("video") is not None or instance.get("lastFrame") is not None:
        raise invalid_argument("referenceImages cannot be combined with video or lastFrame.")
    kinds = [str(ref.get("referenceType", "")).lower() if isinstance(ref, dict) else "" for ref in references]
    if any(kind not in ("asset", "style") for kind in kinds):
        raise invalid_argument("referenceImages[].referenceType must be asset or style.")
    if "style" in kinds:
        raise invalid_argument(f"{spec.id} does not support style reference images; use asset images.")
    if len(kinds) > spec.max_reference_images:
        raise invalid_argument(
            f"referenceImages take up to {spec.max_reference_images} asset images; got {len(kinds)}."
        )
    if duration != 8:
        raise invalid_argument("Reference-image-to-video only supports durationSeconds 8.")
    return [
        read_image_ref(
            ref.get("image"), f"referenceImages[{index}].image", state.gcs_url, mime_required=True
        ).image
        for index, ref in enumerate(references)
    ]


def _read_source_video(ref: object, state: EmulatorState) -> bytes:
    """The video to extend: an MP4 of 1 to 30 seconds at 16:9 or 9:16, inline or from GCS."""
    field = "instances[0].video"
    _check_mime(ref, field)
    assert isinstance(ref, dict)  # _check_mime refused anything else
    if (ref.get("mimeType") or ref.get("mime_type")) != "video/mp4":
        raise invalid_argument(f"{field}.mimeType must be video/mp4.")
    data = read_bytes(ref, field, state.gcs_url)
    try:
        width, height, seconds = video.probe(data)
    except video.RenderError:
        raise invalid_argument(f"{field}: not a readable MP4 video.") from None
    low, high = EXTEND_INPUT_SECONDS
    if not low <= seconds <= high:
        raise invalid_argument(
            f"{field}: the video is {seconds:.1f} seconds long; videos to extend must be "
            f"{low:g} to {high:g} seconds."
        )
    if abs(width / height - 16 / 9) > 0.02 and abs(width / height - 9 / 16) > 0.02:
        raise invalid_argument(f"{field}: the video is {width}x{height}; extend takes 16:9 or 9:16.")
    return data


def _check_mime(ref: object, field: str) -> None:
    if not isinstance(ref, dict) or not (ref.get("mimeType") or ref.get("mime_type")):
        raise invalid_argument(f"{field}.mimeType is required.")


def _run(operation: VideoOperation, job: VideoJob, state: EmulatorState) -> None:
    try:
        if job.fault == "blocked":
            operation.error = {"code": 3, "message": PROMPT_BLOCKED}
        elif job.fault == "operation_failed":
            operation.error = {"code": 13, "message": GENERATION_FAILED}
        else:
            operation.response = _render_all(job, state)
    except Exception:
        logger.exception("Emulated Veo operation %s failed", operation.name)
        operation.error = {"code": 13, "message": GENERATION_FAILED}
    finally:
        operation.finished.set()


def _render_all(job: VideoJob, state: EmulatorState) -> dict:
    filtered = {"video_filtered": job.sample_count, "filter_all": job.sample_count}.get(job.fault or "", 0)
    if job.fault == "filter_some":
        filtered = max(1, job.sample_count // 2)
    if job.storage_uri:
        bucket, folder = gcs.output_folder(job.storage_uri)
    videos = []
    for index in range(job.sample_count - filtered):
        seed_bytes = media.recipe("veo", job.prompt, index, seed=job.seed)
        if job.source_video is not None:
            data = video.extend_video(
                job.source_video,
                width=job.width,
                height=job.height,
                seconds=job.duration,
                with_audio=job.with_audio,
                prompt=job.prompt,
                seed_bytes=seed_bytes,
            )
        else:
            data = video.render_video(
                width=job.width,
                height=job.height,
                duration=job.duration,
                with_audio=job.with_audio,
                prompt=job.prompt,
                seed_bytes=seed_bytes,
                first_frame=job.first_frame,
                last_frame=job.last_frame,
                resize_mode=job.resize_mode,
            )
        if job.storage_uri:
            uri = gcs.upload(state.gcs_url, bucket, f"{folder}/sample_{index}.mp4", data, "video/mp4")
            videos.append({"gcsUri": uri, "mimeType": "video/mp4"})
        else:
            videos.append({"bytesBase64Encoded": base64.b64encode(data).decode(), "mimeType": "video/mp4"})
    response: dict = {"@type": RESPONSE_TYPE, "raiMediaFilteredCount": filtered}
    if filtered:
        response["raiMediaFilteredReasons"] = [VIDEO_FILTERED]
    if videos:  # left out when everything was filtered: google-genai then reports generated_videos=None
        response["videos"] = videos
    return response
