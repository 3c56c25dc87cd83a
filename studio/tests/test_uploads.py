"""studio/uploads.py: every user-supplied image is decoded, capped and re-encoded before use."""

from __future__ import annotations

import base64
import io
import os
import struct
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import RequestFactory
from PIL import Image, ImageCms, ImageFile

from studio import uploads
from studio.uploads import CleanImage, MaxSizeUploadHandler, UploadError

STATUS = {
    "upload_too_large": 413,
    "unsupported_image_type": 415,
    "invalid_image": 400,
    "image_too_large": 400,
    "mask_size_mismatch": 400,
    "invalid_mask": 400,
}
GPS_IFD = 0x8825
ORIENTATION = 0x0112


# --- helpers ----------------------------------------------------------------------------------


def refused(code: str, func, *args) -> UploadError:
    """Call func(*args), assert it refuses with `code` and that code's status, return the error."""
    with pytest.raises(UploadError) as info:
        func(*args)
    err = info.value
    assert (err.code, err.status) == (code, STATUS[code]), err
    assert err.message and str(err) == err.message
    return err


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def make_image(*, fmt: str = "PNG", size=(32, 16), mode: str = "RGB", color="red", **params) -> bytes:
    return encode(Image.new(mode, size, color), fmt, **params)


def noise_png(size=(256, 256)) -> bytes:
    """Random pixels, so the PNG is large and every byte of it matters to the decoder."""
    return encode(Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)), "PNG")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A well-formed PNG of a few dozen bytes whose header claims width×height RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + png_chunk(b"IEND", b"")
    )


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def white_pixels(data: bytes) -> set[tuple[int, int]]:
    im = opened(data)
    return {(x, y) for y in range(im.height) for x in range(im.width) if im.getpixel((x, y)) == 255}


# --- clean_image: what is accepted ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_it_round_trips_each_allowed_format(fmt, mime):
    clean = uploads.clean_image(make_image(fmt=fmt, size=(48, 20)))

    assert isinstance(clean, CleanImage)
    assert (clean.format, clean.mime_type, clean.width, clean.height) == (fmt, mime, 48, 20)
    assert clean.size == (48, 20)
    back = opened(clean.data)
    assert (back.format, back.size) == (fmt, (48, 20))


def test_it_takes_a_django_upload_and_trusts_the_bytes_not_the_name_or_content_type():
    upload = SimpleUploadedFile("holiday.jpg", make_image(fmt="PNG"), content_type="image/jpeg")
    upload.read(10)  # a form peeked at it: cleaning must still start from the first byte

    clean = uploads.clean_image(upload)

    assert (clean.format, clean.mime_type) == ("PNG", "image/png")


def test_it_reads_limits_from_settings_at_call_time_and_accepts_exactly_the_cap(settings):
    data = make_image(fmt="PNG")
    settings.UPLOAD_MAX_BYTES = len(data)
    assert uploads.clean_image(data).format == "PNG"

    settings.UPLOAD_MAX_BYTES = len(data) - 1
    refused("upload_too_large", uploads.clean_image, data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_strips_exif_gps_and_icc(fmt):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "S"
    gps[2] = (33.0, 55.0, 12.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = make_image(fmt=fmt, exif=exif, icc_profile=icc)
    assert opened(original).getexif().get_ifd(GPS_IFD)  # the fixture really carries a location

    clean = uploads.clean_image(original)

    back = opened(clean.data)
    assert len(back.getexif()) == 0
    assert not back.getexif().get_ifd(GPS_IFD)
    assert "icc_profile" not in back.info and "exif" not in back.info
    assert b"SpyCam" not in clean.data


def test_it_strips_xmp_and_comments_from_a_jpeg():
    original = make_image(fmt="JPEG", xmp=b"<x:xmpmeta>home address</x:xmpmeta>", comment="secret")
    assert b"home address" in original and b"secret" in original

    clean = uploads.clean_image(original)

    assert b"home address" not in clean.data and b"secret" not in clean.data
    assert "xmp" not in opened(clean.data).info


def test_it_turns_the_image_upright_per_exif_orientation():
    im = Image.new("RGB", (40, 20), "blue")
    im.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90° clockwise to display": the left edge becomes the top

    clean = uploads.clean_image(encode(im, "JPEG", exif=exif))

    assert (clean.width, clean.height) == (20, 40)
    back = opened(clean.data).convert("RGB")
    top, bottom = back.getpixel((10, 5)), back.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert ORIENTATION not in back.getexif()


def test_it_accepts_a_camera_jpeg_with_extra_pictures_as_a_plain_jpeg():
    photo, depth = Image.new("RGB", (30, 20), "red"), Image.new("RGB", (30, 20), "blue")
    mpo = encode(photo, "MPO", save_all=True, append_images=[depth])
    assert Image.open(io.BytesIO(mpo)).format == "MPO"

    clean = uploads.clean_image(mpo)

    assert (clean.format, clean.size) == ("JPEG", (30, 20))
    assert opened(clean.data).getpixel((15, 10))[0] > 200  # frame 0, the photo itself


def test_it_converts_a_cmyk_jpeg_to_rgb():
    clean = uploads.clean_image(make_image(fmt="JPEG", mode="CMYK", color=(0, 255, 255, 0)))

    back = opened(clean.data)
    assert (clean.format, back.mode) == ("JPEG", "RGB")
    assert back.getpixel((5, 5))[0] > 200 and back.getpixel((5, 5))[1] < 60


def test_it_keeps_transparency_as_rgba_for_palette_and_la_pngs():
    palette = Image.new("P", (8, 8), 0)
    palette.putpixel((1, 1), 1)
    for source in (
        encode(palette, "PNG", transparency=0),
        make_image(fmt="PNG", mode="LA", color=(200, 0), size=(8, 8)),
    ):
        back = opened(uploads.clean_image(source).data)
        assert back.mode == "RGBA"
        assert back.getpixel((0, 0))[3] == 0


def test_it_keeps_alpha_in_a_webp():
    back = opened(uploads.clean_image(make_image(fmt="WEBP", mode="RGBA", color=(0, 0, 255, 0))).data)
    assert back.mode == "RGBA" and back.getpixel((0, 0))[3] == 0


def test_it_scales_16_bit_greyscale_instead_of_clipping_it_to_white():
    source = make_image(fmt="PNG", mode="I;16", color=40000)

    back = opened(uploads.clean_image(source).data)

    assert back.mode == "L"
    assert 150 <= back.getpixel((0, 0)) <= 160  # 40000 / 256 ≈ 156, not 255


# --- clean_image: what is refused -------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("TIFF", "TIFF"), ("BMP", "BMP")])
def test_it_refuses_other_image_formats_as_unsupported(fmt, name):
    err = refused("unsupported_image_type", uploads.clean_image, make_image(fmt=fmt))
    assert name in err.message and "PNG, JPEG or WebP" in err.message


def test_it_refuses_text_renamed_as_png():
    upload = SimpleUploadedFile("cat.png", b"just some text, honest\n" * 20, content_type="image/png")
    refused("invalid_image", uploads.clean_image, upload)


def test_it_refuses_an_empty_file():
    refused("invalid_image", uploads.clean_image, b"")


def test_it_refuses_a_truncated_png():
    data = noise_png()
    assert uploads.clean_image(data).format == "PNG"  # the whole file is fine

    refused("invalid_image", uploads.clean_image, data[: len(data) // 2])


def test_it_refuses_a_tiny_png_claiming_100_megapixels_before_decoding_it(monkeypatch):
    bomb = png_header_only(10_000, 10_000)
    assert len(bomb) < 100
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: decoded.append(im) or real_load(im))

    started = time.monotonic()
    err = refused("image_too_large", uploads.clean_image, bomb)

    assert time.monotonic() - started < 0.5
    assert decoded == []
    assert "40 megapixels" in err.message


def test_it_refuses_more_pixels_than_the_app_allows_even_below_pillows_own_limit(monkeypatch):
    # 49 MP: over our 40 MP, under the 89.5 MP at which Pillow would even warn.
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: decoded.append(im) or real_load(im))

    err = refused("image_too_large", uploads.clean_image, png_header_only(7000, 7000))
    assert "7000×7000" in err.message
    refused("image_too_large", uploads.clean_image, png_header_only(9000, 10))  # a side over 8192
    assert decoded == []


def test_it_refuses_a_header_that_trips_pillows_bomb_error_cleanly():
    bomb = png_header_only(20_000, 20_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb))  # what would escape without the translation

    refused("image_too_large", uploads.clean_image, bomb)


def test_it_refuses_an_11_mb_file_as_bytes_and_as_an_upload():
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 1024 * 1024)
    refused("upload_too_large", uploads.clean_image, big)
    refused("upload_too_large", uploads.clean_image, SimpleUploadedFile("big.png", big))


def test_it_refuses_an_upload_by_its_received_size_without_reading_it():
    class Unreadable(io.BytesIO):
        def read(self, *args):
            pytest.fail("read an upload whose received size is already over the cap")

    upload = UploadedFile(Unreadable(), name="big.png", size=11 * 1024 * 1024)
    refused("upload_too_large", uploads.clean_image, upload)


def test_it_never_reads_an_endless_stream_past_the_cap():
    class Endless(io.RawIOBase):
        """A stream that never ends and hands out at most 64 KB per read, like a socket."""

        total = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            assert self.total <= 2 * uploads.max_upload_bytes(), "kept reading far past the cap"
            n = min(len(buffer), 64 * 1024)
            buffer[:n] = b"\x00" * n
            self.total += n
            return n

    stream = Endless()
    refused("upload_too_large", uploads.clean_image, stream)
    assert stream.total <= uploads.max_upload_bytes() + 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_it_refuses_an_animated_image(fmt):
    first, second = Image.new("RGB", (16, 16), "red"), Image.new("RGB", (16, 16), "blue")
    animated = encode(first, fmt, save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(animated)).n_frames == 2

    err = refused("unsupported_image_type", uploads.clean_image, animated)
    assert "Animated" in err.message


# --- clean_mask -------------------------------------------------------------------------------


def test_it_refuses_a_mask_of_the_wrong_size():
    mask = make_image(fmt="PNG", mode="L", size=(32, 16), color=255)

    err = refused("mask_size_mismatch", uploads.clean_mask, mask, (64, 32))

    assert "32×16" in err.message and "64×32" in err.message


def test_it_refuses_an_all_black_mask():
    refused("invalid_mask", uploads.clean_mask, make_image(fmt="PNG", color="black"), (32, 16))


def test_it_refuses_a_fully_transparent_mask():
    mask = make_image(fmt="PNG", mode="RGBA", color=(255, 255, 255, 0))
    err = refused("invalid_mask", uploads.clean_mask, mask, (32, 16))
    assert "paint the area to edit" in err.message


def test_it_turns_painted_alpha_into_exactly_those_mask_pixels():
    im = Image.new("RGBA", (32, 16), (0, 0, 0, 0))
    painted = {(3, 4), (4, 4), (20, 10), (31, 15)}
    im.putpixel((3, 4), (0, 0, 0, 255))  # black but opaque: painted (alpha decides, not colour)
    im.putpixel((4, 4), (255, 0, 0, 1))  # barely visible: still painted
    im.putpixel((20, 10), (255, 255, 255, 128))
    im.putpixel((31, 15), (10, 200, 10, 255))
    im.putpixel((0, 0), (255, 255, 255, 0))  # white but transparent: not painted

    out = uploads.clean_mask(encode(im, "PNG"), (32, 16))

    back = opened(out)
    assert (back.format, back.mode, back.size) == ("PNG", "L", (32, 16))
    assert [value for value, count in enumerate(back.histogram()) if count] == [0, 255]
    assert white_pixels(out) == painted


def test_it_uses_luminance_for_a_mask_without_transparency():
    im = Image.new("RGBA", (32, 16), (0, 0, 0, 255))  # fully opaque: alpha says nothing
    im.paste((255, 255, 255, 255), (8, 4, 12, 6))
    im.putpixel((0, 0), (127, 127, 127, 255))  # luminance 127: not painted
    im.putpixel((0, 1), (128, 128, 128, 255))  # luminance 128: painted

    out = uploads.clean_mask(encode(im, "PNG"), (32, 16))

    assert white_pixels(out) == {(x, y) for x in range(8, 12) for y in range(4, 6)} | {(0, 1)}


def test_it_accepts_a_jpeg_mask_despite_compression_noise():
    im = Image.new("RGB", (32, 16), "black")
    im.paste((255, 255, 255), (0, 0, 16, 16))

    out = uploads.clean_mask(encode(im, "JPEG", quality=70), (32, 16))

    pixels = white_pixels(out)
    assert (4, 8) in pixels and (28, 8) not in pixels


# --- data URLs --------------------------------------------------------------------------------


def test_it_decodes_a_data_url_and_bare_base64():
    data = make_image(fmt="PNG")
    encoded = base64.b64encode(data).decode()

    assert uploads.decode_data_url(f"data:image/png;base64,{encoded}") == data
    assert uploads.decode_data_url(encoded) == data
    assert uploads.clean_image(f"data:image/jpeg;base64,{encoded}").format == "PNG"  # bytes decide
    mask = base64.b64encode(make_image(fmt="PNG", color="white")).decode()
    assert white_pixels(uploads.clean_mask(f"data:image/png;base64,{mask}", (32, 16)))


@pytest.mark.parametrize(
    "value",
    [
        "data:image/png;base64,not*base64!",
        "data:image/png;base64,iVBO*Rw0K",  # valid once the junk is skipped: must not be skipped
        "data:image/png;base64,iVBORw0KGgo",  # missing padding
        "data:image/png,%89PNG",  # not base64-encoded
        "data:image/png;base64",  # no comma, no payload
        "data:image/png;base64,",
        "",
    ],
)
def test_it_refuses_a_bad_data_url(value):
    refused("invalid_image", uploads.decode_data_url, value)


def test_it_refuses_an_oversized_data_url_before_decoding_it(settings, monkeypatch):
    settings.UPLOAD_MAX_BYTES = 3000
    monkeypatch.setattr(base64, "b64decode", lambda *a, **k: pytest.fail("decoded oversize input"))

    refused("upload_too_large", uploads.decode_data_url, "data:image/png;base64," + "A" * 4004)
    refused("upload_too_large", uploads.decode_data_url, "A" * 100_000)


# --- the streaming cap ------------------------------------------------------------------------


def test_it_stops_a_stream_once_the_current_file_passes_the_cap(settings):
    settings.UPLOAD_MAX_BYTES = 100
    request = RequestFactory().post("/")
    handler = MaxSizeUploadHandler(request)
    handler.new_file("image", "big.png", "image/png", None)

    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    assert handler.receive_data_chunk(b"x" * 40, 60) == b"x" * 40  # exactly at the cap
    assert not getattr(request, "upload_too_large", False)
    with pytest.raises(StopUpload) as info:
        handler.receive_data_chunk(b"x", 100)

    assert info.value.connection_reset is False  # Django drains the body so the 413 gets read
    assert handler.too_large and request.upload_too_large is True
    assert handler.file_complete(101) is None  # never builds a file itself


def test_it_leaves_an_oversized_file_out_of_a_real_multipart_request(settings):
    settings.UPLOAD_MAX_BYTES = 50_000
    settings.FILE_UPLOAD_HANDLERS = [
        "studio.uploads.MaxSizeUploadHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    factory = RequestFactory()
    big = factory.post("/", {"prompt": "a cat", "image": SimpleUploadedFile("a.png", noise_png())})
    small = factory.post("/", {"prompt": "a cat", "image": SimpleUploadedFile("a.png", make_image())})

    err = refused("upload_too_large", uploads.check_upload_cap, big)
    uploads.check_upload_cap(small)

    assert "image" not in big.FILES and big.upload_too_large is True
    assert err.message.startswith("The file is larger than")
    assert small.FILES["image"].read() == make_image()
    assert small.POST["prompt"] == "a cat"
