"""Imagen `:predict`: generate (imagen-3.0-generate-002), mask edit (imagen-3.0-capability-001) and
upscale (imagen-4.0-upscale-preview, and imagen-3.0-generate-002 with `mode: "upscale"`).

Request and response shapes:
cloud.google.com/vertex-ai/generative-ai/docs/model-reference/imagen-api, imagen-api-edit and
imagen-upscale-api.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from PIL import Image

from . import gcs, media
from .catalog import IMAGEN3_ASPECT_SIZES, ModelSpec
from .errors import IMAGEN_PROMPT_BLOCKED, ApiError, invalid_argument
from .inputs import read_image_ref
from .state import Call, EmulatorState, Reply, json_reply
from .validation import (
    UINT32_MAX,
    as_dict,
    check_storage_uri,
    estimated_tokens,
    optional_bool,
    optional_enum,
    optional_int,
    optional_number,
)

SAFETY_SETTINGS = (
    "block_low_and_above",
    "block_medium_and_above",
    "block_only_high",
    "block_none",
    "block_most",
    "block_some",
    "block_few",
    "block_fewest",
)
PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")
MAX_PROMPT_TOKENS = 480

# What the emulator does for each edit mode (see media.fill_for_edit).
EDIT_MODES = {
    "edit_mode_inpaint_insertion": "insertion",
    "edit_mode_inpaint_removal": "removal",
    "edit_mode_bgswap": "bgswap",
    "edit_mode_outpaint": "outpaint",
    "edit_mode_default": "default",
    "edit_mode_controlled_editing": None,
    "edit_mode_style": None,
    "edit_mode_product_image": None,
}
MASK_MODES = (
    "MASK_MODE_DEFAULT",
    "MASK_MODE_USER_PROVIDED",
    "MASK_MODE_BACKGROUND",
    "MASK_MODE_FOREGROUND",
    "MASK_MODE_SEMANTIC",
)
MAX_BASE_STEPS = 75
MAX_MASK_CLASSES = 5

UPSCALE_FACTORS = {"x2": 2, "x3": 3, "x4": 4}
# Unverified (a third-party figure), but the only published limit.
MAX_UPSCALED_PIXELS = 17_000_000

SOME_FILTERED = (
    "Your current safety filter threshold filtered out {count} generated images. You will not be charged "
    "for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback."
)
ALL_FILTERED = (
    "Unable to show generated images. All images were filtered out because they violated Vertex AI's "
    "usage guidelines. You will not be charged for blocked images. Try rephrasing the prompt. If you "
    "think this was an error, send feedback. Support codes: 39322892"
)


def operation_of(model: str, body: object) -> str:
    """Which Imagen operation a :predict call is, decided before the body is validated."""
    params = body.get("parameters") if isinstance(body, dict) else None
    mode = params.get("mode") if isinstance(params, dict) else None
    if model == "imagen-4.0-upscale-preview" or (isinstance(mode, str) and mode.lower() == "upscale"):
        return "imagen_upscale"
    if model == "imagen-3.0-capability-001":
        return "imagen_edit"
    return "imagen_generate"


def prompt_of(body: object) -> str | None:
    """The prompt, for fault markers; never raises (the body is validated later)."""
    instances = body.get("instances") if isinstance(body, dict) else None
    first = instances[0] if isinstance(instances, list) and instances else None
    prompt = first.get("prompt") if isinstance(first, dict) else None
    return prompt if isinstance(prompt, str) else None


def handle(call: Call, state: EmulatorState, spec: ModelSpec) -> Reply:
    body = as_dict(call.json, "body")
    instance = _first_instance(body)
    params = as_dict(body.get("parameters"), "parameters")
    operation = call.route.kind.removeprefix("imagen_")
    if operation not in spec.operations:
        raise invalid_argument(f"Model {spec.id} does not support {operation} requests.")
    if operation == "upscale":
        return _upscale(call, state, spec, instance, params)
    if operation == "edit":
        return _edit(call, state, spec, instance, params)
    return _generate(call, state, spec, instance, params)


@dataclass
class OutputSettings:
    sample_count: int
    seed: int | None
    mime_type: str
    quality: int | None
    storage_uri: str | None
    include_rai_reason: bool
    include_safety_attributes: bool
    enhance_prompt: bool


def _output_settings(params: dict, *, default_count: int, seed_allowed: bool = True) -> OutputSettings:
    sample_count = optional_int(params, "sampleCount", low=1, high=4)
    seed = optional_int(params, "seed", low=0, high=UINT32_MAX) if seed_allowed else None
    add_watermark = optional_bool(params, "addWatermark")
    if seed is not None and add_watermark is not False:
        # addWatermark defaults to true, and the seed is "not available when addWatermark is set to true".
        raise invalid_argument(
            "Seed is not supported when addWatermark is enabled. Set addWatermark to false."
        )
    optional_enum(params, "safetySetting", SAFETY_SETTINGS)
    optional_enum(params, "personGeneration", PERSON_GENERATION)
    options = as_dict(params.get("outputOptions"), "parameters.outputOptions")
    mime_type = optional_enum(options, "mimeType", OUTPUT_MIME_TYPES, field="outputOptions.mimeType")
    quality = optional_int(
        options, "compressionQuality", low=0, high=100, field="outputOptions.compressionQuality"
    )
    return OutputSettings(
        sample_count=sample_count or default_count,
        seed=seed,
        mime_type=mime_type or "image/png",
        quality=quality,
        storage_uri=check_storage_uri(params.get("storageUri"), "parameters.storageUri"),
        include_rai_reason=bool(optional_bool(params, "includeRaiReason")),
        include_safety_attributes=bool(optional_bool(params, "includeSafetyAttributes")),
        enhance_prompt=bool(optional_bool(params, "enhancePrompt")),
    )


def _generate(call: Call, state: EmulatorState, spec: ModelSpec, instance: dict, params: dict) -> Reply:
    prompt = _prompt(instance, required=True)
    aspect_ratio = params.get("aspectRatio", "1:1")
    if aspect_ratio not in IMAGEN3_ASPECT_SIZES:
        raise invalid_argument(
            f"Unsupported aspect ratio {aspect_ratio!r}. Supported: {', '.join(IMAGEN3_ASPECT_SIZES)}."
        )
    out = _output_settings(params, default_count=4)
    _raise_if_blocked(call)
    width, height = IMAGEN3_ASPECT_SIZES[aspect_ratio]
    negative = params.get("negativePrompt", "")
    kept, filtered = _filter_plan(call, out.sample_count)
    images = [
        media.render_picture(
            width,
            height,
            prompt,
            media.recipe(spec.id, prompt, negative, aspect_ratio, index, seed=out.seed),
            caption=_caption(spec, out.seed, width, height),
        )
        for index in range(kept)
    ]
    return _predictions(state, images, filtered, out, prompt)


def _edit(call: Call, state: EmulatorState, spec: ModelSpec, instance: dict, params: dict) -> Reply:
    prompt = _prompt(instance, required=False)
    edit_mode = (
        optional_enum(params, "editMode", tuple(mode.upper() for mode in EDIT_MODES)) or "edit_mode_default"
    )
    action = EDIT_MODES[edit_mode]
    if action is None:
        raise invalid_argument(f"The emulator implements mask-based editing only, not {edit_mode.upper()}.")
    edit_config = as_dict(params.get("editConfig"), "parameters.editConfig")
    # The syntax block puts baseSteps under parameters, the samples under editConfig: accept both.
    optional_int(edit_config, "baseSteps", low=1, high=MAX_BASE_STEPS, field="editConfig.baseSteps")
    optional_int(params, "baseSteps", low=1, high=MAX_BASE_STEPS, field="parameters.baseSteps")
    optional_number(params, "guidanceScale", low=0, high=500)
    base, mask = _edit_inputs(instance, state)
    out = _output_settings(params, default_count=4)
    _raise_if_blocked(call)
    kept, filtered = _filter_plan(call, out.sample_count)
    base_digest = hashlib.sha256(base.tobytes()).digest()
    mask_digest = hashlib.sha256(mask.tobytes()).digest()
    images = []
    for index in range(kept):
        seed_bytes = media.recipe(spec.id, action, prompt, base_digest, mask_digest, index, seed=out.seed)
        images.append(
            media.apply_edit(base, mask, media.fill_for_edit(base, mask, action, prompt, seed_bytes))
        )
    return _predictions(state, images, filtered, out, prompt)


def _edit_inputs(instance: dict, state: EmulatorState) -> tuple[Image.Image, Image.Image]:
    """The base picture and the final binary edit mask (after mode and dilation)."""
    refs = instance.get("referenceImages")
    if not isinstance(refs, list) or not refs:
        raise invalid_argument("instances[0].referenceImages is required for image editing.")
    ids = [ref.get("referenceId") if isinstance(ref, dict) else None for ref in refs]
    if len(set(ids)) != len(ids):
        raise invalid_argument("referenceId must be unique within the request.")
    types = [str(ref.get("referenceType", "")).upper() if isinstance(ref, dict) else "" for ref in refs]
    if len(refs) != 2 or sorted(types) != ["REFERENCE_TYPE_MASK", "REFERENCE_TYPE_RAW"]:
        raise invalid_argument(
            "Mask editing needs exactly two reference images: "
            "one REFERENCE_TYPE_RAW and one REFERENCE_TYPE_MASK."
        )
    raw_ref = refs[types.index("REFERENCE_TYPE_RAW")]
    mask_ref = refs[types.index("REFERENCE_TYPE_MASK")]
    base = read_image_ref(
        raw_ref.get("referenceImage"), "referenceImages[RAW].referenceImage", state.gcs_url
    ).image

    config = as_dict(mask_ref.get("maskImageConfig"), "maskImageConfig")
    mask_mode = (
        optional_enum(config, "maskMode", MASK_MODES, field="maskImageConfig.maskMode") or "mask_mode_default"
    )
    dilation = optional_number(config, "dilation", low=0, high=1, field="maskImageConfig.dilation") or 0.0
    classes = config.get("maskClasses")
    if mask_mode == "mask_mode_semantic":
        if not isinstance(classes, list) or not classes or len(classes) > MAX_MASK_CLASSES:
            raise invalid_argument(f"MASK_MODE_SEMANTIC needs 1 to {MAX_MASK_CLASSES} maskClasses.")

    mask_image = mask_ref.get("referenceImage")
    if mask_mode in ("mask_mode_user_provided", "mask_mode_default") or mask_image is not None:
        if mask_image is None:
            raise invalid_argument("MASK_MODE_USER_PROVIDED needs the mask image in referenceImage.")
        mask_picture = read_image_ref(mask_image, "referenceImages[MASK].referenceImage", state.gcs_url).image
        if mask_picture.size != base.size:
            raise invalid_argument(
                f"The mask is {mask_picture.width}x{mask_picture.height} but the image is "
                f"{base.width}x{base.height}; they must be the same size."
            )
        mask = media.binary_mask(mask_picture)
    elif mask_mode == "mask_mode_background":
        mask = media.central_subject_mask(*base.size).point(lambda value: 255 - value)
    else:  # foreground or semantic: the emulator's "segmentation" finds the central subject
        mask = media.central_subject_mask(*base.size)
    # Dilation is a fraction of the image width.
    return base, media.dilate(mask, round(dilation * base.width))


def _upscale(call: Call, state: EmulatorState, spec: ModelSpec, instance: dict, params: dict) -> Reply:
    if instance.get("image") is None:
        raise invalid_argument("instances[0].image is required for upscaling.")
    source = read_image_ref(instance["image"], "instances[0].image", state.gcs_url).image
    config = as_dict(params.get("upscaleConfig"), "parameters.upscaleConfig")
    factor_name = optional_enum(
        config, "upscaleFactor", tuple(UPSCALE_FACTORS), field="upscaleConfig.upscaleFactor"
    )
    optional_bool(config, "enhanceInputImage")
    optional_number(
        config, "imagePreservationFactor", low=0, high=1, field="upscaleConfig.imagePreservationFactor"
    )
    if factor_name:
        width, height = (
            source.width * UPSCALE_FACTORS[factor_name],
            source.height * UPSCALE_FACTORS[factor_name],
        )
    elif str(params.get("sampleImageSize")) in ("2048", "4096"):
        # The older flow (vertexai SDK new_size) names the target long edge instead of a factor.
        scale = int(params["sampleImageSize"]) / max(source.size)
        width, height = round(source.width * scale), round(source.height * scale)
    else:
        raise invalid_argument("upscaleConfig.upscaleFactor is required: one of x2, x3, x4.")
    if width * height > MAX_UPSCALED_PIXELS:
        raise invalid_argument(
            f"The upscaled image would be {width}x{height} ({width * height} pixels), above the "
            f"{MAX_UPSCALED_PIXELS // 1_000_000} megapixel limit. Use a smaller input or factor."
        )
    out = _output_settings(params, default_count=1, seed_allowed=False)
    kept, filtered = _filter_plan(call, 1)
    images = [media.upscale(source, width, height)] if kept else []
    return _predictions(state, images, filtered, out, prompt=None)


def _predictions(
    state: EmulatorState, images: list[Image.Image], filtered: int, out: OutputSettings, prompt: str | None
) -> Reply:
    if not images and filtered:
        # All filtered: HTTP 200 with one reason entry, or an empty object without includeRaiReason.
        return json_reply(
            {"predictions": [{"raiFilteredReason": ALL_FILTERED}]} if out.include_rai_reason else {}
        )
    extension = "jpg" if out.mime_type == "image/jpeg" else "png"
    if out.storage_uri:
        bucket, folder = gcs.output_folder(out.storage_uri)
    predictions = []
    for index, image in enumerate(images):
        data = media.encode_image(image, out.mime_type, out.quality)
        if out.storage_uri:
            uri = gcs.upload(
                state.gcs_url, bucket, f"{folder}/sample_{index}.{extension}", data, out.mime_type
            )
            prediction: dict = {"mimeType": out.mime_type, "gcsUri": uri}
        else:
            prediction = {"mimeType": out.mime_type, "bytesBase64Encoded": base64.b64encode(data).decode()}
        if out.enhance_prompt and prompt:
            prediction["prompt"] = f"{prompt}. Detailed, natural light, sharp focus, balanced composition."
        if out.include_safety_attributes:
            prediction["safetyAttributes"] = {"categories": [], "scores": []}
        predictions.append(prediction)
    if out.include_safety_attributes:
        predictions.append(
            {"contentType": "Positive Prompt", "safetyAttributes": {"categories": [], "scores": []}}
        )
    if filtered and out.include_rai_reason:
        predictions.append({"raiFilteredReason": SOME_FILTERED.format(count=filtered)})
    return json_reply({"predictions": predictions})


def _filter_plan(call: Call, count: int) -> tuple[int, int]:
    """(images to return, images filtered). filter_some filters the last half (at least one)."""
    kind = call.fault.kind if call.fault else None
    if kind == "filter_all":
        return 0, count
    if kind == "filter_some":
        filtered = max(1, count // 2)
        return count - filtered, filtered
    return count, 0


def _raise_if_blocked(call: Call) -> None:
    if call.fault and call.fault.kind == "blocked":
        raise ApiError(400, IMAGEN_PROMPT_BLOCKED)


def _first_instance(body: dict) -> dict:
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances or not isinstance(instances[0], dict):
        raise invalid_argument("instances must be a non-empty list of objects.")
    if len(instances) > 1:
        raise invalid_argument("Only one instance is supported per request.")
    return instances[0]


def _prompt(instance: dict, *, required: bool) -> str:
    prompt = instance.get("prompt", "")
    if not isinstance(prompt, str):
        raise invalid_argument("instances[0].prompt must be a string.")
    if required and not prompt.strip():
        raise invalid_argument("instances[0].prompt is required.")
    if estimated_tokens(prompt) > MAX_PROMPT_TOKENS:
        raise invalid_argument(f"The prompt is longer than the maximum of {MAX_PROMPT_TOKENS} tokens.")
    return prompt


def _caption(spec: ModelSpec, seed: int | None, width: int, height: int) -> str:
    return f"emulator · {spec.id} · seed {seed if seed is not None else 'random'} · {width}x{height}"
