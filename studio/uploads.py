"""The one gate every user-supplied image passes before we use it.

Edit sources, upscale sources, image-to-video first/last frames and painted masks all come through
here, whether they arrive as a multipart file, raw bytes, or a base64 / data-URL string in a JSON
body. What comes out is bytes we produced ourselves: decoded, size-checked and re-encoded, so the
stored and forwarded copy never carries the uploader's EXIF (GPS), XMP, ICC profile or comments,
and never a payload Pillow merely *identified* without decoding.

Refusals are `UploadError`s with a stable `code`, a message safe to show the user, and the HTTP
status a view should answer with:

    upload_too_large        413  more bytes than UPLOAD_MAX_BYTES (also from the streaming cap)
    unsupported_image_type  415  a real image in a format or shape we do not take (GIF, TIFF, HEIC,
                                 animated PNG/WebP...). 415 because RFC 9110 §15.5.16 covers a format
                                 found "as a result of inspecting the data directly", and it lets a
                                 client tell "convert it" apart from "it is broken".
    invalid_image           400  not an image at all, truncated or corrupt
    image_too_large         400  too many pixels or too long a side (decompression bombs included);
                                 the bytes were fine, the request is what is unacceptable
    mask_size_mismatch      400  the mask's pixel size differs from its image's
    invalid_mask            400  a mask with nothing painted on it

Limits are settings read on every call (never at import), with these defaults:
UPLOAD_MAX_BYTES (10 MiB), UPLOAD_MAX_PIXELS (40 MP), UPLOAD_MAX_SIDE (8192 px). Pillow's own
bomb guard (Image.MAX_IMAGE_PIXELS, 89.5 MP) stays as it is: raising UPLOAD_MAX_PIXELS above it
has no effect unless that global is raised too.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import warnings
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 8192

# Pillow is told to try only these decoders, so a crafted file can never reach the parsers of
# formats we do not take (and their CVE history). The order is the cheapest-to-reject first.
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

JPEG_QUALITY = 92
WEBP_QUALITY = 92

# What Pillow raises on hostile or broken input (the set its own fuzz tests treat as "expected").
# Kept narrow and used only around Pillow calls, so our own bugs still surface as 500s.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)

# Signatures of image formats people commonly try, so that a GIF gets "use PNG, JPEG or WebP"
# rather than "not an image". Sniffed from the bytes only: no parser ever runs on them.
_FOREIGN_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"8BPS", "Photoshop"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"%PDF", "PDF"),
)
_ISO_MEDIA_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIC", b"avif": "AVIF"}


class UploadError(Exception):
    """A refused upload: `code` for machines, `message` for people, `status` for the response."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"UploadError(code={self.code!r}, status={self.status}, message={self.message!r})"


@dataclass(frozen=True)
class CleanImage:
    """An image we decoded and re-encoded ourselves; `data` is what gets stored and sent on."""

    data: bytes
    mime_type: str
    width: int
    height: int
    format: str  # "PNG", "JPEG" or "WEBP"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), the shape `clean_mask` expects a mask for this image to have."""
        return (self.width, self.height)


# --- Settings (read per call so override_settings and env changes apply) -----------------------


def max_upload_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _max_pixels() -> int:
    return int(getattr(settings, "UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _max_side() -> int:
    return int(getattr(settings, "UPLOAD_MAX_SIDE", DEFAULT_MAX_SIDE))


# --- Errors -----------------------------------------------------------------------------------


def _human_bytes(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def too_large_error() -> UploadError:
    """The refusal for too many bytes, shared by every path (file, bytes, data URL, stream cap)."""
    return UploadError(
        "upload_too_large",
        f"The file is larger than {_human_bytes(max_upload_bytes())}; upload a smaller image.",
        413,
    )


def _unsupported(what: str) -> UploadError:
    return UploadError(
        "unsupported_image_type",
        f"{what} are not supported; upload a PNG, JPEG or WebP image.",
        415,
    )


def _invalid(message: str = "The file is not a valid PNG, JPEG or WebP image.") -> UploadError:
    return UploadError("invalid_image", message, 400)


def _pixels_error(size: tuple[int, int] | None) -> UploadError:
    megapixels = _max_pixels() / 1_000_000
    limit = f"the limit is {megapixels:g} megapixels and {_max_side()} pixels per side"
    if size is None:
        message = f"The image has too many pixels; {limit}."
    else:
        message = f"The image is {size[0]}×{size[1]} pixels; {limit}."
    return UploadError("image_too_large", message, 400)


def _not_ours(data: bytes) -> UploadError:
    """Why Pillow could not identify `data` among the allowed formats: foreign image or junk."""
    for signature, name in _FOREIGN_SIGNATURES:
        if data.startswith(signature):
            return _unsupported(f"{name} images")
    if data[4:8] == b"ftyp":
        brand = _ISO_MEDIA_BRANDS.get(data[8:12])
        return _unsupported(f"{brand} images" if brand else "Video and other media files")
    return _invalid()


# --- Reading input, bounded -------------------------------------------------------------------


def decode_data_url(value: str) -> bytes:
    """Decode `data:image/...;base64,...` or bare base64, refusing oversize input before decoding.

    The declared media type is ignored: the format is whatever Pillow finds in the bytes. Base64
    must be the standard alphabet, padded, with no whitespace, which is what browsers produce
    (canvas.toDataURL, FileReader); being strict keeps a junk string from decoding to junk bytes.
    """
    if not isinstance(value, str):
        raise _invalid("The image must be a base64 string or a data: URL.")
    limit = max_upload_bytes()
    max_encoded = 4 * ((limit + 2) // 3)
    # Cheap guard first: the header and surrounding whitespace get a little slack, and nothing
    # (not even strip()) copies a huge string.
    if len(value) > max_encoded + 256:
        raise too_large_error()
    text = value.strip()
    if text[:5].lower() == "data:":
        header, comma, payload = text.partition(",")
        if not comma or not header.lower().endswith(";base64"):
            raise _invalid("A data: URL image must be base64-encoded (data:image/png;base64,...).")
    else:
        payload = text
    if len(payload) > max_encoded:
        raise too_large_error()
    if not payload:
        raise _invalid("The image is empty.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("The image is not valid base64.") from None
    if len(data) > limit:
        raise too_large_error()
    return data


def _read_at_most(f: IO[bytes], limit: int) -> bytes:
    """Read up to `limit` bytes, looping because raw streams may return short reads."""
    parts: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = f.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _read_source(source: Any) -> bytes:
    """Bytes from bytes, a base64/data-URL string, or a file-like object, never beyond the cap.

    A file is read from its start (a form may already have peeked at it) and at most
    UPLOAD_MAX_BYTES + 1 bytes are read: the extra byte is how "exactly at the cap" is told apart
    from "over it" without trusting a client-supplied size.
    """
    limit = max_upload_bytes()
    if isinstance(source, str):
        return decode_data_url(source)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        size = getattr(source, "size", None)  # Django's UploadedFile counts what it received
        if isinstance(size, int) and size > limit:
            raise too_large_error()
        seek = getattr(source, "seek", None)
        if callable(seek):
            try:
                seek(0)
            except (OSError, ValueError):
                pass  # not seekable (a pipe): read from where it is
        data = _read_at_most(source, limit + 1)
    else:
        raise TypeError(f"expected bytes, str or a file-like object, not {type(source).__name__}")
    if len(data) > limit:
        raise too_large_error()
    if not data:
        raise _invalid("The file is empty.")
    return data


# --- Decoding ---------------------------------------------------------------------------------


def _check_header(im: Image.Image, expect_size: tuple[int, int] | None) -> str:
    """Refuse on what the header alone tells us, before any pixel is decoded; return the format.

    Pillow reads the size from the header at open(), so a 68-byte PNG can claim 10000×10000; we
    refuse it here, before load() would allocate ~300 MB for it.
    """
    fmt = im.format or ""
    if fmt == "MPO":
        # A camera JPEG with extra pictures appended (depth map, stereo pair, large preview):
        # Pillow calls it MPO. Frame 0 is the photo itself, which is what load() decodes.
        fmt = "JPEG"
    if fmt not in ALLOWED_FORMATS:  # cannot happen with formats=..., but never trust it silently
        raise _unsupported(f"{fmt or 'These'} images")
    width, height = im.size
    if width < 1 or height < 1:
        raise _invalid()
    if width * height > _max_pixels() or max(width, height) > _max_side():
        raise _pixels_error((width, height))
    # An animation is a valid file we cannot use: every operation takes one still picture, and
    # silently keeping the first frame would edit something the user did not choose.
    if fmt != "JPEG" and getattr(im, "n_frames", 1) > 1:
        raise _unsupported("Animated images")
    if expect_size is not None and (width, height) != tuple(expect_size):
        raise UploadError(
            "mask_size_mismatch",
            f"The mask is {width}×{height} pixels but the image is "
            f"{expect_size[0]}×{expect_size[1]}; paint the mask on the image itself.",
            400,
        )
    return fmt


def _decode(data: bytes, *, expect_size: tuple[int, int] | None = None) -> tuple[Image.Image, str]:
    """Open, verify, re-open and fully decode `data` (verify() alone checks too little, and an
    image cannot be used after it).

    verify() checks structure (chunk CRCs) but leaves the image unusable, hence the second open.
    DecompressionBombWarning becomes an error inside the block only; Pillow's global
    MAX_IMAGE_PIXELS is never touched. catch_warnings() swaps the process-wide filter list, so two
    threads racing here can leave the "error" filter installed afterwards (stricter, harmless) or
    briefly lose it (then _check_header's own pixel cap, below Pillow's, still refuses the image).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                _check_header(probe, expect_size)
                probe.verify()
            im = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            fmt = _check_header(im, expect_size)
            im.load()
        except UploadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _pixels_error(None) from None
        except UnidentifiedImageError:
            raise _not_ours(data) from None
        except _DECODE_ERRORS:
            raise _invalid("The image is truncated or corrupt.") from None
    return im, fmt


def _has_alpha(im: Image.Image) -> bool:
    """True for an alpha channel or a transparent palette entry / colour key (tRNS)."""
    return im.mode in ("RGBA", "LA", "La", "RGBa", "PA") or "transparency" in im.info


def _normalise_mode(im: Image.Image, fmt: str) -> Image.Image:
    """Convert to a mode the output format stores and every provider accepts.

    Transparency is kept where the format can hold it (PNG, WebP): for an edit, transparent
    areas can be what the user meant. JPEG gets L or RGB (CMYK and friends become RGB).
    """
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # 16-bit greyscale: a plain convert("L") clips everything above 255 to white; scale instead.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif im.mode == "1":
        im = im.convert("L")
    if fmt == "JPEG":
        return im if im.mode in ("L", "RGB") else im.convert("RGB")
    if _has_alpha(im):
        return im if im.mode == "RGBA" else im.convert("RGBA")
    if fmt == "PNG" and im.mode == "L":
        return im
    return im if im.mode == "RGB" else im.convert("RGB")


def _encode(im: Image.Image, fmt: str) -> bytes:
    """Save with no metadata: info is emptied because some encoders fall back to im.info."""
    im.info = {}
    buf = io.BytesIO()
    if fmt == "JPEG":
        im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    elif fmt == "PNG":
        # optimize=True can take seconds on a 40 MP image for a few percent; not worth a request.
        im.save(buf, "PNG", optimize=False)
    else:
        im.save(buf, "WEBP", quality=WEBP_QUALITY)
    return buf.getvalue()


# --- Public API ---------------------------------------------------------------------------------


def clean_image(source: bytes | str | IO[bytes] | Any) -> CleanImage:
    """Validate and re-encode an uploaded image, or raise UploadError.

    `source` is bytes, a base64 / data-URL string, or a file-like object such as Django's
    UploadedFile (its name and content_type are ignored: only the bytes decide the format).
    The result keeps the source's format family, is turned upright per its EXIF orientation (the
    provider sees what the user saw), and carries no metadata.
    """
    data = _read_source(source)
    im, fmt = _decode(data)
    try:
        # Upright first: once metadata is dropped, the orientation tag would be lost with it.
        ImageOps.exif_transpose(im, in_place=True)
    except _DECODE_ERRORS:
        pass  # a malformed EXIF block is no reason to refuse the picture; it is dropped anyway
    im = _normalise_mode(im, fmt)
    out = _encode(im, fmt)
    return CleanImage(data=out, mime_type=MIME_TYPES[fmt], width=im.width, height=im.height, format=fmt)


def clean_mask(source: bytes | str | IO[bytes] | Any, size: tuple[int, int]) -> bytes:
    """Validate a painted mask for an image of `size` (width, height); return an L-mode PNG.

    Painted pixels become 255 and the rest 0. A pixel is painted when its alpha is above 0, if
    the mask has an alpha channel with any transparency at all (a canvas export: strokes on a
    transparent background); otherwise when its luminance is above 127 (white strokes on black).
    The mask's size must equal the *cleaned* image's size exactly: no resampling, because a
    stretched mask edits a region the user did not paint. EXIF orientation is deliberately not
    applied, since the mask is painted over pixels that are already upright.
    """
    data = _read_source(source)
    im, _fmt = _decode(data, expect_size=(int(size[0]), int(size[1])))
    painted: Image.Image | None = None
    if _has_alpha(im):
        alpha = im.convert("RGBA").getchannel("A")
        # Fully opaque: the alpha channel says nothing about the strokes, so fall through.
        lowest = cast(int, alpha.getextrema()[0])  # one band: (min, max)
        if lowest < 255:
            painted = alpha.point(lambda v: 255 if v > 0 else 0)
    if painted is None:
        painted = im.convert("L").point(lambda v: 255 if v > 127 else 0)
    if painted.getbbox() is None:
        raise UploadError("invalid_mask", "The mask is empty; paint the area to edit.", 400)
    buf = io.BytesIO()
    painted.save(buf, "PNG", optimize=False)
    return buf.getvalue()


# --- Streaming cap ----------------------------------------------------------------------------


class MaxSizeUploadHandler(FileUploadHandler):
    """Stop a multipart upload as soon as one file passes UPLOAD_MAX_BYTES.

    Django has no maximum file size: FILE_UPLOAD_MAX_MEMORY_SIZE only
    decides memory vs temporary file, so a 30 MB file is otherwise written to disk in full. This
    handler goes first in FILE_UPLOAD_HANDLERS, passes chunks through to the memory/temporary-file
    handlers, and raises StopUpload once the running total of the current file exceeds the cap.

    How the view finds out: the handler sets `request.upload_too_large = True`, and the file (and
    every field after it in the body) is simply missing from request.POST/FILES. Views call
    `check_upload_cap(request)` before reading the form, so the user gets a 413 upload_too_large
    rather than a confusing "image is required".

    StopUpload(connection_reset=False) makes Django read and discard the rest of the body, so the
    client is still listening when the 413 goes out (browsers report a reset connection instead of
    the response otherwise); nothing more is stored. The reverse proxy's body limit
    (nginx client_max_body_size) is what keeps very large bodies off the wire entirely.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.max_bytes = max_upload_bytes()
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        # `start` is this file's running total before the chunk (Django resets it per file).
        if start + len(raw_data) > self.max_bytes:
            self.too_large = True
            if self.request is not None:
                self.request.upload_too_large = True  # type: ignore[attr-defined]  # read by check_upload_cap
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler in FILE_UPLOAD_HANDLERS builds the UploadedFile


def check_upload_cap(request: Any) -> None:
    """Raise UploadError(upload_too_large, 413) if MaxSizeUploadHandler cut this request short.

    Touching request.FILES parses the body if nothing has yet (CsrfViewMiddleware usually has),
    which is when the handler runs. Harmless for non-multipart requests.
    """
    request.FILES  # noqa: B018 - parsing is the point
    if getattr(request, "upload_too_large", False):
        raise too_large_error()
