"""The models the emulator serves, and the pixel sizes each one returns.

Figures come from Google's model pages (cloud.google.com/vertex-ai/generative-ai/docs/models/). A model id
that is not listed here gets the real 404 NOT_FOUND answer, which is how a retired model
(for example a discontinued `-preview` id) looks on the wire. A listed model with a `shutdown` date
answers the same 404 from that date on, by the emulator's clock (settable: POST /_emulator/clock), so
tests can show both sides of the date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

IMAGEN = "imagen"
GEMINI = "gemini"
VEO = "veo"
GEMINI_TEXT = "gemini_text"


@dataclass(frozen=True)
class ModelSpec:
    id: str
    family: str
    # Imagen only: which :predict operations the model accepts ("generate", "edit", "upscale").
    operations: frozenset[str] = frozenset()
    # Gemini only.
    aspect_ratios: tuple[str, ...] = ()
    image_sizes: tuple[str, ...] = ()
    max_input_images: int = 0
    output_tokens: dict[str, int] = field(default_factory=dict)
    input_image_tokens: int = 1120
    # Gemini text only.
    max_output_tokens: int = 65_536
    thought_signatures: bool = True  # Gemini 3: a function call's signature must come back
    # Veo only: output resolutions, asset reference images (0: referenceImages refused).
    video_resolutions: tuple[str, ...] = ()
    max_reference_images: int = 0
    # The day Google stopped serving it (404 NOT_FOUND from then on); None = still served.
    shutdown: dt.date | None = None

    def is_shut_down(self, today: dt.date) -> bool:
        return self.shutdown is not None and today >= self.shutdown


IMAGEN3_ASPECT_SIZES = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}

GEMINI_TEN_RATIOS = ("1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
GEMINI_FLASH_RATIOS = GEMINI_TEN_RATIOS + ("1:4", "4:1", "1:8", "8:1", "9:21")
GEMINI_LITE_RATIOS = GEMINI_TEN_RATIOS + ("1:4", "4:1", "1:8", "8:1")

# Exact Gemini pixel sizes are unverified. For the ten common ratios we use
# Google's published Gemini image tables; other ratios and the 512 size are computed (same
# area as the size class, sides rounded to multiples of 16).
GEMINI_SIZE_TABLE = {
    "1K": {
        "1:1": (1024, 1024),
        "2:3": (832, 1248),
        "3:2": (1248, 832),
        "3:4": (864, 1184),
        "4:3": (1184, 864),
        "4:5": (896, 1152),
        "5:4": (1152, 896),
        "9:16": (768, 1344),
        "16:9": (1344, 768),
        "21:9": (1536, 672),
    },
    "2K": {
        "1:1": (2048, 2048),
        "2:3": (1696, 2528),
        "3:2": (2528, 1696),
        "3:4": (1792, 2400),
        "4:3": (2400, 1792),
        "4:5": (1856, 2304),
        "5:4": (2304, 1856),
        "9:16": (1536, 2752),
        "16:9": (2752, 1536),
        "21:9": (3168, 1344),
    },
    "4K": {
        "1:1": (4096, 4096),
        "2:3": (3392, 5056),
        "3:2": (5056, 3392),
        "3:4": (3584, 4800),
        "4:3": (4800, 3584),
        "4:5": (3712, 4608),
        "5:4": (4608, 3712),
        "9:16": (3072, 5504),
        "16:9": (5504, 3072),
        "21:9": (6336, 2688),
    },
}
GEMINI_SIZE_EDGE = {"512": 512, "1K": 1024, "2K": 2048, "4K": 4096}

VEO_SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
}

# Imagen 3 generate/capability: deprecated 2026-03-24, "migrate before 2026-06-30" (Vertex release
# notes; Imagen 4 model page, "Discontinued endpoints"). See shared docs google-models-2026-12.md §1.
IMAGEN3_SHUTDOWN = dt.date(2026, 6, 30)

_MODELS = [
    ModelSpec(
        "imagen-3.0-generate-002",
        IMAGEN,
        operations=frozenset({"generate", "upscale"}),
        shutdown=IMAGEN3_SHUTDOWN,
    ),
    ModelSpec("imagen-3.0-capability-001", IMAGEN, operations=frozenset({"edit"}), shutdown=IMAGEN3_SHUTDOWN),
    ModelSpec("imagen-4.0-upscale-preview", IMAGEN, operations=frozenset({"upscale"})),
    ModelSpec(
        "gemini-3.1-flash-image",
        GEMINI,
        aspect_ratios=GEMINI_FLASH_RATIOS,
        image_sizes=("512", "1K", "2K", "4K"),
        max_input_images=14,
        output_tokens={"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
    ),
    ModelSpec(
        "gemini-3-pro-image",
        GEMINI,
        aspect_ratios=GEMINI_TEN_RATIOS,
        image_sizes=("1K", "2K", "4K"),
        max_input_images=14,
        output_tokens={"1K": 1120, "2K": 1120, "4K": 2000},
        input_image_tokens=560,
    ),
    ModelSpec(
        "gemini-2.5-flash-image",
        GEMINI,
        aspect_ratios=GEMINI_TEN_RATIOS,
        image_sizes=("1K",),
        max_input_images=3,
        output_tokens={"1K": 1290},
    ),
    ModelSpec(
        "gemini-3.1-flash-lite-image",
        GEMINI,
        aspect_ratios=GEMINI_LITE_RATIOS,
        image_sizes=("1K",),
        max_input_images=14,
        output_tokens={"1K": 1120},
    ),
    ModelSpec(
        "gemini-nano-banana-2.1",
        GEMINI,
        aspect_ratios=GEMINI_LITE_RATIOS,
        image_sizes=("1K", "2K", "4K"),
        max_input_images=14,
        output_tokens={"1K": 1120, "2K": 1680, "4K": 2520},
    ),
    # Text models for the assistant and the prompt helper (google-models-2026-12.md §1).
    ModelSpec("gemini-3.8-flash", GEMINI_TEXT),
    ModelSpec("gemini-3.5-flash", GEMINI_TEXT),
    ModelSpec("gemini-3.5-flash-lite", GEMINI_TEXT),
    ModelSpec("gemini-3.1-flash-lite", GEMINI_TEXT),
    ModelSpec("gemini-2.5-flash", GEMINI_TEXT, thought_signatures=False, shutdown=dt.date(2026, 10, 16)),
    # Veo 3.1 model page (capability matrix, newest copy): 4K on standard only; up to 3 asset
    # reference images on standard and Fast, none on Lite (Preview, released 2026-04-02).
    ModelSpec("veo-3.1-generate-001", VEO, video_resolutions=("720p", "1080p", "4k"), max_reference_images=3),
    ModelSpec("veo-3.1-fast-generate-001", VEO, video_resolutions=("720p", "1080p"), max_reference_images=3),
    ModelSpec("veo-3.1-lite-generate-001", VEO, video_resolutions=("720p", "1080p")),
]
MODELS = {spec.id: spec for spec in _MODELS}


def find_model(model_id: str) -> ModelSpec | None:
    return MODELS.get(model_id)


def ratio_value(ratio: str) -> float:
    width, height = (int(part) for part in ratio.split(":"))
    return width / height


def gemini_pixel_size(ratio: str, size: str) -> tuple[int, int]:
    known = GEMINI_SIZE_TABLE.get(size, {}).get(ratio)
    if known:
        return known
    edge = GEMINI_SIZE_EDGE[size]
    value = ratio_value(ratio)
    width = math.sqrt(edge * edge * value)
    height = width / value
    return _multiple_of_16(width), _multiple_of_16(height)


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The supported ratio closest to an input image's shape (compared on a log scale)."""
    actual = math.log(width / height)
    return min(ratios, key=lambda ratio: abs(math.log(ratio_value(ratio)) - actual))


def _multiple_of_16(value: float) -> int:
    return max(16, int(round(value / 16)) * 16)
