"""The provider interface: operations, request and result dataclasses, and our error types.

Everything the rest of the app knows about Google and Pollinations goes through these types.
SDK objects (google-genai, google-cloud-storage) never leave studio/providers/.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


class Operation(enum.StrEnum):
    """What the app asks for. The catalog maps each one to a model (settings pick which)."""

    IMAGE_GENERATE = "image_generate"
    IMAGE_EDIT = "image_edit"
    IMAGE_COMPOSE = "image_compose"  # several of the user's images and a prompt, one new image
    IMAGE_PREVIEW = "image_preview"  # the FREE tier's watermarked preview (Pollinations)
    UPSCALE_V3 = "upscale_v3"
    UPSCALE_V4 = "upscale_v4"
    VIDEO = "video"
    VIDEO_FAST = "video_fast"
    VIDEO_LITE = "video_lite"
    TEXT = "text"  # the assistant and the prompt helper (Gemini text, function calling)


class Family(enum.StrEnum):
    """A wire family: how a model is called."""

    IMAGEN = "imagen"  # Vertex :predict
    GEMINI_IMAGE = "gemini_image"  # Vertex :generateContent with image output
    VEO = "veo"  # Vertex :predictLongRunning + :fetchPredictOperation
    POLLINATIONS = "pollinations"  # GET /image/{prompt}
    GEMINI_TEXT = "gemini_text"  # Vertex :generateContent / :streamGenerateContent with text output


class EditMode(enum.StrEnum):
    INSERT = "insert"
    REMOVE = "remove"
    BACKGROUND_SWAP = "background_swap"
    OUTPAINT = "outpaint"


# --- Inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInput:
    """An image we send: inline bytes or a gs:// URI, always with its MIME type."""

    data: bytes | None = None
    gcs_uri: str | None = None
    mime_type: str = "image/png"

    def __post_init__(self) -> None:
        if (self.data is None) == (self.gcs_uri is None):
            raise ValueError("ImageInput needs exactly one of data or gcs_uri")


@dataclass(frozen=True)
class Outpaint:
    """How many pixels to add on each side of the original when outpainting."""

    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0

    def __post_init__(self) -> None:
        sides = (self.left, self.top, self.right, self.bottom)
        if min(sides) < 0 or max(sides) == 0:
            raise ValueError("Outpaint needs non-negative sides and at least one positive side")


@dataclass(frozen=True)
class GenerateImagesRequest:
    prompt: str
    count: int = 1
    aspect_ratio: str = "1:1"
    negative_prompt: str | None = None
    seed: int | None = None
    # SynthID. Google's default is on; a seed is only ever sent when this is False.
    add_watermark: bool = True
    safety_setting: str | None = None  # block_low_and_above | block_medium_and_above | block_only_high
    person_generation: str | None = None  # dont_allow | allow_adult | allow_all
    output_mime_type: str = "image/png"
    image_size: str | None = None  # Gemini: "512" | "1K" | "2K" | "4K"
    output_gcs_uri: str | None = None  # Imagen storageUri: results come back as gs:// URIs
    # Pollinations only: exact pixels. When unset they follow aspect_ratio at about 1 MP.
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class EditImageRequest:
    image: ImageInput
    mode: EditMode
    prompt: str = ""
    # The user-painted mask: same size as the image; non-zero (white) pixels mark the area to edit.
    mask: ImageInput | None = None
    outpaint: Outpaint | None = None  # for OUTPAINT: we pad the canvas and build the mask
    # INSERT / REMOVE without a mask: the area in words, which the model finds (Gemini image only).
    mask_description: str | None = None
    count: int = 1
    negative_prompt: str | None = None
    seed: int | None = None
    add_watermark: bool = True
    safety_setting: str | None = None
    person_generation: str | None = None
    output_mime_type: str = "image/png"
    mask_dilation: float | None = 0.01  # Imagen: fraction of the image width
    base_steps: int | None = None  # Imagen: editConfig.baseSteps (35 is Google's starting point)
    image_size: str | None = None  # Gemini only
    output_gcs_uri: str | None = None


@dataclass(frozen=True)
class ComposeImageRequest:
    """Several input images and an instruction that combines them ("put the person from image 1
    in front of the mountain in image 2"); no mask. The model's limit on inputs is checked before
    the call (catalog ModelInfo.max_input_images) and again by Google."""

    images: tuple[ImageInput, ...]
    prompt: str
    count: int = 1
    aspect_ratio: str | None = None  # None: the output follows the last input's shape
    image_size: str | None = None  # "512" | "1K" | "2K" | "4K"
    negative_prompt: str | None = None
    seed: int | None = None
    safety_setting: str | None = None
    person_generation: str | None = None
    output_mime_type: str = "image/png"


@dataclass(frozen=True)
class UpscaleImageRequest:
    image: ImageInput
    factor: str = "x2"  # x2 | x3 | x4
    output_mime_type: str = "image/png"
    # None leaves Google's default (on). Sent as parameters.addWatermark when set.
    add_watermark: bool | None = None
    output_gcs_uri: str | None = None


@dataclass(frozen=True)
class VideoInput:
    """A video we send (to extend): inline bytes or a gs:// URI."""

    data: bytes | None = None
    gcs_uri: str | None = None
    mime_type: str = "video/mp4"

    def __post_init__(self) -> None:
        if (self.data is None) == (self.gcs_uri is None):
            raise ValueError("VideoInput needs exactly one of data or gcs_uri")


@dataclass(frozen=True)
class VideoRequest:
    prompt: str = ""
    duration_seconds: int = 8  # 4 | 6 | 8; 7 when extending a video
    aspect_ratio: str = "16:9"  # 16:9 | 9:16
    resolution: str = "720p"  # 720p | 1080p | 4k (the model's own list: catalog.ModelInfo)
    generate_audio: bool = False
    count: int = 1
    seed: int | None = None
    negative_prompt: str | None = None
    person_generation: str | None = None  # allow_adult | dont_allow
    first_frame: ImageInput | None = None
    last_frame: ImageInput | None = None  # needs first_frame
    # Reference-to-video: asset images (the subject to keep); no first frame, 8 s only.
    reference_images: tuple[ImageInput, ...] = ()
    video: VideoInput | None = None  # extend this video (7 s more)
    output_gcs_uri: str | None = None  # storageUri; without it Veo returns bytes inline
    # None leaves Google's default (on). A seed repeats a result only when this is False.
    enhance_prompt: bool | None = None


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedImage:
    mime_type: str
    data: bytes | None = None
    gcs_uri: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class ImageResult:
    images: list[GeneratedImage]
    model: str
    price_class: str
    synthid: bool  # Google's invisible watermark was applied to these images
    filtered_count: int = 0  # outputs the safety filters removed (not charged)
    filtered_reasons: list[str] = field(default_factory=list)
    seed_applied: bool = False  # False when a seed was asked for but could not be sent
    failed_count: int = 0  # outputs lost to errors after others had succeeded (not charged)


@dataclass(frozen=True)
class VideoOperation:
    """A started Veo operation. Store `name` on the job: polling needs nothing else."""

    name: str
    model: str
    price_class: str
    seed_applied: bool = False  # False when a seed was asked for but the model would not honour it


@dataclass(frozen=True)
class GeneratedVideo:
    mime_type: str
    data: bytes | None = None
    gcs_uri: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class VideoStatus:
    """One poll. `done` False means ask again later; done with no videos raises instead."""

    name: str
    model: str
    done: bool
    videos: list[GeneratedVideo] = field(default_factory=list)
    synthid: bool = True
    filtered_count: int = 0
    filtered_reasons: list[str] = field(default_factory=list)


# --- What adapters offer (by family: Imagen all three image calls, Gemini generate, edit and compose,
# Pollinations generate, Veo start; polling a video needs only the operation name) -----------


class ImageGenerator(Protocol):
    def generate(self, request: GenerateImagesRequest) -> ImageResult: ...


class ImageEditor(Protocol):
    def edit(self, request: EditImageRequest) -> ImageResult: ...


class ImageComposer(Protocol):
    def compose(self, request: ComposeImageRequest) -> ImageResult: ...


class ImageUpscaler(Protocol):
    def upscale(self, request: UpscaleImageRequest) -> ImageResult: ...


class VideoGenerator(Protocol):
    def start(self, request: VideoRequest) -> VideoOperation: ...


# --- Errors ---------------------------------------------------------------------------------


class ProviderError(Exception):
    """Base of every error the providers raise.

    `message` is for staff and logs, never for users: it quotes the provider (GCP resource paths,
    IAM permissions, our Pollinations balance) and says what an operator should change. The app
    words what a user reads from the error's class alone (studio/errors.py: USER_MESSAGES).
    """

    retryable = False

    def __init__(self, message: str, *, model: str = "", http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.model = model
        self.http_status = http_status

    @property
    def detail(self) -> str:
        """Everything staff need to act on this error, in one line: kind, HTTP status, model, text."""
        facts = [type(self).__name__]
        if self.http_status is not None:
            facts.append(f"HTTP {self.http_status}")
        if self.model:
            facts.append(f"model {self.model}")
        return f"{', '.join(facts)}: {self.message}"


class RetryableError(ProviderError):
    """429, 5xx, timeouts and connection failures: trying again later may work.

    `may_have_started` is True when the request may have reached the provider, so that paid work
    could be under way (a 5xx, a read timeout, a dropped connection); False when it certainly did
    not (a 429 quota refusal, a refused connection).
    """

    retryable = True

    def __init__(self, message: str, *, may_have_started: bool = True, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.may_have_started = may_have_started


class ProviderTimeoutError(RetryableError):
    """The provider did not answer within our timeout, or the job's time for calls ran out."""


class CircuitOpenError(RetryableError):
    """The breaker for this model is open: nothing was sent. `retry_after`: seconds until a call
    may be let through again (as the breaker's trial, or after it closed)."""

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs) -> None:
        super().__init__(message, may_have_started=False, **kwargs)
        self.retry_after = retry_after


class SafetyBlockedError(ProviderError):
    """The prompt was refused, or every output was filtered. Not retryable; never charged."""

    def __init__(
        self, message: str, *, filtered_count: int = 0, reasons: list[str] | None = None, **kwargs
    ) -> None:
        super().__init__(message, **kwargs)
        self.filtered_count = filtered_count
        self.reasons = reasons or []


class InvalidRequestError(ProviderError):
    """The provider (or our own pre-flight check) rejected the parameters: a 4xx other than 403/404/429."""


class ModelUnavailableError(ProviderError):
    """404 for the model: Google retired it or it is not available here. Names the successor
    (for the operator, in `message`)."""

    def __init__(self, message: str, *, successor: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.successor = successor


class ConfigurationError(ProviderError):
    """403, missing settings or credentials, a model that cannot serve the operation."""


class VideoOperationFailedError(ProviderError):
    """The long-running operation finished with an error that is neither safety nor bad input."""

    def __init__(self, message: str, *, rpc_code: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.rpc_code = rpc_code


# --- Text (the assistant and the prompt helper) ---------------------------------------------


@dataclass(frozen=True)
class TextRequest:
    """One call to the text model. `contents` are the conversation's turns in the Gemini wire
    form ({"role", "parts"}), as earlier TextResults' `content` gave them (signatures kept)."""

    contents: list[dict]
    system: str = ""
    tools: dict | None = None  # a Gemini Tool object: {"functionDeclarations": [...]}
    max_output_tokens: int = 1024
    temperature: float | None = None


@dataclass(frozen=True)
class FunctionCall:
    name: str
    arguments: dict


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text as it streams in."""

    text: str


@dataclass(frozen=True)
class TextResult:
    text: str
    function_calls: list[FunctionCall]
    content: dict  # the model's turn, to send back in the next request's contents
    input_tokens: int
    output_tokens: int  # thinking included: Google bills it as output
    model: str
    finish_reason: str = "STOP"
