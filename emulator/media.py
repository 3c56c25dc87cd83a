"""Image synthesis: prompt-derived pictures, masked edits, upscales, and encoding.

Every picture is a pure function of a "recipe" (the bytes that describe the request), so the
same prompt and seed give byte-identical files, while a request without a seed mixes in random
bytes. Colours, gradient and shapes come from a hash of the recipe and the prompt is written on
the picture, so a human can tell outputs apart at a glance.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import os
import random
import textwrap
import warnings

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from .errors import invalid_argument

# Largest input image we decode (a 16 MP upscale input is well inside; a decompression bomb is not).
MAX_DECODE_PIXELS = 50_000_000


def recipe(*parts: object, seed: int | None) -> bytes:
    """Hash input for one output. Without a seed the output is random, like the real models."""
    salt = repr(seed).encode() if seed is not None else os.urandom(16)
    digest = hashlib.sha256(salt)
    for part in parts:
        digest.update(b"\x00")
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
    return digest.digest()


def render_picture(width: int, height: int, prompt: str, seed_bytes: bytes, caption: str = "") -> Image.Image:
    rng = random.Random(seed_bytes)
    picture = _gradient(width, height, rng)
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    short_side = min(width, height)
    for _ in range(rng.randint(3, 6)):
        radius = rng.uniform(0.08, 0.3) * short_side
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        fill = (*_colour(rng), rng.randint(90, 170))
        if rng.random() < 0.5:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    picture = Image.alpha_composite(picture.convert("RGBA"), overlay)
    _write_prompt(picture, prompt, caption)
    return picture.convert("RGB")


def _colour(rng: random.Random) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.45, 0.9), rng.uniform(0.55, 0.95))
    return int(red * 255), int(green * 255), int(blue * 255)


def _gradient(width: int, height: int, rng: random.Random) -> Image.Image:
    vertical = Image.linear_gradient("L")
    horizontal = vertical.transpose(Image.Transpose.ROTATE_90)
    if rng.random() < 0.5:
        horizontal = ImageOps.mirror(horizontal)
    mask = Image.blend(vertical, horizontal, rng.uniform(0.0, 1.0)).resize((width, height))
    start = Image.new("RGB", (width, height), _colour(rng))
    end = Image.new("RGB", (width, height), _colour(rng))
    return Image.composite(start, end, mask)


def _write_prompt(picture: Image.Image, prompt: str, caption: str) -> None:
    width, height = picture.size
    size = max(12, min(width, height) // 22)
    font = ImageFont.load_default(size=size)
    chars_per_line = max(10, int(width * 0.8 / (size * 0.55)))
    lines = textwrap.wrap(prompt or "(no prompt)", chars_per_line)[:6] or ["(no prompt)"]
    line_height = int(size * 1.3)
    top = height // 2 - line_height * len(lines) // 2
    box = (int(width * 0.06), top - size // 2, int(width * 0.94), top + line_height * len(lines) + size // 2)
    # A translucent panel behind the text keeps it readable on any background.
    panel = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    ImageDraw.Draw(panel).rectangle(box, fill=(0, 0, 0, 120))
    picture.alpha_composite(panel)
    draw = ImageDraw.Draw(picture)
    for index, line in enumerate(lines):
        draw.text((box[0] + size // 2, top + index * line_height), line, font=font, fill=(255, 255, 255, 255))
    if caption:
        small = ImageFont.load_default(size=max(10, size // 2))
        draw.text((size // 2, height - size), caption, font=small, fill=(255, 255, 255, 220))


def decode_image(data: bytes, field: str) -> Image.Image:
    """Open input bytes as an RGB picture, refusing what is not an image or is absurdly large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_DECODE_PIXELS:
                raise invalid_argument(f"{field}: image of {image.width}x{image.height} pixels is too large.")
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise invalid_argument(f"{field}: unable to decode the image bytes.") from None
    return image.convert("RGB") if image.mode != "RGB" else image


def encode_image(image: Image.Image, mime_type: str, quality: int | None = None) -> bytes:
    buffer = io.BytesIO()
    if mime_type == "image/jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=quality if quality is not None else 75)
    else:
        image.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def binary_mask(mask_image: Image.Image) -> Image.Image:
    """Non-zero pixels mark where to edit
    (cloud.google.com/vertex-ai/generative-ai/docs/model-reference/imagen-api-edit)."""
    return mask_image.convert("L").point(lambda value: 255 if value > 0 else 0)


def dilate(mask: Image.Image, pixels: int) -> Image.Image:
    """Grow the edit area by `pixels` in every direction (a box blur followed by a threshold)."""
    if pixels <= 0:
        return mask
    return mask.filter(ImageFilter.BoxBlur(pixels)).point(lambda value: 255 if value > 0 else 0)


def central_subject_mask(width: int, height: int) -> Image.Image:
    """Stand-in for automatic segmentation: the "subject" is an ellipse in the middle of the frame."""
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).ellipse((width * 0.25, height * 0.15, width * 0.75, height * 0.85), fill=255)
    return mask


def fill_for_edit(
    original: Image.Image, mask: Image.Image, mode: str, prompt: str, seed_bytes: bytes
) -> Image.Image:
    """What goes into the edited area, before it is pasted through the mask.

    insertion / background swap / default: new prompt-derived content, laid out over the mask's
    bounding box so the prompt text lands inside the edit; removal: the surroundings smeared in;
    outpaint: the scene's colours extended and mixed with new content.
    """
    width, height = original.size
    if mode == "removal":
        return original.filter(ImageFilter.GaussianBlur(max(4, min(width, height) // 12)))
    left, top, right, bottom = mask.getbbox() or (0, 0, width, height)
    generated = original.copy()
    generated.paste(render_picture(right - left, bottom - top, prompt, seed_bytes), (left, top))
    if mode == "outpaint":
        extended = original.filter(ImageFilter.GaussianBlur(max(4, min(width, height) // 10)))
        return Image.blend(extended, generated, 0.5)
    return generated


def apply_edit(original: Image.Image, mask: Image.Image, fill: Image.Image) -> Image.Image:
    """Pixels outside the mask stay exactly as they were; inside they come from `fill`."""
    return Image.composite(fill, original, mask)


def upscale(image: Image.Image, width: int, height: int) -> Image.Image:
    return image.resize((width, height), Image.Resampling.LANCZOS)


def fit(image: Image.Image, width: int, height: int, mode: str = "crop") -> Image.Image:
    """Bring an input image to an output size: "crop" fills the frame, "pad" letterboxes it."""
    if image.size == (width, height):
        return image
    if mode == "pad":
        return ImageOps.pad(image, (width, height), color=(0, 0, 0))
    return ImageOps.fit(image, (width, height))
