"""One pydantic model per operation: the single source of validation.

The JSON API, the LLM tools (studio/tools.py derives their JSON Schema from these) and the
pages of the Image and Video Studios all validate through these models, so each rule lives
here once. Models are strict about shape (unknown fields are errors) and say in their field
descriptions what an API user or an LLM needs to know.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from django.utils.translation import gettext
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from studio.providers import EXTEND_MAX_INPUT_SECONDS, EXTEND_SECONDS

PROMPT_MAX_CHARS = 2000
NEGATIVE_PROMPT_MAX_CHARS = 1000
MAX_SEED = 2_147_483_647  # Imagen, Gemini and Veo all accept a non-negative 32-bit signed seed
MAX_COUNT = 4  # outputs per request, for every operation
MAX_OUTPAINT_PIXELS = 4096  # pixels outpainting may add on one side
MASK_DESCRIPTION_MAX_CHARS = 300

# Every aspect ratio an image model the studio can use makes (Gemini 3.1 Flash Image's fifteen, which
# hold Imagen's five). Which ones a request may use is the model's list (studio/providers/catalog.py),
# checked at submit: `unsupported_aspect_ratio`.
IMAGE_ASPECT_RATIOS = (
    "1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "9:21",
    "1:4", "4:1", "1:8", "8:1",
)  # fmt: skip
# Outpainting grows the canvas to one of the classic five.
OUTPAINT_ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
# Gemini's imageSize: about 0.25, 1, 4 and 16 megapixels. Which ones a request may use is the
# model's list and the plan's (studio/operations/base.py), checked at submit.
IMAGE_SIZES = ("512", "1K", "2K", "4K")
# The file type of the images a request makes; a model that cannot make one natively is converted.
OUTPUT_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_COMPOSE_IMAGES = 14  # the most any Gemini image model takes; the model's own limit is checked at submit
VIDEO_ASPECT_RATIOS = ("16:9", "9:16")
VIDEO_DURATIONS = (4, 6, 8)
VIDEO_RESOLUTIONS = ("720p", "1080p", "4k")  # 4K: Veo 3.1 standard only, JIGGA (README, "Veo 3.1")
# Asset reference images Veo 3.1 takes at most (standard and Fast; Lite none): the model's own
# limit is checked at submit (studio/operations/generate_video.py).
MAX_VIDEO_REFERENCES = 3
# What an extension adds (Veo's extend page: 7 s to a video of 1 to 30 s), billed as 7 s of video.
VIDEO_EXTEND_SECONDS = EXTEND_SECONDS
VIDEO_EXTEND_MAX_INPUT_SECONDS = EXTEND_MAX_INPUT_SECONDS
# Reference-to-video makes 8-second videos only (Veo 3.1 model page).
REFERENCE_VIDEO_SECONDS = 8

# name: (label, words added to the prompt). Shown as thumbnails on the Create tab.
STYLE_PRESETS: dict[str, tuple[str, str]] = {
    "photographic": ("Photographic", "professional photograph, natural light, sharp focus"),
    "cinematic": ("Cinematic", "cinematic still, dramatic lighting, shallow depth of field"),
    "illustration": ("Illustration", "detailed digital illustration, clean lines"),
    "watercolour": ("Watercolour", "watercolour painting on textured paper, soft washes"),
    "anime": ("Anime", "anime style, vibrant colours, cel shading"),
    "3d_render": ("3D render", "3D render, soft global illumination, studio lighting"),
    "line_art": ("Line art", "black ink line art, minimal shading"),
    "vintage": ("Vintage", "vintage film photograph, warm grain, faded colours"),
}


# The validation error types of our own rules, beside pydantic's (`missing`, `literal_error`, ...).
# Stable: API clients may branch on them, and studio/messages.py words them for people and places
# them on the pages' forms by type, never by their English text.
CONTROL_CHARACTERS = "control_characters"
INVALID_UNICODE = "invalid_unicode"
BOOL_NOT_A_NUMBER = "bool_not_a_number"
PROMPT_WITHOUT_MEANING = "prompt_without_meaning"
OUTPAINT_WITHOUT_SIDES = "outpaint_without_sides"
EDIT_NEEDS_PROMPT = "edit_needs_prompt"
EDIT_NEEDS_MASK = "edit_needs_mask"
OUTPAINT_WITH_MASK = "outpaint_with_mask"
OUTPAINT_SIDES_OR_RATIO = "outpaint_sides_or_ratio"
OUTPAINT_ONLY = "outpaint_only"
EDIT_ONE_MASK = "edit_one_mask"
MASK_DESCRIPTION_MODE = "mask_description_mode"
VIDEO_NEEDS_PROMPT_OR_FRAME = "video_needs_prompt_or_frame"
LAST_FRAME_NEEDS_FIRST = "last_frame_needs_first"
DUPLICATE_IMAGE = "duplicate_image"
VIDEO_ONE_MODEL = "video_one_model"
REFERENCES_WITH_FRAMES = "references_with_frames"
REFERENCES_NEED_PROMPT = "references_need_prompt"
REFERENCES_LAST_EIGHT_SECONDS = "references_last_eight_seconds"


def _no_control_characters(text: str) -> str:
    # PostgreSQL cannot store NUL in a JSON field, and no model wants other control characters.
    if any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in text):
        raise PydanticCustomError(CONTROL_CHARACTERS, gettext("must not contain control characters"))
    # A lone surrogate (JSON "\udc00") is not text: PostgreSQL's JSON refuses it.
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise PydanticCustomError(INVALID_UNICODE, gettext("must be valid Unicode text"))
    return text


def _not_a_bool(value):
    # pydantic's lax mode reads true as 1; a count or a seed of `true` is a mistake, not a number.
    if isinstance(value, bool):
        raise PydanticCustomError(BOOL_NOT_A_NUMBER, gettext("must be a whole number, not true or false"))
    return value


WholeNumber = Annotated[int, BeforeValidator(_not_a_bool)]


# Characters that show nothing: format characters (U+200B zero-width space, U+FEFF, U+2060 word
# joiner, ...) and every kind of space and line or paragraph separator.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp"})


def _is_invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def _carries_meaning(text: str) -> bool:
    """True when the text has a letter or a digit (in any script). Punctuation, symbols (emoji
    included), marks and invisible characters alone describe nothing: "--", "...", a zero-width
    space, would be charged prompts that the model can only guess at."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def _meaningful(text: str) -> str:
    """The text without invisible characters at either end; refused if nothing in it means
    anything. An empty text passes: whether it may be empty is the field's rule (min_length)."""
    start, end = 0, len(text)
    while start < end and _is_invisible(text[start]):
        start += 1
    while end > start and _is_invisible(text[end - 1]):
        end -= 1
    if text and not _carries_meaning(text[start:end]):
        raise PydanticCustomError(
            PROMPT_WITHOUT_MEANING,
            gettext(
                "must contain letters or digits, not only punctuation, symbols, emoji or invisible characters"
            ),
        )
    return text[start:end]


@dataclass(frozen=True)
class _DocumentedPatterns:
    """Adds regex patterns to a type's JSON Schema (the OpenAPI document) without changing how it
    validates (the validators do that): the first as `pattern`, the others under `allOf`."""

    patterns: tuple[str, ...]

    def __get_pydantic_json_schema__(self, core_schema, handler):
        first, *rest = self.patterns
        schema = {**handler(core_schema), "pattern": first}
        if rest:
            schema["allOf"] = [{"pattern": pattern} for pattern in rest]
        return schema


# The meaning rule in JSON Schema, for clients that validate before sending: "some character that
# is not a space, ASCII punctuation or a symbol, or a zero-width character". Unicode classes
# (\p{L}) would say it exactly, but Python's re (jsonschema, schemathesis) cannot read them, so
# this pattern is the part every regex engine agrees on; _meaningful is the whole rule.
MEANINGFUL_PATTERN = r"[^\s!-/:-@\[-`{-~\u200b-\u200f\u2060-\u2064\ufeff]"
# _no_control_characters in JSON Schema: no C0 control character but tab and line ends, no DEL
# (lone surrogates, refused too, are left out: Rust and other engines cannot name them).
CLEAN_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_MEANING_RULE = (
    " Must contain a letter or a digit: punctuation, symbols, emoji and invisible characters alone "
    "are refused (`prompt_without_meaning`)."
)
_Clean = AfterValidator(_no_control_characters)
_Meaningful = AfterValidator(_meaningful)
Prompt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=PROMPT_MAX_CHARS),
    _Clean,
    _Meaningful,
    _DocumentedPatterns((CLEAN_TEXT_PATTERN, MEANINGFUL_PATTERN)),
]
OptionalPrompt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=PROMPT_MAX_CHARS),
    _Clean,
    _Meaningful,
    _DocumentedPatterns((CLEAN_TEXT_PATTERN, f"^$|{MEANINGFUL_PATTERN}")),
]
NegativePrompt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=NEGATIVE_PROMPT_MAX_CHARS),
    _Clean,
    _Meaningful,
    _DocumentedPatterns((CLEAN_TEXT_PATTERN, f"^$|{MEANINGFUL_PATTERN}")),
]
# A prompt's rules, shorter: it names an area, it does not describe a picture.
MaskDescription = Annotated[Prompt, StringConstraints(max_length=MASK_DESCRIPTION_MAX_CHARS)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED), BeforeValidator(_not_a_bool)]
if TYPE_CHECKING:  # the names are data (STYLE_PRESETS), which a type checker cannot read
    StyleName = str
    AspectRatio = str
    ImageSize = str
    OutputFormat = str
else:
    StyleName = Literal[tuple(STYLE_PRESETS)]
    AspectRatio = Literal[IMAGE_ASPECT_RATIOS]
    ImageSize = Literal[IMAGE_SIZES]
    OutputFormat = Literal[tuple(OUTPUT_FORMATS)]

_RATIO_WORDS = (
    "Width:height of the image. The model in use may offer fewer: Gemini 3.1 Flash Image all of "
    "these, Gemini 3 Pro Image the first ten, Imagen 1:1, 3:4, 4:3, 9:16 and 16:9; another is "
    "refused with `unsupported_aspect_ratio`."
)
_SIZE_WORDS = (
    "Output size: 512 (about 0.25 MP, Gemini 3.1 Flash Image only), 1K (about 1 MP), 2K, 4K. Priced "
    "per size. FREE: 1K; JIVE: up to 2K; JIGGA: up to 4K (`upgrade_required` above the plan's); a "
    "size the model does not make is refused with `unsupported_image_size`."
)
_FORMAT_WORDS = "File type of the result: png, jpeg or webp (WebP is converted from Google's PNG)."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Rules between fields, in JSON Schema for the OpenAPI document (the model validators below
# enforce them). Under "allOf" so that the LLM tool definitions, whose vendors' schema subsets
# have no if/then, can leave them out: their descriptions say the same in words.
def _when(field: str, value: str, then: dict, otherwise: dict | None = None) -> dict:
    rule = {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": then}
    if otherwise is not None:
        rule["else"] = otherwise
    return rule


_GIVEN: JsonDict = {"type": "string", "minLength": 1}  # a present, non-empty string (not null)
_ABSENT: JsonDict = {"type": "null"}  # null or left out
_MEANINGFUL_PROMPT: JsonDict = {"type": "string", "minLength": 1, "pattern": MEANINGFUL_PATTERN}


class GenerateImage(_Strict):
    """Create images from a text prompt."""

    prompt: Prompt = Field(description="What the image should show." + _MEANING_RULE)
    count: WholeNumber = Field(
        1, ge=1, le=MAX_COUNT, description="How many images (1-4). FREE: one preview a day."
    )
    aspect_ratio: AspectRatio = Field("1:1", description=_RATIO_WORDS)
    image_size: ImageSize = Field("1K", description=_SIZE_WORDS)
    output_format: OutputFormat = Field("png", description=_FORMAT_WORDS)
    negative_prompt: NegativePrompt | None = Field(None, description="What the image should not show.")
    seed: Seed | None = Field(
        None, description="Repeat a result: the same seed and prompt give similar images."
    )
    style: StyleName | None = Field(None, description="A style preset added to the prompt.")

    def full_prompt(self) -> str:
        if not self.style:
            return self.prompt
        return f"{self.prompt}. Style: {STYLE_PRESETS[self.style][1]}"


class OutpaintSides(_Strict):
    """Pixels to add on each side of the image (at least one side more than 0)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "anyOf": [
                        {"required": [side], "properties": {side: {"minimum": 1}}}
                        for side in ("left", "top", "right", "bottom")
                    ]
                }
            ]
        }
    )

    left: WholeNumber = Field(0, ge=0, le=MAX_OUTPAINT_PIXELS)
    top: WholeNumber = Field(0, ge=0, le=MAX_OUTPAINT_PIXELS)
    right: WholeNumber = Field(0, ge=0, le=MAX_OUTPAINT_PIXELS)
    bottom: WholeNumber = Field(0, ge=0, le=MAX_OUTPAINT_PIXELS)

    @model_validator(mode="after")
    def _some_side(self) -> OutpaintSides:
        if not any((self.left, self.top, self.right, self.bottom)):
            raise PydanticCustomError(
                OUTPAINT_WITHOUT_SIDES, gettext("extend at least one side by a positive number of pixels")
            )
        return self


EditMode = Literal["insert", "remove", "background_swap", "outpaint"]
# The three ways to say where an insert or remove edit happens: exactly one of them.
_MASKS = ("mask", "mask_asset_id", "mask_description")
_MASK_GIVEN: dict[str, JsonDict] = {
    "mask": _GIVEN,
    "mask_asset_id": {"type": "string"},
    "mask_description": {"type": "string", "minLength": 1, "pattern": MEANINGFUL_PATTERN},
}
_ONE_MASK: list[JsonDict] = [
    {
        "required": [field],
        "properties": {
            other: (_MASK_GIVEN[field] if other == field else {"not": _MASK_GIVEN[other]}) for other in _MASKS
        },
    }
    for field in _MASKS
]
_BOTH_MASKS: JsonDict = {"mask": _GIVEN, "mask_asset_id": {"type": "string"}}


class EditImage(_Strict):
    """Edit one of your images: insert or remove inside a mask, swap the background, or extend the
    canvas (outpaint). insert needs a prompt and a mask; remove a mask; background_swap a prompt
    (it finds the background itself; a mask is optional); outpaint exactly one of outpaint and
    outpaint_aspect_ratio, and no mask. The mask is exactly one of: `mask_asset_id`, one of your
    uploaded images used as the mask (white or opaque where to edit, the image's pixel size);
    `mask_description`, the area in words (insert and remove on the Gemini image models, which find
    it themselves); or `mask`, a painted PNG of the image's pixel size (base64 or a data: URL)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                _when(
                    "mode",
                    "insert",
                    {
                        "required": ["prompt"],
                        "properties": {"prompt": _MEANINGFUL_PROMPT},
                        "oneOf": _ONE_MASK,
                    },
                ),
                _when("mode", "remove", {"oneOf": _ONE_MASK}),
                _when(
                    "mode",
                    "background_swap",
                    {
                        "required": ["prompt"],
                        "properties": {"prompt": _MEANINGFUL_PROMPT, "mask_description": _ABSENT},
                        "not": {"required": ["mask", "mask_asset_id"], "properties": _BOTH_MASKS},
                    },
                ),
                _when(
                    "mode",
                    "outpaint",
                    {
                        "properties": {
                            "mask": {"anyOf": [_ABSENT, {"type": "string", "maxLength": 0}]},
                            "mask_asset_id": _ABSENT,
                            "mask_description": _ABSENT,
                        },
                        "oneOf": [
                            {
                                "required": ["outpaint"],
                                "properties": {
                                    "outpaint": {"type": "object"},
                                    "outpaint_aspect_ratio": _ABSENT,
                                },
                            },
                            {
                                "required": ["outpaint_aspect_ratio"],
                                "properties": {
                                    "outpaint_aspect_ratio": {"type": "string"},
                                    "outpaint": _ABSENT,
                                },
                            },
                        ],
                    },
                    {"properties": {"outpaint": _ABSENT, "outpaint_aspect_ratio": _ABSENT}},
                ),
            ]
        }
    )

    image_id: uuid.UUID = Field(description="The id of one of your images.")
    mode: EditMode = Field(
        description="insert: add what the prompt describes inside the mask; remove: erase what is "
        "inside the mask; background_swap: replace the background (mask optional); outpaint: "
        "extend the canvas."
    )
    prompt: OptionalPrompt = Field(
        "",
        description="What to put in the edited area: needed for insert and background_swap, not for "
        "remove; outpaint may use it." + _MEANING_RULE,
    )
    mask: str | None = Field(
        None,
        description="The painted mask as a PNG (base64 or a data: URL), the same pixel size as the "
        "image; white or opaque pixels mark the area to edit.",
        max_length=12_000_000,
    )
    mask_asset_id: uuid.UUID | None = Field(
        None,
        description="One of your uploaded images to use as the mask (POST /uploads; list_media): the same "
        "pixel size as the image, white or opaque where to edit, black or transparent elsewhere.",
    )
    mask_description: MaskDescription | None = Field(
        None,
        description='insert and remove: the area to edit, in words ("the red car", "the sky", "the '
        'person on the left"), instead of a mask; the model finds it. Needs an edit model that can '
        "(the Gemini image models).",
    )
    outpaint: OutpaintSides | None = Field(None, description="Outpaint: pixels to add on each side.")
    outpaint_aspect_ratio: Literal[OUTPAINT_ASPECT_RATIOS] | None = Field(  # type: ignore[valid-type]
        None, description="Outpaint: grow the canvas evenly to this aspect ratio instead."
    )
    count: WholeNumber = Field(1, ge=1, le=MAX_COUNT, description="How many variations (1-4).")
    negative_prompt: NegativePrompt | None = None
    seed: Seed | None = None

    def _article(self) -> str:
        return "an" if self.mode == "insert" else "a"

    @model_validator(mode="after")
    def _mode_rules(self) -> EditImage:
        which = {"article": self._article(), "mode": self.mode}
        if self.mode in ("insert", "background_swap") and not self.prompt:
            raise PydanticCustomError(
                EDIT_NEEDS_PROMPT,
                gettext("an {mode} edit needs a prompt")
                if self._article() == "an"
                else gettext("a {mode} edit needs a prompt"),
                which,
            )
        masks = [field for field in _MASKS if getattr(self, field)]
        if self.mode in ("insert", "remove") and not masks:
            raise PydanticCustomError(
                EDIT_NEEDS_MASK,
                gettext("an {mode} edit needs a painted mask, a mask_asset_id or a mask_description")
                if self._article() == "an"
                else gettext("a {mode} edit needs a painted mask, a mask_asset_id or a mask_description"),
                which,
            )
        if len(masks) > 1:
            raise PydanticCustomError(
                EDIT_ONE_MASK, gettext("give one mask: a painted mask, a mask_asset_id or a mask_description")
            )
        if self.mask_description and self.mode not in ("insert", "remove"):
            raise PydanticCustomError(
                MASK_DESCRIPTION_MODE,
                gettext(
                    "mask_description is for insert and remove; background_swap finds the background itself"
                ),
            )
        if self.mode == "outpaint":
            if masks:
                raise PydanticCustomError(
                    OUTPAINT_WITH_MASK,
                    gettext("outpaint builds its own mask: send outpaint sides, not a mask"),
                )
            if (self.outpaint is None) == (self.outpaint_aspect_ratio is None):
                raise PydanticCustomError(
                    OUTPAINT_SIDES_OR_RATIO,
                    gettext("outpaint needs either outpaint sides or outpaint_aspect_ratio"),
                )
        elif self.outpaint or self.outpaint_aspect_ratio:
            raise PydanticCustomError(
                OUTPAINT_ONLY, gettext("outpaint sides only apply to the outpaint mode")
            )
        return self


class UpscaleImage(_Strict):
    """Upscale one of your images x2, x3 or x4."""

    image_id: uuid.UUID = Field(description="The id of one of your images.")
    factor: Literal["x2", "x3", "x4"] = Field("x2", description="How much larger.")
    model: Literal["v3", "v4"] = Field(
        "v3", description="v3 (JIVE and JIGGA) or v4 Ultra (JIGGA only, sharper, costs more)."
    )


class GenerateVideo(_Strict):
    """Create a video with Veo 3.1 from a prompt, optionally starting from one of your images.
    Needs a prompt or a first frame (or both); a last frame needs a first frame."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "anyOf": [
                        {"required": ["prompt"], "properties": {"prompt": _MEANINGFUL_PROMPT}},
                        {
                            "required": ["first_frame_id"],
                            "properties": {"first_frame_id": {"type": "string"}},
                        },
                    ]
                },
                {
                    "if": {
                        "required": ["last_frame_id"],
                        "properties": {"last_frame_id": {"type": "string"}},
                    },
                    "then": {
                        "required": ["first_frame_id"],
                        "properties": {"first_frame_id": {"type": "string"}},
                    },
                },
            ]
        }
    )

    prompt: OptionalPrompt = Field(
        "", description="What happens in the video (needed unless first_frame_id is given)." + _MEANING_RULE
    )
    negative_prompt: NegativePrompt | None = None
    fast: bool = Field(False, description="Use the faster Veo 3.1 Fast model.")
    lite: bool = Field(
        False, description="Use Veo 3.1 Lite (Preview): the cheapest; 720p or 1080p, no reference images."
    )
    duration_seconds: Literal[VIDEO_DURATIONS] = Field(  # type: ignore[valid-type]
        8, description="Length in seconds: 4, 6 or 8 (8 with reference images)."
    )
    aspect_ratio: Literal[VIDEO_ASPECT_RATIOS] = Field("16:9", description="16:9 landscape or 9:16 portrait.")  # type: ignore[valid-type]
    resolution: Literal[VIDEO_RESOLUTIONS] = Field(  # type: ignore[valid-type]
        "720p", description="720p, 1080p, or 4k (Veo 3.1 standard only, JIGGA plan)."
    )
    generate_audio: bool = Field(False, description="Generate a soundtrack (billed from the audio pool).")
    enhance_prompt: bool = Field(
        True,
        description="Let Veo rewrite the prompt for a better video (Google's default). A seed repeats a "
        "result only when this is false.",
    )
    count: WholeNumber = Field(1, ge=1, le=MAX_COUNT, description="How many videos (1-4); each is billed.")
    seed: Seed | None = None
    person_generation: Literal["allow_adult", "dont_allow"] | None = Field(
        None, description="Whether people may appear (adults only) or not at all."
    )
    first_frame_id: uuid.UUID | None = Field(None, description="One of your images to start from.")
    last_frame_id: uuid.UUID | None = Field(
        None, description="One of your images to end on (needs a first frame)."
    )
    reference_image_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_VIDEO_REFERENCES,
        description=(
            f"Up to {MAX_VIDEO_REFERENCES} of your images of a person, character or product the video "
            "should show (reference-to-video; Veo 3.1 and Fast, not Lite). Needs a prompt, lasts 8 "
            "seconds, no first or last frame."
        ),
    )

    @model_validator(mode="after")
    def _inputs(self) -> GenerateVideo:
        if self.fast and self.lite:
            raise PydanticCustomError(VIDEO_ONE_MODEL, gettext("choose Fast or Lite, not both"))
        if self.reference_image_ids:
            if self.first_frame_id or self.last_frame_id:
                raise PydanticCustomError(
                    REFERENCES_WITH_FRAMES,
                    gettext("reference images cannot be used with a first or last frame"),
                )
            if not self.prompt:
                raise PydanticCustomError(
                    REFERENCES_NEED_PROMPT, gettext("a video from reference images needs a prompt")
                )
            if self.duration_seconds != REFERENCE_VIDEO_SECONDS:
                raise PydanticCustomError(
                    REFERENCES_LAST_EIGHT_SECONDS, gettext("a video from reference images lasts 8 seconds")
                )
        if not self.prompt and not self.first_frame_id:
            raise PydanticCustomError(
                VIDEO_NEEDS_PROMPT_OR_FRAME, gettext("a video needs a prompt or a first frame")
            )
        if self.last_frame_id and not self.first_frame_id:
            raise PydanticCustomError(LAST_FRAME_NEEDS_FIRST, gettext("a last frame needs a first frame"))
        return self

    @property
    def billed_seconds(self) -> int:
        return self.duration_seconds * self.count


class ComposeImage(_Strict):
    """Make one new image from several of your images and a prompt ("put the person from image 1
    at Table Mountain, image 2"), without a mask. Up to the model's limit of input images
    (Gemini 3.x image models: 14); more are refused with `too_many_images`."""

    image_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=MAX_COMPOSE_IMAGES,
        description="Your images to compose, in the order the prompt numbers them (image 1 first). "
        "At most the model's limit (14 on Gemini 3.x image models).",
    )
    prompt: Prompt = Field(
        description="How to combine them, naming them by number: 'put the person from image 1 in "
        "front of the mountain in image 2'." + _MEANING_RULE
    )
    count: WholeNumber = Field(1, ge=1, le=MAX_COUNT, description="How many variations (1-4).")
    aspect_ratio: AspectRatio | None = Field(
        None, description="Width:height of the result; leave out to follow the last image's. " + _RATIO_WORDS
    )
    image_size: ImageSize = Field("1K", description=_SIZE_WORDS)
    output_format: OutputFormat = Field("png", description=_FORMAT_WORDS)
    negative_prompt: NegativePrompt | None = Field(None, description="What the image should not show.")
    seed: Seed | None = None

    @model_validator(mode="after")
    def _each_image_once(self) -> ComposeImage:
        if len(set(self.image_ids)) != len(self.image_ids):
            raise PydanticCustomError(DUPLICATE_IMAGE, gettext("name each image once"))
        return self


class ExtendVideo(_Strict):
    """Extend one of your videos by 7 seconds with Veo 3.1 (the video must be 30 seconds or less).
    The new video is the old one with 7 seconds more, in the same aspect ratio."""

    video_id: uuid.UUID = Field(description="One of your finished videos, up to 30 seconds long.")
    prompt: OptionalPrompt = Field("", description="What happens next (optional)." + _MEANING_RULE)
    negative_prompt: NegativePrompt | None = None
    fast: bool = Field(False, description="Use the faster Veo 3.1 Fast model.")
    lite: bool = Field(False, description="Use Veo 3.1 Lite (Preview): the cheapest.")
    resolution: Literal[VIDEO_RESOLUTIONS] = Field(  # type: ignore[valid-type]
        "720p", description="720p, 1080p, or 4k (Veo 3.1 standard only, JIGGA plan)."
    )
    generate_audio: bool = Field(False, description="Generate a soundtrack (billed from the audio pool).")
    enhance_prompt: bool = Field(
        True, description="Let Veo rewrite the prompt (Google's default); a seed repeats only when false."
    )
    seed: Seed | None = None
    person_generation: Literal["allow_adult", "dont_allow"] | None = Field(
        None, description="Whether people may appear (adults only) or not at all."
    )

    @model_validator(mode="after")
    def _one_model(self) -> ExtendVideo:
        if self.fast and self.lite:
            raise PydanticCustomError(VIDEO_ONE_MODEL, gettext("choose Fast or Lite, not both"))
        return self

    @property
    def billed_seconds(self) -> int:
        return VIDEO_EXTEND_SECONDS


SCHEMAS: dict[str, type[_Strict]] = {
    "generate_image": GenerateImage,
    "edit_image": EditImage,
    "compose_image": ComposeImage,
    "upscale_image": UpscaleImage,
    "generate_video": GenerateVideo,
    "extend_video": ExtendVideo,
}
