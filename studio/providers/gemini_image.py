"""Gemini image models through Vertex `:generateContent`.

generateContent has no mask, edit mode or watermark switch. Edits therefore go like this: the
original and the user's mask go in as two images with an instruction, and afterwards the pixels
outside the mask are restored from the original, so "outside the mask is unchanged" holds even
though the model does not promise it. SynthID is always on for these models.
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from google.genai import types

from . import gcs, media, vertex
from .base import (
    ComposeImageRequest,
    EditImageRequest,
    EditMode,
    Family,
    GeneratedImage,
    GenerateImagesRequest,
    ImageInput,
    ImageResult,
    InvalidRequestError,
    ProviderError,
    SafetyBlockedError,
)
from .catalog import Route

log = logging.getLogger(__name__)

# Imagen's person-generation values, as Vertex's ImageConfig.personGeneration spells them.
PERSON_GENERATION = {"dont_allow": "ALLOW_NONE", "allow_adult": "ALLOW_ADULT", "allow_all": "ALLOW_ALL"}
HARM_CATEGORIES = (
    types.HarmCategory.HARM_CATEGORY_HATE_SPEECH,
    types.HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT,
    types.HarmCategory.HARM_CATEGORY_HARASSMENT,
    types.HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT,
)

_KEEP = (
    "Do not change anything in the black area of the mask; keep the framing, perspective, lighting "
    "and aspect ratio. Return only the edited photo."
)
EDIT_INSTRUCTIONS = {
    EditMode.INSERT: (
        "Image 1 is a photo. Image 2 is a mask of the same size: WHITE marks the only area you may "
        "change, BLACK must stay identical. Add {prompt} inside the white area, matching the photo's "
        "perspective, lighting, shadows and grain. " + _KEEP
    ),
    EditMode.REMOVE: (
        "Image 1 is a photo. Image 2 is a mask of the same size: WHITE marks the only area you may "
        "change, BLACK must stay identical. Remove everything inside the white area and fill it with "
        "a natural continuation of the surrounding background{prompt_clause}. Do not add any new "
        "objects. " + _KEEP
    ),
    EditMode.BACKGROUND_SWAP: (
        "Image 1 is a photo. Image 2 is a mask of the same size: WHITE marks the background to "
        "replace, BLACK is the subject, which must stay exactly the same (shape, edges, colours, text "
        "and logos). Replace only the background with {prompt}; adjust only contact shadows and "
        "reflections so the subject sits naturally. Return only the edited photo."
    ),
    EditMode.OUTPAINT: (
        "Image 1 is a photo placed on a larger canvas; the grey border (white in mask image 2) is "
        "empty. Extend the scene naturally into that border so the result is one seamless photo"
        "{prompt_clause}. Keep the original central region unchanged. Return only the edited photo."
    ),
}
# Gemini 3.x pages: an inline input image is at most 7 MB; bigger uploads are re-encoded to fit.
MAX_INLINE_INPUT_BYTES = 7 * 1024 * 1024
COMPOSE_INSTRUCTION = (
    "The {count} images above are numbered 1 to {count} in the order given. Make one new, "
    "coherent photo from them as asked; keep people's faces, clothes and objects' details as "
    "they are in their image. {prompt}"
)
# Background swap without a painted mask: Google's semantic-masking template.
BACKGROUND_SWAP_NO_MASK = (
    "Using the provided photo, replace only the background with {prompt}. Keep the subject exactly "
    "the same: shape, edges, colours, text and logos unchanged; adjust only contact shadows and "
    "reflections so it sits naturally. Return only the edited photo."
)

# Insert and remove without a mask, the area described in words (mask-free editing, in the shape
# of Google's semantic-masking prompts for the Gemini image models): the model finds the area.
_KEEP_REST = (
    "Keep everything else in the photo exactly the same: framing, perspective, lighting, colours "
    "and aspect ratio. Return only the edited photo."
)
DESCRIBED_AREA_INSTRUCTIONS = {
    EditMode.INSERT: (
        "Using the provided photo, change only {area}: add {prompt} there, matching the photo's "
        "perspective, lighting, shadows and grain. " + _KEEP_REST
    ),
    EditMode.REMOVE: (
        "Using the provided photo, remove only {area} and fill the space with a natural continuation "
        "of the surrounding background{prompt_clause}. Do not add any new objects. " + _KEEP_REST
    ),
}


class GeminiImageAdapter:
    family = Family.GEMINI_IMAGE

    def __init__(self, route: Route) -> None:
        self.route = route
        self.model = route.model_id
        self.info = route.model

    def generate(self, request: GenerateImagesRequest) -> ImageResult:
        self._check_ratio(request.aspect_ratio)
        return self._make([], request.prompt, request)

    def compose(self, request: ComposeImageRequest) -> ImageResult:
        """One new image from several inputs and an instruction, in one generateContent call per
        output (no mask: the model places and blends; nothing is composited on our side)."""
        if request.aspect_ratio:
            self._check_ratio(request.aspect_ratio)
        if not request.images:
            raise InvalidRequestError("Composing needs at least one input image")
        if self.info.max_input_images and len(request.images) > self.info.max_input_images:
            raise InvalidRequestError(
                f"{self.model} takes at most {self.info.max_input_images} input images, "
                f"not {len(request.images)}"
            )
        text = COMPOSE_INSTRUCTION.format(count=len(request.images), prompt=request.prompt.strip())
        return self._make([_input_part(image) for image in request.images], text, request)

    def _make(
        self, inputs: list[types.Part], text: str, request: GenerateImagesRequest | ComposeImageRequest
    ) -> ImageResult:
        """Generate or compose: the input images, then the instruction, as the request asks."""
        self._check_size(request.image_size)
        if request.negative_prompt:
            # generateContent has no negative prompt; say it in words.
            text += f"\n\nAvoid: {request.negative_prompt}."
        outputs = self._generate(
            [*inputs, types.Part.from_text(text=text)],
            count=request.count,
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            seed=request.seed,
            person_generation=request.person_generation,
            safety_setting=request.safety_setting,
            mime_type=media.google_output_type(request.output_mime_type),
        )
        return self._result(_described(outputs), outputs, request.seed is not None)

    def edit(self, request: EditImageRequest) -> ImageResult:
        original = media.open_image(_input_bytes(request.image), "image")
        mask = None
        if request.mode == EditMode.OUTPAINT:
            if request.outpaint is None:
                if request.mask is None:
                    raise InvalidRequestError("An outpaint edit needs outpaint extents or a mask")
                mask = media.normalise_mask(_input_bytes(request.mask), original.size)
                canvas = original
            else:
                canvas, mask = media.outpaint_canvas(original, request.outpaint)
        else:
            canvas = original
            if request.mask is not None:
                mask = media.normalise_mask(_input_bytes(request.mask), original.size)
            elif request.mode != EditMode.BACKGROUND_SWAP and not request.mask_description:
                raise InvalidRequestError(f"A {request.mode} edit needs a mask or a description of the area")
        if mask is not None and not mask.getbbox():
            raise InvalidRequestError("The mask is empty: paint the area to edit")

        prompt = request.prompt.strip()
        if mask is None and request.mode in DESCRIBED_AREA_INSTRUCTIONS:
            text = DESCRIBED_AREA_INSTRUCTIONS[request.mode].format(
                area=(request.mask_description or "").strip(),
                prompt=prompt or "what the scene suggests",
                prompt_clause=f" ({prompt})" if prompt else "",
            )
        elif mask is None:
            text = BACKGROUND_SWAP_NO_MASK.format(prompt=prompt or "a plain studio background")
        else:
            text = EDIT_INSTRUCTIONS[request.mode].format(
                prompt=prompt or "what the scene suggests",
                prompt_clause=f" ({prompt})" if prompt else "",
            )
        if request.negative_prompt:
            text += f"\n\nAvoid: {request.negative_prompt}."
        parts = [
            types.Part.from_text(text=text),
            types.Part.from_bytes(data=media.encode(canvas, "image/png"), mime_type="image/png"),
        ]
        if mask is not None:
            parts.append(types.Part.from_bytes(data=media.encode(mask, "image/png"), mime_type="image/png"))
        ratio = media.nearest_aspect_ratio(canvas.size, self.info.aspect_ratios)
        outputs = self._generate(
            parts,
            count=request.count,
            aspect_ratio=ratio,
            image_size=request.image_size,
            seed=request.seed,
            person_generation=request.person_generation,
            safety_setting=request.safety_setting,
            mime_type="image/png",  # we re-encode after compositing
        )
        images = []
        for data, _ in outputs.images:
            generated = media.open_image(data, "model output")
            if mask is not None:
                result = media.composite_inside_mask(canvas, generated, mask)
            else:
                result = generated.resize(canvas.size) if generated.size != canvas.size else generated
            encoded = media.encode(result, request.output_mime_type)
            images.append(
                GeneratedImage(
                    mime_type=request.output_mime_type, data=encoded, width=result.width, height=result.height
                )
            )
        return self._result(images, outputs, request.seed is not None)

    # --- helpers --------------------------------------------------------------------------

    def _check_size(self, size: str | None) -> None:
        if size and size not in self.info.image_sizes:
            raise InvalidRequestError(
                f"{self.model} makes images of size {', '.join(self.info.image_sizes)}, not {size}"
            )

    def _check_ratio(self, ratio: str) -> None:
        if self.info.aspect_ratios and ratio not in self.info.aspect_ratios:
            raise InvalidRequestError(
                f"{self.model} supports aspect ratios {', '.join(self.info.aspect_ratios)}, not {ratio}"
            )

    def _generate(
        self,
        parts: list[types.Part],
        *,
        count: int,
        aspect_ratio: str | None,
        image_size: str | None,
        seed: int | None,
        person_generation: str | None,
        safety_setting: str | None,
        mime_type: str,
    ) -> _Outputs:
        """`count` images in as few calls as the model allows (3.x image models: one per call)."""
        per_call = max(1, self.info.max_candidates)
        outputs = _Outputs()
        for index in range(math.ceil(count / per_call)):
            candidates = min(per_call, count - index * per_call)
            config = types.GenerateContentConfig(
                response_modalities=["IMAGE"],
                candidate_count=candidates,
                # No addWatermark here (SynthID is always on), so a seed is always allowed.
                # generationConfig.seed is an int32; the studio's seeds are uint32, so fold them.
                seed=(seed + index) % 2**31 if seed is not None else None,
                image_config=types.ImageConfig(
                    aspect_ratio=aspect_ratio,
                    image_size=image_size,
                    person_generation=PERSON_GENERATION.get((person_generation or "").lower()),
                    output_mime_type=mime_type,
                ),
                safety_settings=[
                    types.SafetySetting(
                        category=c, threshold=types.HarmBlockThreshold(safety_setting.upper())
                    )
                    for c in HARM_CATEGORIES
                ]
                if safety_setting
                else None,
                thinking_config=types.ThinkingConfig(
                    thinking_level=types.ThinkingLevel(self.info.thinking_level)
                )
                if self.info.thinking_level
                else None,
                # No tools are involved; this also keeps the SDK from logging its AFC notice.
                automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            )
            try:
                response = self._call(
                    lambda client, config=config: client.models.generate_content(
                        model=self.model, contents=[types.Content(role="user", parts=parts)], config=config
                    )
                )
            except SafetyBlockedError as e:
                outputs.filtered += candidates
                outputs.reasons.append(e.message)
                continue
            except ProviderError:
                if not outputs.images:
                    raise
                # Some images are paid for already: keep them, report the rest as failed.
                outputs.failed = count - len(outputs.images) - outputs.filtered
                break
            outputs.add(response, candidates)
        return outputs

    def _call(self, use_client):
        return vertex.call(self.route, settings.PROVIDER_IMAGE_TIMEOUT_SECONDS, use_client)

    def _result(self, images: list[GeneratedImage], outputs: _Outputs, seed_applied: bool) -> ImageResult:
        if not images:
            raise SafetyBlockedError(
                outputs.reasons[0] if outputs.reasons else "The model returned no image.",
                filtered_count=outputs.filtered,
                reasons=outputs.reasons,
                model=self.model,
            )
        return ImageResult(
            images=images,
            model=self.model,
            price_class=self.route.price_class,
            synthid=True,
            filtered_count=outputs.filtered,
            filtered_reasons=outputs.reasons,
            seed_applied=seed_applied,
            failed_count=outputs.failed,
        )


class _Outputs:
    """What a series of generateContent calls produced."""

    def __init__(self) -> None:
        self.images: list[tuple[bytes, str]] = []
        self.filtered = 0
        self.failed = 0
        self.reasons: list[str] = []

    def add(self, response: types.GenerateContentResponse, asked: int) -> None:
        feedback = response.prompt_feedback
        if not response.candidates and feedback and feedback.block_reason:
            self.filtered += asked
            self.reasons.append(feedback.block_reason_message or f"Prompt blocked: {feedback.block_reason}")
            return
        found = 0
        for candidate in response.candidates or []:
            image = _last_image_part(candidate)
            if image is not None:
                self.images.append(image)
                found += 1
                continue
            # No image: a safety finish reason, NO_IMAGE, or a text refusal that still says STOP.
            # All of them are outputs we did not get and do not charge for.
            text = " ".join(
                p.text for p in (candidate.content.parts if candidate.content else []) or [] if p.text
            )
            reason = candidate.finish_message or text or f"No image ({candidate.finish_reason})"
            self.reasons.append(reason)
        self.filtered += max(asked - found, 0)


def _last_image_part(candidate: types.Candidate) -> tuple[bytes, str] | None:
    """The last non-thought inline image of a candidate (3.x models may send interim thought images)."""
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    for part in reversed(parts):
        if part.inline_data and part.inline_data.data and not part.thought:
            return part.inline_data.data, part.inline_data.mime_type or "image/png"
    return None


def _described(outputs: _Outputs) -> list[GeneratedImage]:
    images = []
    for data, mime in outputs.images:
        width, height = media.image_size(data) or (None, None)
        images.append(GeneratedImage(mime_type=mime, data=data, width=width, height=height))
    return images


def _input_part(image: ImageInput) -> types.Part:
    """An input image as a part: a gs:// file as it is (Google reads up to 30 MB), inline bytes
    re-encoded as JPEG when they pass the 7 MB inline limit (an upload may be 10 MB)."""
    if image.gcs_uri:
        return types.Part.from_uri(file_uri=image.gcs_uri, mime_type=image.mime_type)
    data, mime = image.data or b"", image.mime_type
    if len(data) > MAX_INLINE_INPUT_BYTES:
        data, mime = media.encode(media.open_image(data, "input image"), "image/jpeg"), "image/jpeg"
    return types.Part.from_bytes(data=data, mime_type=mime)


def _input_bytes(image: ImageInput) -> bytes:
    # Compositing needs the original's pixels, so a gs:// input is fetched first.
    return image.data if image.data is not None else gcs.download(image.gcs_uri or "")
