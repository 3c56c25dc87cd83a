"""Gemini image models: `:generateContent` (and `:streamGenerateContent?alt=sse`) with image output.

Shapes: Vertex AI's generateContent (content.proto's ImageConfig) and "Edit images with Gemini". The
API has no mask field; an edit request sends the photo and, optionally, a black-and-white mask as
a second image. When the emulator sees
such a mask it changes only the white area; with a photo alone it changes the central subject
(or, when the prompt mentions the background, everything around it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageChops

from . import gcs, media
from .catalog import ModelSpec, gemini_pixel_size, nearest_ratio
from .errors import invalid_argument
from .inputs import decode_input
from .state import Call, EmulatorState, Reply, json_reply
from .validation import as_dict, decode_base64, estimated_tokens, optional_enum, optional_int, optional_number

MAX_INLINE_IMAGE_BYTES = 7 * 1024 * 1024
MAX_GCS_IMAGE_BYTES = 30 * 1024 * 1024
MAX_CANDIDATES = 8  # gemini-2.5-flash-image documents 1–8; the 3.x pages give only the default of 1
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")
PERSON_GENERATION = ("PERSON_GENERATION_UNSPECIFIED", "ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE")

BLOCKED_MESSAGE = "The prompt was blocked because it may contain prohibited content."
FILTERED_MESSAGE = (
    "Unable to show the generated image. The image was filtered out because it violated Google's "
    "Generative AI Prohibited Use policy. You will not be charged for blocked images. "
    "Try rephrasing the prompt."
)
REFUSAL_TEXT = (
    "I can't create an image for this request. Could you describe the picture you would like to see?"
)


@dataclass
class ImageRequest:
    prompt: str
    inputs: list[Image.Image]
    input_digest: bytes
    width: int
    height: int
    aspect_ratio: str
    image_size: str
    mime_type: str
    quality: int | None
    seed: int | None
    candidate_count: int
    modalities: set[str]


def prompt_of(body: object) -> str | None:
    """All text of the request, for fault markers; never raises."""
    contents = body.get("contents") if isinstance(body, dict) else None
    texts = [
        part["text"]
        for content in (contents if isinstance(contents, list) else [])
        if isinstance(content, dict) and isinstance(content.get("parts"), list)
        for part in content["parts"]
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    ]
    return " ".join(texts) or None


def handle(call: Call, state: EmulatorState, spec: ModelSpec, *, stream: bool) -> Reply:
    request = _parse(as_dict(call.json, "body"), state, spec)
    fault = call.fault.kind if call.fault else None
    payload: dict[str, Any]
    if fault == "blocked":
        payload = {
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "blockReasonMessage": BLOCKED_MESSAGE},
            "usageMetadata": _usage(spec, request, images_out=0),
        }
    else:
        payload = {"candidates": _candidates(spec, request, fault)}
        images_out = sum(
            1
            for c in payload["candidates"]
            for p in c.get("content", {}).get("parts", [])
            if "inlineData" in p
        )
        payload["usageMetadata"] = _usage(spec, request, images_out)
    payload.update(
        modelVersion=spec.id,
        createTime=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        responseId=secrets.token_urlsafe(12),
    )
    if stream:
        # One SSE frame carrying the whole answer is a valid stream for the SDK.
        return Reply(200, f"data: {json.dumps(payload)}\r\n\r\n".encode(), content_type="text/event-stream")
    return json_reply(payload)


def _parse(body: dict, state: EmulatorState, spec: ModelSpec) -> ImageRequest:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise invalid_argument("contents is required and must not be empty.")
    prompt, inputs, raw_inputs = _read_contents(contents, state)
    if len(raw_inputs) > spec.max_input_images:
        raise invalid_argument(
            f"{spec.id} accepts at most {spec.max_input_images} input images, got {len(raw_inputs)}."
        )
    if not prompt.strip() and not inputs:
        raise invalid_argument(
            "Unable to submit request because it has an empty text parameter. "
            "Add a value to the parameter and try again."
        )
    config = as_dict(body.get("generationConfig"), "generationConfig")
    candidate_count = optional_int(config, "candidateCount", low=1, high=MAX_CANDIDATES) or 1
    seed = optional_int(config, "seed", low=-(2**31), high=2**31 - 1)
    optional_number(config, "temperature", low=0, high=2)
    modalities = config.get("responseModalities") or ["TEXT"]
    if not isinstance(modalities, list) or any(
        not isinstance(m, str) or m.upper() not in ("TEXT", "IMAGE") for m in modalities
    ):
        raise invalid_argument(f"Invalid responseModalities {modalities!r}; use TEXT and/or IMAGE.")

    image_config = as_dict(config.get("imageConfig"), "generationConfig.imageConfig")
    aspect_ratio = image_config.get("aspectRatio")
    if aspect_ratio is None:
        # With input images the output follows the last one's shape; without, it is square.
        aspect_ratio = nearest_ratio(*inputs[-1].size, spec.aspect_ratios) if inputs else "1:1"
    elif aspect_ratio not in spec.aspect_ratios:
        raise invalid_argument(
            f"Unsupported aspect ratio {aspect_ratio!r} for {spec.id}. "
            f"Supported: {', '.join(spec.aspect_ratios)}."
        )
    image_size = image_config.get("imageSize", "1K")
    if image_size not in spec.image_sizes:
        raise invalid_argument(
            f"Unsupported image size {image_size!r} for {spec.id}. Supported: {', '.join(spec.image_sizes)}."
        )
    optional_enum(image_config, "personGeneration", PERSON_GENERATION, field="imageConfig.personGeneration")
    options = as_dict(image_config.get("imageOutputOptions"), "imageConfig.imageOutputOptions")
    mime_type = optional_enum(options, "mimeType", OUTPUT_MIME_TYPES, field="imageOutputOptions.mimeType")
    quality = optional_int(
        options, "compressionQuality", low=0, high=100, field="imageOutputOptions.compressionQuality"
    )
    width, height = gemini_pixel_size(aspect_ratio, image_size)
    return ImageRequest(
        prompt=prompt,
        inputs=inputs,
        input_digest=hashlib.sha256(b"".join(raw_inputs)).digest(),
        width=width,
        height=height,
        aspect_ratio=aspect_ratio,
        image_size=image_size,
        mime_type=mime_type or "image/png",
        quality=quality,
        seed=seed,
        candidate_count=candidate_count,
        modalities={m.upper() for m in modalities},
    )


def _read_contents(contents: list, state: EmulatorState) -> tuple[str, list[Image.Image], list[bytes]]:
    """The instruction (text of the last user turn) and the images to work on.

    Images come from the last user turn; if it has none (a follow-up in a multi-turn edit),
    from the most recent turn that has one.
    """
    turns: list[tuple[str, list[str], list[bytes]]] = []
    all_raw: list[bytes] = []
    for index, content in enumerate(contents):
        if not isinstance(content, dict) or not isinstance(content.get("parts"), list):
            raise invalid_argument(f"contents[{index}] must have a parts list.")
        texts, raw = [], []
        for part_index, part in enumerate(content["parts"]):
            field = f"contents[{index}].parts[{part_index}]"
            if not isinstance(part, dict) or part.get("thought") is True:
                continue
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
            inline = part.get("inlineData") or part.get("inline_data")
            file_data = part.get("fileData") or part.get("file_data")
            if inline is not None:
                raw.append(_inline_bytes(inline, field))
            elif file_data is not None:
                raw.append(_file_bytes(file_data, field, state))
        turns.append((content.get("role", "user"), texts, raw))
        all_raw.extend(raw)
    user_turns = [turn for turn in turns if turn[0] != "model"] or turns
    prompt = " ".join(user_turns[-1][1])
    chosen = user_turns[-1][2] or next((turn[2] for turn in reversed(turns) if turn[2]), [])
    inputs = [decode_input(data, "input image", max_bytes=MAX_GCS_IMAGE_BYTES).image for data in chosen]
    return prompt, inputs, all_raw


def _inline_bytes(inline: object, field: str) -> bytes:
    if not isinstance(inline, dict):
        raise invalid_argument(f"{field}.inlineData must be an object.")
    mime_type = str(inline.get("mimeType") or inline.get("mime_type") or "")
    if not mime_type.startswith("image/"):
        raise invalid_argument(f"{field}: unsupported MIME type {mime_type!r}; only images are accepted.")
    data = decode_base64(inline.get("data"), f"{field}.inlineData.data")
    if len(data) > MAX_INLINE_IMAGE_BYTES:
        raise invalid_argument(f"{field}: inline images are limited to 7 MB, got {len(data)} bytes.")
    return data


def _file_bytes(file_data: object, field: str, state: EmulatorState) -> bytes:
    if not isinstance(file_data, dict):
        raise invalid_argument(f"{field}.fileData must be an object.")
    uri = file_data.get("fileUri") or file_data.get("file_uri")
    if not isinstance(uri, str) or not uri.startswith("gs://"):
        raise invalid_argument(f"{field}.fileData.fileUri must be a gs:// URI.")
    data = gcs.download(state.gcs_url, uri, f"{field}.fileData")
    if len(data) > MAX_GCS_IMAGE_BYTES:
        raise invalid_argument(f"{field}: images from Cloud Storage are limited to 30 MB.")
    return data


def _candidates(spec: ModelSpec, request: ImageRequest, fault: str | None) -> list[dict]:
    count = request.candidate_count
    filtered = {"filter_all": count, "filter_some": max(1, count // 2)}.get(fault or "", 0)
    candidates = []
    for index in range(count):
        if fault == "text_only" or "IMAGE" not in request.modalities:
            # A refusal or a text-only answer still says STOP (limitations page).
            text = REFUSAL_TEXT if fault == "text_only" else f"(emulator) {request.prompt}"
            candidates.append(_candidate(index, [{"text": text}]))
        elif index >= count - filtered:
            candidate = _candidate(index, [{"text": "The image could not be shown."}], "IMAGE_SAFETY")
            candidate["finishMessage"] = FILTERED_MESSAGE
            candidates.append(candidate)
        else:
            candidates.append(_candidate(index, _image_parts(spec, request, index)))
    return candidates


def _candidate(index: int, parts: list[dict], finish_reason: str = "STOP") -> dict:
    return {"content": {"role": "model", "parts": parts}, "finishReason": finish_reason, "index": index}


def _image_parts(spec: ModelSpec, request: ImageRequest, index: int) -> list[dict]:
    seed_bytes = media.recipe(
        spec.id,
        request.prompt,
        request.input_digest,
        request.aspect_ratio,
        request.image_size,
        index,
        seed=request.seed,
    )
    image = _picture(request, seed_bytes, spec)
    data = media.encode_image(image, request.mime_type, request.quality)
    parts: list[dict] = []
    if "TEXT" in request.modalities:
        parts.append({"text": "Here is the image you asked for."})
    parts.append(
        {
            "inlineData": {"mimeType": request.mime_type, "data": base64.b64encode(data).decode()},
            "thoughtSignature": base64.b64encode(b"emulator-signature-" + seed_bytes[:8]).decode(),
        }
    )
    return parts


def _picture(request: ImageRequest, seed_bytes: bytes, spec: ModelSpec) -> Image.Image:
    width, height = request.width, request.height
    if not request.inputs:
        return media.render_picture(
            width, height, request.prompt, seed_bytes, caption=f"emulator · {spec.id} · {width}x{height}"
        )
    base = media.fit(request.inputs[0], width, height)
    wording = request.prompt.lower()
    if len(request.inputs) > 1 and _looks_like_mask(request.inputs[1]):
        mask = media.binary_mask(media.fit(request.inputs[1], width, height))
    else:
        mask = media.central_subject_mask(width, height)
        if "background" in wording:
            mask = mask.point(lambda value: 255 - value)
    action = "removal" if "remove" in wording else "outpaint" if "extend" in wording else "insertion"
    return media.apply_edit(base, mask, media.fill_for_edit(base, mask, action, request.prompt, seed_bytes))


def _looks_like_mask(image: Image.Image) -> bool:
    """Black-and-white pictures without colour or mid-greys are masks; photos are not."""
    red, green, blue = image.convert("RGB").resize((64, 64)).split()
    channel_spread = ImageChops.lighter(ImageChops.difference(red, green), ImageChops.difference(green, blue))
    grey = channel_spread.point(lambda value: 255 if value <= 8 else 0)
    black_or_white = red.point(lambda value: 255 if value < 32 or value > 223 else 0)
    mask_like = ImageChops.multiply(grey, black_or_white).histogram()[255]
    return mask_like >= 0.95 * 64 * 64


def _usage(spec: ModelSpec, request: ImageRequest, images_out: int) -> dict:
    text_tokens = estimated_tokens(request.prompt)
    image_tokens = spec.input_image_tokens * len(request.inputs)
    output_tokens = spec.output_tokens.get(request.image_size, 1120) * images_out
    return {
        "promptTokenCount": text_tokens + image_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": text_tokens + image_tokens + output_tokens,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": text_tokens},
            {"modality": "IMAGE", "tokenCount": image_tokens},
        ],
        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": output_tokens}],
    }
