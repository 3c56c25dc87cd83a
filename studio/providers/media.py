"""Pixel work the adapters need: sizes, masks, outpaint canvases, compositing, MP4 probing.

Pure functions over bytes (Pillow only); no network.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

from PIL import Image, ImageChops, ImageFile, ImageFilter

from .base import GeneratedImage, InvalidRequestError, Outpaint

_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
# What Google's image models return: Gemini's imageOutputOptions.mimeType and Imagen's
# outputOptions.mimeType are documented with PNG and JPEG; WebP output is not (google-models-2026-12.md
# §3), so a WebP request asks for PNG and is converted here (in_format).
GOOGLE_OUTPUT_TYPES = ("image/png", "image/jpeg")
OUTPAINT_FILL = (128, 128, 128)  # flat mid-grey: the prompt calls it the empty border to extend into


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header, without decoding the pixels; None if unreadable."""
    parser = ImageFile.Parser()
    try:
        parser.feed(data)
    except Exception:
        return None
    return parser.image.size if parser.image else None


def encode(image: Image.Image, mime_type: str) -> bytes:
    fmt = _FORMATS.get(mime_type, "PNG")
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def google_output_type(mime_type: str) -> str:
    """The output type to ask Google for: the one wanted if Google makes it, else PNG (lossless)."""
    return mime_type if mime_type in GOOGLE_OUTPUT_TYPES else "image/png"


def in_format(images: list[GeneratedImage], mime_type: str) -> list[GeneratedImage]:
    """The images as `mime_type`: those a model returned in another type are re-encoded (WebP from
    Google's PNG, PNG or WebP from Pollinations' JPEG). Images left in a bucket stay as they are."""
    converted = []
    for image in images:
        if image.data is None or image.mime_type == mime_type:
            converted.append(image)
            continue
        data = encode(open_image(image.data, "model output"), mime_type)
        converted.append(
            GeneratedImage(mime_type=mime_type, data=data, width=image.width, height=image.height)
        )
    return converted


def open_image(data: bytes, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as e:
        raise InvalidRequestError(f"The {what} is not a readable image") from e
    return image


def normalise_mask(mask_data: bytes, size: tuple[int, int]) -> Image.Image:
    """The user's mask as 8-bit greyscale: non-zero marks the area to edit.

    Transparent pixels count as "keep" (a canvas export may paint on a transparent layer).
    """
    mask = open_image(mask_data, "mask")
    if mask.size != size:
        raise InvalidRequestError(
            f"The mask is {mask.size[0]}x{mask.size[1]}; the image is {size[0]}x{size[1]}"
        )
    if mask.mode in ("RGBA", "LA") or (mask.mode == "P" and "transparency" in mask.info):
        rgba = mask.convert("RGBA")
        return ImageChops.multiply(rgba.convert("L"), rgba.getchannel("A"))
    return mask.convert("L")


def outpaint_canvas(image: Image.Image, extend: Outpaint) -> tuple[Image.Image, Image.Image]:
    """The original on a larger grey canvas, and the mask that is white exactly on the new area."""
    width = image.width + extend.left + extend.right
    height = image.height + extend.top + extend.bottom
    canvas = Image.new("RGB", (width, height), OUTPAINT_FILL)
    canvas.paste(image.convert("RGB"), (extend.left, extend.top))
    mask = Image.new("L", (width, height), 255)
    mask.paste(0, (extend.left, extend.top, extend.left + image.width, extend.top + image.height))
    return canvas, mask


def composite_inside_mask(original: Image.Image, generated: Image.Image, mask: Image.Image) -> Image.Image:
    """The generated pixels inside the mask, the original's pixels everywhere else.

    The model's output is scaled to the original's size first. The mask edge is feathered only
    inwards (the blur is cut off where the mask is zero), so every pixel outside the mask is the
    original's, bit for bit.
    """
    base = original.convert("RGBA") if original.mode in ("RGBA", "LA", "P") else original.convert("RGB")
    generated = generated.convert(base.mode)
    if generated.size != base.size:
        generated = generated.resize(base.size, Image.Resampling.LANCZOS)
    radius = max(1, round(min(base.size) / 200))
    # The darker of the blurred and the sharp mask: soft inside the rim, exactly 0 outside.
    alpha = ImageChops.darker(mask.filter(ImageFilter.GaussianBlur(radius)), mask)
    return Image.composite(generated, base, alpha)


def nearest_aspect_ratio(size: tuple[int, int], supported: tuple[str, ...]) -> str:
    width, height = size
    target = width / height

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(w / h - target)

    return min(supported, key=distance) if supported else "1:1"


# --- MP4 -----------------------------------------------------------------------------------


def probe_mp4(
    read: Callable[[int, int], bytes], total_size: int
) -> tuple[int | None, int | None, float | None]:
    """(width, height, duration in seconds) from an MP4's moov box.

    `read(start, end)` returns bytes [start, end). Only the box headers and the moov box are read,
    so this works through ranged GCS reads as well as on bytes in memory.
    """
    offset = 0
    while offset + 8 <= total_size:
        header = read(offset, offset + 16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        header_len = 8
        if size == 1 and len(header) >= 16:
            size = struct.unpack(">Q", header[8:16])[0]
            header_len = 16
        elif size == 0:
            size = total_size - offset
        if size < header_len:
            break
        if kind == b"moov":
            return _parse_moov(read(offset + header_len, offset + size))
        offset += size
    return None, None, None


def _boxes(data: bytes):
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header_len = 8
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header_len = 16
        elif size == 0:
            size = len(data) - offset
        if size < header_len:
            return
        yield kind, data[offset + header_len : offset + size]
        offset += size


def _parse_moov(moov: bytes) -> tuple[int | None, int | None, float | None]:
    width = height = None
    duration = None
    for kind, body in _boxes(moov):
        if kind == b"mvhd" and len(body) >= 20:
            if body[0] == 1 and len(body) >= 32:
                timescale, length = struct.unpack(">IQ", body[20:32])
            else:
                timescale, length = struct.unpack(">II", body[12:20])
            duration = length / timescale if timescale else None
        elif kind == b"trak" and width is None:
            for sub_kind, sub in _boxes(body):
                if sub_kind == b"tkhd" and len(sub) >= 84:
                    w, h = struct.unpack(">II", sub[-8:])
                    if w and h:  # 16.16 fixed point; audio tracks carry 0x0
                        width, height = w >> 16, h >> 16
    return width, height, duration
