"""The only code in the app that talks to Google or Pollinations.

The rest of the app asks by operation; the catalog and the settings decide which model and wire
family answer:

    from studio import providers
    result = providers.generate_images(GenerateImagesRequest(prompt="a red fox", count=2))
    op = providers.start_video(VideoRequest(prompt="...", generate_audio=True))   # store op.name
    status = providers.poll_video(op.name)                                        # until status.done

Expected failures raise the ProviderError subclasses in base.py; nothing from an SDK escapes.

This module is the boundary: the rest of the app imports only what `__all__` names (the model
routes and breakers a submit consults, the job scope the worker runs in, signed links to media in
a bucket, the health report), never a submodule. studio/tests/test_provider_boundary.py holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from .base import (
    CircuitOpenError,
    ComposeImageRequest,
    ConfigurationError,
    EditImageRequest,
    EditMode,
    Family,
    FunctionCall,
    GeneratedImage,
    GeneratedVideo,
    GenerateImagesRequest,
    ImageInput,
    ImageResult,
    InvalidRequestError,
    ModelUnavailableError,
    Operation,
    Outpaint,
    ProviderError,
    ProviderTimeoutError,
    RetryableError,
    SafetyBlockedError,
    TextDelta,
    TextRequest,
    TextResult,
    UpscaleImageRequest,
    VideoInput,
    VideoOperation,
    VideoOperationFailedError,
    VideoRequest,
    VideoStatus,
)
from .catalog import MAX_UPSCALED_PIXELS, Route, lifecycle_warnings, resolve
from .health import breaker_states, catalog_rows, configuration, configuration_warnings, live_check
from .resilience import admit, end_trial, job_scope
from .seeds import seed_note
from .veo import EXTEND_MAX_INPUT_SECONDS, EXTEND_SECONDS, VideoLimits, video_limits

log = logging.getLogger(__name__)

__all__ = [
    "MAX_UPSCALED_PIXELS",
    "CircuitOpenError",
    "ComposeImageRequest",
    "ConfigurationError",
    "EditImageRequest",
    "EditMode",
    "Family",
    "GeneratedImage",
    "GeneratedVideo",
    "GenerateImagesRequest",
    "ImageInput",
    "ImageResult",
    "InvalidRequestError",
    "ModelUnavailableError",
    "Operation",
    "Outpaint",
    "ProviderError",
    "ProviderTimeoutError",
    "RetryableError",
    "SafetyBlockedError",
    "TextDelta",
    "TextRequest",
    "TextResult",
    "FunctionCall",
    "UpscaleImageRequest",
    "EXTEND_MAX_INPUT_SECONDS",
    "EXTEND_SECONDS",
    "VideoInput",
    "VideoLimits",
    "VideoOperation",
    "VideoOperationFailedError",
    "VideoRequest",
    "VideoStatus",
    "Route",
    "admit",
    "breaker_states",
    "catalog_rows",
    "compose_images",
    "configuration",
    "configuration_warnings",
    "edit_image",
    "edits_from_words",
    "end_trial",
    "find_video_outputs",
    "generate_images",
    "generate_preview",
    "generate_text",
    "stream_text",
    "text_model",
    "get_provider",
    "is_bucket_storage",
    "job_scope",
    "lifecycle_warnings",
    "live_check",
    "seed_note",
    "poll_video",
    "resolve",
    "signed_storage_url",
    "start_video",
    "upscale_image",
    "storage_gcs_uri",
    "video_bytes",
    "video_limits",
    "video_output_uri",
    "warm",
]


def edits_from_words() -> str | None:
    """The edit model now in use when it finds an edit's area from words (mask-free editing: the
    Gemini image models, which take the instruction and the picture alone), else None. Imagen's
    edits need a mask image (or find only the background, MASK_MODE_BACKGROUND)."""
    try:
        route = resolve(Operation.IMAGE_EDIT)
    except ProviderError:
        return None
    return route.model_id if route.family == Family.GEMINI_IMAGE else None


def get_provider(operation: Operation):
    """The adapter serving `operation` under the current settings.

    Image adapters offer generate / edit / upscale (as their family allows), the Veo adapter
    start; polling needs only the operation name (see poll_video).
    """
    route = resolve(operation)
    return _adapter_for(route)


def warm() -> list[str]:
    """Build now what the first call of each configured operation would build: its adapter's
    module (the SDK's import), the Vertex client for its location and its breaker's store (a
    first read opens the connection). A queue worker calls this when it starts (studio/worker.py),
    so its first job does not pay for them. Returns the models warmed; never raises (a route
    that cannot be resolved is for submit to refuse)."""
    from django.conf import settings

    from . import vertex
    from .resilience import breaker_for

    timeouts = {
        Family.IMAGEN: settings.PROVIDER_IMAGE_TIMEOUT_SECONDS,
        Family.GEMINI_IMAGE: settings.PROVIDER_IMAGE_TIMEOUT_SECONDS,
        Family.VEO: settings.PROVIDER_VIDEO_TIMEOUT_SECONDS,
        Family.GEMINI_TEXT: settings.PROVIDER_TEXT_TIMEOUT_SECONDS,
    }
    warmed = []
    for operation in Operation:
        try:
            route = resolve(operation)
            _adapter_for(route)
            if route.family in timeouts:
                vertex.client(route.location, timeouts[route.family])
            breaker_for(route.model_id, route.family).storage.snapshot()
        except Exception as e:  # noqa: BLE001 - warming is an optimisation, never a failure
            log.info("not warmed: %s (%s)", operation, e)
            continue
        warmed.append(route.model_id)
    return warmed


def _adapter_for(route: Route):
    # Imported here so that importing studio.providers stays cheap (no SDK import at startup).
    if route.family == Family.IMAGEN:
        from .imagen import ImagenAdapter

        return ImagenAdapter(route)
    if route.family == Family.GEMINI_IMAGE:
        from .gemini_image import GeminiImageAdapter

        return GeminiImageAdapter(route)
    if route.family == Family.VEO:
        from .veo import VeoAdapter

        return VeoAdapter(route)
    if route.family == Family.GEMINI_TEXT:
        from .gemini_text import GeminiTextAdapter

        return GeminiTextAdapter(route)
    from .pollinations import PollinationsAdapter

    return PollinationsAdapter(route)


def generate_images(request: GenerateImagesRequest) -> ImageResult:
    """Text to image with the configured Google model (Imagen or Gemini image)."""
    result = get_provider(Operation.IMAGE_GENERATE).generate(request)
    return _in_format(result, request.output_mime_type)


def generate_preview(request: GenerateImagesRequest) -> ImageResult:
    """The FREE tier's preview through Pollinations (no SynthID; the app adds its visible mark)."""
    return _in_format(get_provider(Operation.IMAGE_PREVIEW).generate(request), request.output_mime_type)


def text_model() -> str:
    """The text model the settings pick now (MODEL_TEXT): what a text call is priced by."""
    return resolve(Operation.TEXT).model_id


def generate_text(request: TextRequest) -> TextResult:
    """One answer from the text model (function calls included), in one call."""
    return get_provider(Operation.TEXT).generate(request)


def stream_text(request: TextRequest) -> Iterator[TextDelta | TextResult]:
    """The text model's answer as it streams: TextDelta pieces, then the TextResult."""
    return get_provider(Operation.TEXT).stream(request)


def edit_image(request: EditImageRequest) -> ImageResult:
    return _in_format(get_provider(Operation.IMAGE_EDIT).edit(request), request.output_mime_type)


def compose_images(request: ComposeImageRequest) -> ImageResult:
    """One new image from several of the user's images and a prompt (a Gemini image model)."""
    return _in_format(get_provider(Operation.IMAGE_COMPOSE).compose(request), request.output_mime_type)


def _in_format(result: ImageResult, mime_type: str) -> ImageResult:
    """Every image in the type the request asked for: a model that cannot make it natively (WebP
    on Google, anything but JPEG on Pollinations) is converted here (media.in_format)."""
    from dataclasses import replace

    from . import media

    return replace(result, images=media.in_format(result.images, mime_type))


def upscale_image(request: UpscaleImageRequest, *, version: str = "v3") -> ImageResult:
    """version "v3" (JIVE and JIGGA) or "v4" (Imagen 4 Ultra upscale, JIGGA)."""
    operations = {"v3": Operation.UPSCALE_V3, "v4": Operation.UPSCALE_V4}
    if version not in operations:
        raise InvalidRequestError("Upscale version must be v3 or v4")
    return get_provider(operations[version]).upscale(request)


def start_video(request: VideoRequest, operation: Operation = Operation.VIDEO) -> VideoOperation:
    """Submit a Veo job on the model serving `operation` (VIDEO, VIDEO_FAST, VIDEO_LITE). Store
    the returned name at once: it is all that polling needs."""
    return get_provider(operation).start(request)


def poll_video(operation_name: str) -> VideoStatus:
    from .veo import poll

    return poll(operation_name)


def video_output_uri(job_key: str) -> str | None:
    """The job's own Veo output folder (storageUri): gs://<bucket>/<prefix>/videos/<job_key>/.
    None without GCS_BUCKET (Veo then returns the videos inline)."""
    from . import gcs

    return gcs.output_prefix("videos", job_key)


def find_video_outputs(output_uri: str, *, expected: int) -> list[GeneratedVideo]:
    """The videos a Veo operation wrote to `output_uri`, once complete; [] while there are none.
    For a render whose operation name was lost (studio/worker.py adopts it)."""
    from .veo import find_outputs

    return find_outputs(output_uri, expected=expected)


def video_bytes(video: GeneratedVideo) -> bytes:
    """A rendered video's bytes: inline, or read from the gs:// URI Veo wrote it to."""
    if video.data:
        return video.data
    from . import gcs

    return gcs.download(video.gcs_uri or "")


def storage_gcs_uri(storage, name: str) -> str | None:
    """The gs:// URI of a stored file when its storage is the bucket (a model can read it there),
    else None (send the bytes)."""
    from . import gcs

    return gcs.storage_uri(storage, name) if gcs.is_bucket_storage(storage) else None


def is_bucket_storage(storage) -> bool:
    """Whether a Django storage keeps its files in GCS (django-storages), so that a link to one
    is a signed URL on Google's host rather than a path on ours."""
    from . import gcs

    return gcs.is_bucket_storage(storage)


def signed_storage_url(storage, name: str, *, hours: int, download_name: str | None = None) -> str:
    """A V4 signed GET URL for the file `name` of a bucket storage, valid for `hours` hours; with
    `download_name` the browser saves it under that name. ConfigurationError when this deployment
    cannot sign (studio/providers/gcs.py says who signs)."""
    from . import gcs

    return gcs.signed_storage_url(storage, name, hours=hours, download_name=download_name)
