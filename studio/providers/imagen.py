"""Imagen through Vertex `:predict`: generate, mask edit, upscale.

google-genai's typed calls produce exactly the documented wire format; the one exception is
`parameters.addWatermark` on upscale, which UpscaleImageConfig has no field for, so it goes in
through HttpOptions.extra_body (the SDK's own escape hatch for body fields).
"""

from __future__ import annotations

import enum
import logging
import warnings
from typing import TypeVar

from django.conf import settings
from google.genai import types

from . import gcs, media, vertex
from .base import (
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
    UpscaleImageRequest,
)
from .catalog import Route
from .resilience import call_guarded

E = TypeVar("E", bound=enum.Enum)

log = logging.getLogger(__name__)
# google-genai warns that generate_images and edit_image are deprecated. The catalog tracks that
# lifecycle and provider_check reports it, so the warning would only add noise to worker logs.
warnings.filterwarnings("ignore", message=r"The (generate_images|edit_image) method is deprecated")

EDIT_MODES = {
    EditMode.INSERT: types.EditMode.EDIT_MODE_INPAINT_INSERTION,
    EditMode.REMOVE: types.EditMode.EDIT_MODE_INPAINT_REMOVAL,
    EditMode.BACKGROUND_SWAP: types.EditMode.EDIT_MODE_BGSWAP,
    EditMode.OUTPAINT: types.EditMode.EDIT_MODE_OUTPAINT,
}
UPSCALE_FACTORS = ("x2", "x3", "x4")


class ImagenAdapter:
    family = Family.IMAGEN

    def __init__(self, route: Route) -> None:
        self.route = route
        self.model = route.model_id

    def generate(self, request: GenerateImagesRequest) -> ImageResult:
        send_seed = _seed_allowed(request.seed, request.add_watermark)
        config = types.GenerateImagesConfig(
            number_of_images=request.count,
            aspect_ratio=request.aspect_ratio,
            negative_prompt=request.negative_prompt or None,
            seed=request.seed if send_seed else None,
            add_watermark=request.add_watermark,  # always explicit: the default differs by model
            safety_filter_level=_enum(types.SafetyFilterLevel, request.safety_setting),
            person_generation=_enum(types.PersonGeneration, request.person_generation),
            output_mime_type=media.google_output_type(request.output_mime_type),
            output_gcs_uri=request.output_gcs_uri,
            include_rai_reason=True,  # so filtered outputs come back with a reason
        )
        response = self._call(
            lambda client: client.models.generate_images(
                model=self.model, prompt=request.prompt, config=config
            )
        )
        return self._result(response.generated_images, request.count, request.add_watermark, send_seed)

    def edit(self, request: EditImageRequest) -> ImageResult:
        raw, mask_config, mask_image = self._edit_inputs(request)
        # Mask editing takes exactly one RAW and one MASK reference.
        references = [
            types.RawReferenceImage(reference_id=1, reference_image=raw),
            types.MaskReferenceImage(reference_id=2, reference_image=mask_image, config=mask_config),
        ]
        send_seed = _seed_allowed(request.seed, request.add_watermark)
        config = types.EditImageConfig(
            edit_mode=EDIT_MODES[request.mode],
            number_of_images=request.count,
            negative_prompt=request.negative_prompt or None,
            seed=request.seed if send_seed else None,
            add_watermark=request.add_watermark,
            safety_filter_level=_enum(types.SafetyFilterLevel, request.safety_setting),
            person_generation=_enum(types.PersonGeneration, request.person_generation),
            output_mime_type=media.google_output_type(request.output_mime_type),
            output_gcs_uri=request.output_gcs_uri,
            base_steps=request.base_steps,
            include_rai_reason=True,
        )
        response = self._call(
            lambda client: client.models.edit_image(
                model=self.model, prompt=request.prompt, reference_images=references, config=config
            )
        )
        return self._result(response.generated_images, request.count, request.add_watermark, send_seed)

    def upscale(self, request: UpscaleImageRequest) -> ImageResult:
        if request.factor not in UPSCALE_FACTORS:
            raise InvalidRequestError(f"Upscale factor must be one of {', '.join(UPSCALE_FACTORS)}")
        extra = {}
        if request.add_watermark is not None:
            extra = {"parameters": {"addWatermark": request.add_watermark}}
        config = types.UpscaleImageConfig(
            output_mime_type=media.google_output_type(request.output_mime_type),
            output_gcs_uri=request.output_gcs_uri,
            include_rai_reason=True,
            http_options=types.HttpOptions(extra_body=extra) if extra else None,
        )
        image = _sdk_image(request.image)
        response = self._call(
            lambda client: client.models.upscale_image(
                model=self.model, image=image, upscale_factor=request.factor, config=config
            )
        )
        # Google's upscale default is addWatermark true.
        synthid = True if request.add_watermark is None else request.add_watermark
        return self._result(response.generated_images, 1, synthid, seed_applied=False)

    # --- helpers --------------------------------------------------------------------------

    def _call(self, use_client):
        client = vertex.client(self.route.location, settings.PROVIDER_IMAGE_TIMEOUT_SECONDS)
        return call_guarded(
            vertex.guarded_sdk_call(
                lambda: use_client(client), model=self.model, operation=self.route.operation
            ),
            model_id=self.model,
            family=self.family,
        )

    def _edit_inputs(
        self, request: EditImageRequest
    ) -> tuple[types.Image, types.MaskReferenceConfig, types.Image | None]:
        """(raw image, mask config, mask image or None) for the four edit modes."""
        dilation = request.mask_dilation
        if request.mode == EditMode.OUTPAINT and request.outpaint is not None:
            # Imagen outpaints a canvas already padded to the target size, with the mask on the
            # new area; we build both from the original and the requested extents.
            original = media.open_image(_input_bytes(request.image), "image")
            canvas, mask = media.outpaint_canvas(original, request.outpaint)
            raw = types.Image(image_bytes=media.encode(canvas, "image/png"), mime_type="image/png")
            return (
                raw,
                _user_mask(dilation),
                types.Image(image_bytes=media.encode(mask, "image/png"), mime_type="image/png"),
            )
        raw = _sdk_image(request.image)
        if request.mask is not None:
            mask_bytes = _input_bytes(request.mask)
            if request.image.data is not None:
                # Check (and normalise) the painted mask against the image before paying for a call.
                size = media.open_image(request.image.data, "image").size
                mask_bytes = media.encode(media.normalise_mask(mask_bytes, size), "image/png")
            return raw, _user_mask(dilation), types.Image(image_bytes=mask_bytes, mime_type="image/png")
        if request.mode == EditMode.BACKGROUND_SWAP:
            # No painted mask: Imagen finds the background itself.
            config = types.MaskReferenceConfig(
                mask_mode=types.MaskReferenceMode.MASK_MODE_BACKGROUND, mask_dilation=dilation
            )
            return raw, config, None
        raise InvalidRequestError(
            f"A {request.mode} edit needs a mask"
            + (" or outpaint extents" if request.mode == EditMode.OUTPAINT else "")
        )

    def _result(
        self, generated: list[types.GeneratedImage] | None, requested: int, synthid: bool, seed_applied: bool
    ) -> ImageResult:
        images: list[GeneratedImage] = []
        reasons: list[str] = []
        for item in generated or []:
            image = item.image
            if image is not None and (image.image_bytes or image.gcs_uri):
                images.append(describe_image(image.image_bytes, image.gcs_uri, image.mime_type))
            if item.rai_filtered_reason:
                reasons.append(item.rai_filtered_reason)
        # Filtered outputs are simply left out (plus one reason entry), so count the gap.
        filtered = max(requested - len(images), 0)
        if not images:
            raise SafetyBlockedError(
                reasons[0] if reasons else "Every output was removed by Google's safety filters.",
                filtered_count=filtered or requested,
                reasons=reasons,
                model=self.model,
            )
        return ImageResult(
            images=images,
            model=self.model,
            price_class=self.route.price_class,
            synthid=synthid,
            filtered_count=filtered,
            filtered_reasons=reasons,
            seed_applied=seed_applied,
        )


def _seed_allowed(seed: int | None, add_watermark: bool) -> bool:
    """Imagen refuses a seed while addWatermark is true, so a watermarked request drops the seed."""
    if seed is None:
        return False
    if add_watermark:
        log.info("seed %s not sent: Imagen accepts a seed only with addWatermark false", seed)
        return False
    return True


def _enum(kind: type[E], value: str | None) -> E | None:
    # google-genai sends its enum values uppercase; the API compares case-insensitively.
    return kind(value.upper()) if value else None


def _user_mask(dilation: float | None) -> types.MaskReferenceConfig:
    return types.MaskReferenceConfig(
        mask_mode=types.MaskReferenceMode.MASK_MODE_USER_PROVIDED, mask_dilation=dilation
    )


def _sdk_image(image: ImageInput) -> types.Image:
    if image.gcs_uri:
        return types.Image(gcs_uri=image.gcs_uri, mime_type=image.mime_type)
    return types.Image(image_bytes=image.data, mime_type=image.mime_type)


def _input_bytes(image: ImageInput) -> bytes:
    return image.data if image.data is not None else gcs.download(image.gcs_uri or "")


def describe_image(data: bytes | None, gcs_uri: str | None, mime_type: str | None) -> GeneratedImage:
    """A GeneratedImage with its pixel size: from the bytes, or from the head of the GCS object."""
    size = None
    if data:
        size = media.image_size(data)
    elif gcs_uri:
        try:
            size = media.image_size(gcs.read_range(gcs_uri, 0, 256 * 1024))
        except ProviderError as e:  # the size is a nicety; the result stands without it
            log.warning("could not read the size of %s: %s", gcs_uri, e.message)
    width, height = size if size else (None, None)
    return GeneratedImage(
        mime_type=mime_type or "image/png", data=data or None, gcs_uri=gcs_uri, width=width, height=height
    )
