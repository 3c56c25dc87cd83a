"""Input images as the Vertex families send them: inline base64 or a gs:// URI."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from . import gcs, media
from .errors import invalid_argument
from .validation import MAX_INPUT_IMAGE_BYTES, decode_base64

INPUT_MIME_TYPES = ("image/png", "image/jpeg")


@dataclass
class InputImage:
    data: bytes
    image: Image.Image


def read_image_ref(
    ref: object,
    field: str,
    gcs_url: str,
    *,
    mime_required: bool = False,
    max_bytes: int = MAX_INPUT_IMAGE_BYTES,
) -> InputImage:
    """Read `{"bytesBase64Encoded": ...}` or `{"gcsUri": ...}` (plus optional mimeType)."""
    if not isinstance(ref, dict):
        raise invalid_argument(f"{field} must be an object with bytesBase64Encoded or gcsUri.")
    mime_type = ref.get("mimeType") or ref.get("mime_type")
    if mime_required and not mime_type:
        raise invalid_argument(f"{field}.mimeType is required.")
    if mime_type is not None and mime_required and mime_type not in INPUT_MIME_TYPES:
        raise invalid_argument(
            f"{field}.mimeType must be one of {', '.join(INPUT_MIME_TYPES)}, got {mime_type!r}."
        )
    return decode_input(read_bytes(ref, field, gcs_url), field, max_bytes)


def read_bytes(ref: dict, field: str, gcs_url: str) -> bytes:
    """The bytes of `{"bytesBase64Encoded": ...}` or `{"gcsUri": ...}` (an image, or Veo's video)."""
    encoded = ref.get("bytesBase64Encoded")
    uri = ref.get("gcsUri")
    if (encoded is None) == (uri is None):
        raise invalid_argument(f"{field} needs exactly one of bytesBase64Encoded or gcsUri.")
    if encoded is not None:
        return decode_base64(encoded, f"{field}.bytesBase64Encoded")
    if not isinstance(uri, str) or not uri.startswith("gs://"):
        raise invalid_argument(f"{field}.gcsUri must start with gs://, got {uri!r}.")
    return gcs.download(gcs_url, uri, f"{field}.gcsUri")


def decode_input(data: bytes, field: str, max_bytes: int = MAX_INPUT_IMAGE_BYTES) -> InputImage:
    if not data:
        raise invalid_argument(f"{field}: the image is empty.")
    if len(data) > max_bytes:
        raise invalid_argument(
            f"{field}: the image is {len(data)} bytes; the limit is {max_bytes // (1024 * 1024)} MB."
        )
    return InputImage(data, media.decode_image(data, field))
