"""The model catalog: which model serves each operation, how it is called, and its lifecycle.

Settings choose the model per operation (MODEL_IMAGE_GENERATE, ...; MODEL_IMAGE moves generate and
edit together). The defaults are models Google serves today (2026-12-01): generate and edit on
gemini-3.1-flash-image, both upscale choices on imagen-4.0-upscale-preview. The seed's Imagen 3 models
stay here, selectable by setting, with their lifecycle: Google shut them down (deprecated 2026-03-24,
"migrate before 2026-06-30": Vertex AI release notes and the Imagen 4 model page's "Discontinued
endpoints"; /work/shared/docs/google-models-2026-12.md §1), and `manage.py provider_check` says so.

"V3" upscaling ran on imagen-3.0-generate-002, which is gone, and no other Google model serves it, so
V3 maps to Google's remaining upscaler, imagen-4.0-upscale-preview (the same model as V4, priced as
that model's row). The tier rules stay the seed's: JIVE may use V3; JIGGA V3 or V4.
Prices are not here: `price_class` is a code the billing app prices.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.conf import settings

from .base import ConfigurationError, Family, Operation


class Lifecycle(enum.StrEnum):
    PREVIEW = "preview"
    GA = "ga"
    DEPRECATED = "deprecated"  # still served, retirement announced
    RETIRED = "retired"  # Google answers 404
    UNKNOWN = "unknown"  # not in the catalog: configured by id only


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    family: Family
    operations: frozenset[Operation]
    lifecycle: Lifecycle
    retirement_date: dt.date | None = None  # Google's published discontinuation date
    successors: tuple[tuple[Operation, str], ...] = ()  # per operation: what to move to
    # "regional" uses VERTEX_LOCATION; "global" uses GEMINI_LOCATION (Gemini 3.x image is global-only).
    location_kind: str = "regional"
    # Gemini image: how many candidates one request may ask for (3.x models: 1, so N images = N calls).
    max_candidates: int = 1
    # What a request may ask of it: aspect ratios, output sizes (Gemini's imageSize; every other
    # family makes about one megapixel, "1K") and, for composing, how many input images it takes.
    aspect_ratios: tuple[str, ...] = ()
    image_sizes: tuple[str, ...] = ("1K",)
    max_input_images: int = 0
    thinking_level: str | None = None
    # Veo: output resolutions, how many asset reference images (0: none), whether it extends videos.
    video_resolutions: tuple[str, ...] = ()
    max_reference_images: int = 0
    extends_video: bool = False
    note: str = ""

    def successor_for(self, operation: Operation) -> str | None:
        return dict(self.successors).get(operation)

    def status(self, today: dt.date | None = None) -> Lifecycle:
        """The lifecycle as of `today`: a deprecated model is retired once its date has passed."""
        today = today or dt.date.today()
        if self.retirement_date and self.retirement_date <= today:
            return Lifecycle.RETIRED
        return self.lifecycle


_GEMINI_RATIOS_10 = ("1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
_GEMINI_RATIOS_15 = _GEMINI_RATIOS_10 + ("1:4", "4:1", "1:8", "8:1", "9:21")
# Imagen's :predict aspectRatio values (Imagen 3 model page).
_IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
# Gemini 3.x image model pages (google-models-2026-12.md §3): sizes, and up to 14 input images.
_GEMINI_MAX_INPUTS = 14
# Google's upscaler refuses results above 17 megapixels (Imagen upscale model page).
MAX_UPSCALED_PIXELS = 17_000_000
# Vertex AI release notes (2026-03-24) and the Imagen 4 model page, "Discontinued endpoints": "migrate
# before 2026-06-30" (Google's endpoints answered 404 by 2026-08-17, per Google's GenMedia repo).
_IMAGEN_SHUTDOWN = dt.date(2026, 6, 30)

_VEO_OPERATIONS = frozenset({Operation.VIDEO, Operation.VIDEO_FAST, Operation.VIDEO_LITE})

MODELS: dict[str, ModelInfo] = {
    m.model_id: m
    for m in [
        ModelInfo(
            "imagen-3.0-generate-002",
            Family.IMAGEN,
            frozenset({Operation.IMAGE_GENERATE, Operation.UPSCALE_V3}),
            Lifecycle.DEPRECATED,
            _IMAGEN_SHUTDOWN,
            successors=(
                (Operation.IMAGE_GENERATE, "gemini-3.1-flash-image"),
                (Operation.UPSCALE_V3, "imagen-4.0-upscale-preview"),
            ),
            aspect_ratios=_IMAGEN_RATIOS,
            note=(
                "Seed model, shut down 2026-06-30 (generate and the seed's V3 upscale). "
                "Successor: gemini-3.1-flash-image; V3 upscale now runs on imagen-4.0-upscale-preview."
            ),
        ),
        ModelInfo(
            "imagen-3.0-capability-001",
            Family.IMAGEN,
            frozenset({Operation.IMAGE_EDIT}),
            Lifecycle.DEPRECATED,
            _IMAGEN_SHUTDOWN,
            successors=((Operation.IMAGE_EDIT, "gemini-3.1-flash-image"),),
            aspect_ratios=_IMAGEN_RATIOS,
            note=(
                "Seed model, shut down 2026-06-30. No Google successor keeps mask editing; "
                "Gemini edits composite on our side."
            ),
        ),
        ModelInfo(
            "imagen-4.0-upscale-preview",
            Family.IMAGEN,
            frozenset({Operation.UPSCALE_V4, Operation.UPSCALE_V3}),
            Lifecycle.PREVIEW,
            note=(
                "Google's only upscaler left; serves both V4 and, since Imagen 3 shut down, V3 "
                "(tier rules unchanged: JIVE V3, JIGGA V3 or V4)."
            ),
        ),
        ModelInfo(
            "gemini-3.1-flash-image",
            Family.GEMINI_IMAGE,
            frozenset({Operation.IMAGE_GENERATE, Operation.IMAGE_EDIT, Operation.IMAGE_COMPOSE}),
            Lifecycle.GA,
            location_kind="global",
            aspect_ratios=_GEMINI_RATIOS_15,
            image_sizes=("512", "1K", "2K", "4K"),  # 4K is Preview on Google's page
            max_input_images=_GEMINI_MAX_INPUTS,
            thinking_level="HIGH",
            note="Nano Banana 2; GA 2026-05-28.",
        ),
        ModelInfo(
            "gemini-3-pro-image",
            Family.GEMINI_IMAGE,
            frozenset({Operation.IMAGE_GENERATE, Operation.IMAGE_EDIT, Operation.IMAGE_COMPOSE}),
            Lifecycle.GA,
            location_kind="global",
            aspect_ratios=_GEMINI_RATIOS_10,
            image_sizes=("1K", "2K", "4K"),  # no 512; 4K is Preview on Google's page
            max_input_images=_GEMINI_MAX_INPUTS,
            note="Nano Banana Pro; GA 2026-05-28; always thinks.",
        ),
        # Veo 3.1 model page (docs.cloud.google.com/gemini-enterprise-agent-platform/models/veo/3-1-generate,
        # newest copy) and the extend and reference pages: see the README's "Veo 3.1" for each fact.
        ModelInfo(
            "veo-3.1-generate-001",
            Family.VEO,
            _VEO_OPERATIONS,
            Lifecycle.GA,
            video_resolutions=("720p", "1080p", "4k"),
            max_reference_images=3,
            extends_video=True,
            note="Veo 3.1; GA 2025-11-17; us-central1 only; 720p, 1080p and 4K.",
        ),
        ModelInfo(
            "veo-3.1-fast-generate-001",
            Family.VEO,
            _VEO_OPERATIONS,
            Lifecycle.GA,
            video_resolutions=("720p", "1080p"),
            max_reference_images=3,
            extends_video=True,
            note="Veo 3.1 Fast; GA 2025-11-17; 720p and 1080p (its model page lists no 4K).",
        ),
        ModelInfo(
            "veo-3.1-lite-generate-001",
            Family.VEO,
            _VEO_OPERATIONS,
            Lifecycle.PREVIEW,
            video_resolutions=("720p", "1080p"),
            max_reference_images=0,
            extends_video=True,
            note="Veo 3.1 Lite (Preview since 2026-04-02); 720p and 1080p; no reference images.",
        ),
        ModelInfo(
            "gemini-3.8-flash",
            Family.GEMINI_TEXT,
            frozenset({Operation.TEXT}),
            Lifecycle.GA,
            location_kind="global",
            note="Text: GA 2026-09-02, retirement not before 2027-09-02; price doubles on 2027-01-01.",
        ),
        ModelInfo(
            "gemini-3.5-flash-lite",
            Family.GEMINI_TEXT,
            frozenset({Operation.TEXT}),
            Lifecycle.GA,
            location_kind="global",
            note="Text: GA 2026-07-21; the cheaper choice (MODEL_TEXT).",
        ),
        ModelInfo(
            "gemini-2.5-flash",
            Family.GEMINI_TEXT,
            frozenset({Operation.TEXT}),
            Lifecycle.DEPRECATED,
            dt.date(2026, 10, 16),
            successors=((Operation.TEXT, "gemini-3.8-flash"),),
            note="Text: retired on Vertex 2026-10-16 (some copies say 10-20).",
        ),
        ModelInfo(
            "flux",
            Family.POLLINATIONS,
            frozenset({Operation.IMAGE_PREVIEW}),
            Lifecycle.GA,
            location_kind="pollinations",
            # Any width and height: the adapter sizes each ratio at about one megapixel.
            aspect_ratios=_GEMINI_RATIOS_15,
            note="Pollinations gen gateway; about 0.002 Pollen per image.",
        ),
    ]
}


@dataclass(frozen=True)
class OperationSpec:
    setting: str  # the settings name that picks the model
    default_model: str
    families: frozenset[Family]  # wire families that can serve it
    price_class: str
    audio_price_class: str | None = None  # video with generated audio


OPERATIONS: dict[Operation, OperationSpec] = {
    Operation.IMAGE_GENERATE: OperationSpec(
        "MODEL_IMAGE_GENERATE",
        "gemini-3.1-flash-image",
        frozenset({Family.IMAGEN, Family.GEMINI_IMAGE}),
        "image",
    ),
    Operation.IMAGE_EDIT: OperationSpec(
        "MODEL_IMAGE_EDIT",
        "gemini-3.1-flash-image",
        frozenset({Family.IMAGEN, Family.GEMINI_IMAGE}),
        "image",
    ),
    Operation.IMAGE_COMPOSE: OperationSpec(
        # Several input images in one request: only generateContent (Gemini image) takes them.
        "MODEL_IMAGE_COMPOSE",
        "gemini-3.1-flash-image",
        frozenset({Family.GEMINI_IMAGE}),
        "image",
    ),
    Operation.IMAGE_PREVIEW: OperationSpec(
        "MODEL_IMAGE_PREVIEW", "flux", frozenset({Family.POLLINATIONS}), "pollinations"
    ),
    Operation.UPSCALE_V3: OperationSpec(
        # The seed's imagen-3.0-generate-002 is shut down; Google's one remaining upscaler serves V3.
        "MODEL_UPSCALE_V3",
        "imagen-4.0-upscale-preview",
        frozenset({Family.IMAGEN}),
        "upscale_v3",
    ),
    Operation.UPSCALE_V4: OperationSpec(
        "MODEL_UPSCALE_V4", "imagen-4.0-upscale-preview", frozenset({Family.IMAGEN}), "upscale_v4"
    ),
    Operation.VIDEO: OperationSpec(
        "MODEL_VIDEO", "veo-3.1-generate-001", frozenset({Family.VEO}), "video", "video_audio"
    ),
    Operation.VIDEO_FAST: OperationSpec(
        "MODEL_VIDEO_FAST", "veo-3.1-fast-generate-001", frozenset({Family.VEO}), "video", "video_audio"
    ),
    Operation.VIDEO_LITE: OperationSpec(
        "MODEL_VIDEO_LITE", "veo-3.1-lite-generate-001", frozenset({Family.VEO}), "video", "video_audio"
    ),
    # Priced per token by the model's "input" and "output" rows (billing.pricing.quote_tokens).
    Operation.TEXT: OperationSpec("MODEL_TEXT", "gemini-3.8-flash", frozenset({Family.GEMINI_TEXT}), "text"),
}

# The one switch that moves the image operations together (e.g. to gemini-3-pro-image); compose
# follows it only to a model that can compose (a Gemini image model).
_SHARED_IMAGE_SETTING = "MODEL_IMAGE"
_SHARED = (Operation.IMAGE_GENERATE, Operation.IMAGE_EDIT, Operation.IMAGE_COMPOSE)


@dataclass(frozen=True)
class Route:
    """The resolved answer to "who serves this operation right now"."""

    operation: Operation
    model: ModelInfo
    price_class: str
    audio_price_class: str | None

    @property
    def model_id(self) -> str:
        return self.model.model_id

    @property
    def family(self) -> Family:
        return self.model.family

    @property
    def location(self) -> str:
        return location_for(self.model)

    @property
    def successor(self) -> str | None:
        return successor_for(self.model_id, self.operation)


def model_info(model_id: str) -> ModelInfo:
    """The catalog entry; a model the catalog does not know gets one inferred from its id.

    Google renames image models often (the nano-banana ids), so an operator may configure an id
    we have not catalogued yet; its family follows the id's prefix and its lifecycle is UNKNOWN.
    """
    if model_id in MODELS:
        return MODELS[model_id]
    prefixes = {
        "imagen-": (Family.IMAGEN, "regional"),
        "gemini-": (Family.GEMINI_IMAGE, "global"),
        "veo-": (Family.VEO, "regional"),
    }
    for prefix, (family, location_kind) in prefixes.items():
        if model_id.startswith(prefix):
            if family == Family.GEMINI_IMAGE and "image" not in model_id and "banana" not in model_id:
                family = Family.GEMINI_TEXT
            return ModelInfo(
                model_id,
                family,
                frozenset(op for op, spec in OPERATIONS.items() if family in spec.families),
                Lifecycle.UNKNOWN,
                location_kind=location_kind,
                # Unknown: the ratios every Gemini image model takes, Imagen's own, and 1K; a
                # Gemini id composes with at most 3 images (the oldest model's limit).
                aspect_ratios=_GEMINI_RATIOS_10 if family == Family.GEMINI_IMAGE else _IMAGEN_RATIOS,
                max_input_images=3 if family == Family.GEMINI_IMAGE else 0,
            )
    # Anything else is taken to be a Pollinations model name (flux, zimage, ...).
    return ModelInfo(
        model_id,
        Family.POLLINATIONS,
        frozenset({Operation.IMAGE_PREVIEW}),
        Lifecycle.UNKNOWN,
        location_kind="pollinations",
    )


def configured_model_id(operation: Operation) -> str:
    spec = OPERATIONS[operation]
    chosen = getattr(settings, spec.setting, "") or ""
    if not chosen and operation in _SHARED:
        shared = (getattr(settings, _SHARED_IMAGE_SETTING, "") or "").strip()
        if operation != Operation.IMAGE_COMPOSE or model_info(shared or "-").family in spec.families:
            chosen = shared
    return chosen.strip() or spec.default_model


def resolve(operation: Operation) -> Route:
    """Which model serves `operation` under the current settings (read now, not at import)."""
    spec = OPERATIONS[operation]
    model = model_info(configured_model_id(operation))
    if model.family not in spec.families:
        raise ConfigurationError(
            f"{spec.setting}={model.model_id} is a {model.family} model, which cannot serve "
            f"{operation}; use one of: {', '.join(sorted(spec.families))}",
            model=model.model_id,
        )
    return Route(operation, model, spec.price_class, spec.audio_price_class)


def location_for(model: ModelInfo) -> str:
    if model.location_kind == "global":
        return settings.GEMINI_LOCATION
    if model.location_kind == "pollinations":
        return "-"
    return settings.VERTEX_LOCATION


def successor_for(model_id: str, operation: Operation | None = None) -> str | None:
    """MODEL_SUCCESSORS ("old=new,old2=new2") overrides the catalog's published successor."""
    for pair in (getattr(settings, "MODEL_SUCCESSORS", "") or "").split(","):
        old, _, new = pair.partition("=")
        if old.strip() == model_id and new.strip():
            return new.strip()
    model = model_info(model_id)
    if operation is not None and model.successor_for(operation):
        return model.successor_for(operation)
    return next((new for _, new in model.successors), None)


def lifecycle_warnings(today: dt.date | None = None, *, horizon_days: int = 90) -> list[str]:
    """Warnings for the models the settings currently pick: retired, retiring soon, or unknown."""
    today = today or dt.date.today()
    warnings: list[str] = []
    for operation, spec in OPERATIONS.items():
        try:
            route = resolve(operation)
        except ConfigurationError as e:
            warnings.append(str(e))
            continue
        model = route.model
        successor = route.successor
        hint = f"; set {spec.setting}={successor}" if successor else ""
        if model.status(today) == Lifecycle.RETIRED:
            when = f" on {model.retirement_date.isoformat()}" if model.retirement_date else ""
            warnings.append(f"{operation}: {model.model_id} was retired by Google{when}{hint}")
        elif model.retirement_date and (model.retirement_date - today).days <= horizon_days:
            warnings.append(
                f"{operation}: {model.model_id} retires on {model.retirement_date.isoformat()}{hint}"
            )
        elif model.lifecycle == Lifecycle.UNKNOWN:
            warnings.append(
                f"{operation}: {model.model_id} is not in the catalog; its family ({model.family}) "
                "was inferred from its id"
            )
    return warnings
