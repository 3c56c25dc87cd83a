"""Links to stored media, and the view that serves local media files.

Every asset link is one a user can share: whoever holds it may fetch that one file until it
expires (MEDIA_SIGNED_URL_HOURS). With media in a bucket the link is a V4 signed URL on Google's
host (django-storages signs it, through the providers package), and Google does the serving
(Range, caching, bandwidth). With local storage it points at `serve_asset` below, carrying a
django.core.signing timestamped signature of what it grants (so links signed before a SECRET_KEY
rotation keep working while the old key is in SECRET_KEY_FALLBACKS); that view also serves the
owner's own session without a signature. Anyone else gets 404, never 403, so an asset id reveals
nothing.

Local serving streams in 64 KiB chunks with single-range support, because Django's FileResponse
ignores Range and a video player cannot seek without it. Under the
ASGI entry point (mediastudio/asgi.py: `make run`, the container) the body is an async iterator,
so a slow viewer holds a socket on the event loop, not a thread. Behind nginx,
MEDIA_ACCEL_REDIRECT_PREFIX hands the bytes to nginx instead (X-Accel-Redirect): Django still
decides who may fetch the file, nginx does Range and slow clients.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import mimetypes
import posixpath
import re
import time
from datetime import timedelta
from typing import cast
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseForbidden,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe
from django.views.decorators.http import require_http_methods

from studio import providers
from studio.models import MediaAsset

log = logging.getLogger(__name__)

VARIANTS = ("file", "thumbnail")
CHUNK_SIZE = 64 * 1024
# The owner's own session links: the browser may keep the bytes this long.
OWNER_CACHE_SECONDS = 3600
# A GCS redirect only has to outlive one fetch; the browser may reuse the redirect for a few
# minutes, so a gallery reloaded within them hits the browser cache instead of a fresh URL.
REDIRECT_HOURS = 1
REDIRECT_CACHE_SECONDS = 300
# Purpose-specific salt: a signature made for any other use of SECRET_KEY never validates here.
_LINK_SALT = "studio.serving.media-link"


# --- Links -----------------------------------------------------------------------------------


def media_url(asset: MediaAsset, variant: str = "file", *, download: bool = False) -> str | None:
    """A URL that lets whoever holds it fetch `variant` of `asset` for MEDIA_SIGNED_URL_HOURS.

    `variant` is "file" (the image or video) or "thumbnail" (a small WebP; a video's poster).
    Returns None when the asset has no such file (a video whose poster could not be made), so
    callers can put null in JSON; an unknown variant is a programming error (ValueError).
    `download` asks the browser to save rather than display the file.

    Local storage gives a site-relative path (see `absolute`); a bucket gives an absolute https
    URL. A bucket that cannot sign raises providers.ConfigurationError.
    """
    field = _field(asset, variant)
    if not field:
        return None
    if providers.is_bucket_storage(field.storage):
        return _bucket_url(asset, variant, download, hours=settings.MEDIA_SIGNED_URL_HOURS)
    granted = _granted(asset.id, variant, download)
    # The path and `dl` already say what is granted: the query carries only "timestamp:signature".
    token = _link_signer().sign(granted)[len(granted) + 1 :]
    query = {"dl": "1", "sig": token} if download else {"sig": token}
    path = reverse("asset-media", kwargs={"asset_id": asset.id, "variant": variant})
    return f"{path}?{urlencode(query)}"


def _bucket_url(asset: MediaAsset, variant: str, download: bool, *, hours: int) -> str:
    field = _field(asset, variant)
    return providers.signed_storage_url(
        field.storage,
        field.name,
        hours=hours,
        download_name=download_name(asset, variant) if download else None,
    )


def download_name(asset: MediaAsset, variant: str = "file") -> str:
    """The file name offered on download, e.g. media-studio-video-1a2b3c4d.mp4."""
    field = _field(asset, variant)
    extension = posixpath.splitext(field.name)[1].lower() if field else ""
    suffix = "-thumbnail" if variant == "thumbnail" else ""
    return f"media-studio-{asset.kind}-{asset.id.hex[:8]}{suffix}{extension}"


# --- The view ----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def serve_asset(request: HttpRequest, asset_id, variant: str) -> HttpResponseBase:
    """Serve one asset file to the holder of a valid link or to its owner; 404 to anyone else.

    A genuine link past its expiry gets 403 "This link has expired" rather than 404: only
    someone who once held the link can get that answer, so it reveals nothing new, and it tells
    them why the link stopped working. Not 410: the asset is not gone (its owner can still open
    it, and a fresh link works), and 410 is cacheable by default.
    """
    if variant not in VARIANTS:
        raise Http404
    download = request.GET.get("dl") == "1"
    link = _check_link(request.GET, str(asset_id), variant, download)
    asset = MediaAsset.objects.filter(pk=asset_id).first()
    if asset is None:
        raise Http404
    # The session is only consulted without a valid link, so a shared link's response does not
    # vary on the cookie.
    if link is not _Link.VALID and not _is_owner(request, asset):
        if link is _Link.EXPIRED:
            return HttpResponseForbidden("This link has expired", content_type="text/plain; charset=utf-8")
        raise Http404
    field = _field(asset, variant)
    if not field:
        raise Http404

    if providers.is_bucket_storage(field.storage):
        try:
            signed = _bucket_url(asset, variant, download, hours=REDIRECT_HOURS)
        except providers.ProviderError as e:  # the deployment cannot sign GCS URLs (no key, no signBlob)
            log.error("cannot sign a GCS media URL: %s", e.message)
            return HttpResponse("Media storage is not available right now.", status=503)
        response = HttpResponseRedirect(signed)
        response["Cache-Control"] = f"private, max-age={REDIRECT_CACHE_SECONDS}"
        return response

    if link is _Link.VALID:  # a shared link: the browser may keep it no longer than it is valid
        cache_seconds = max(0, min(_seconds_left(request.GET["sig"]), OWNER_CACHE_SECONDS))
    else:
        cache_seconds = OWNER_CACHE_SECONDS
    content_type = asset.mime_type if variant == "file" else _guess_type(field.name, "image/webp")
    # A header always: the download name is never empty.
    disposition = cast(str, content_disposition_header(download, download_name(asset, variant)))
    if settings.MEDIA_ACCEL_REDIRECT_PREFIX:
        return _accel_redirect(
            field.name,
            content_type=content_type or "application/octet-stream",
            disposition=disposition,
            cache_seconds=cache_seconds,
        )
    return ranged_response(
        request,
        field.storage,
        field.name,
        content_type=content_type or "application/octet-stream",
        disposition=disposition,
        cache_seconds=cache_seconds,
    )


def _accel_redirect(name: str, *, content_type: str, disposition: str, cache_seconds: int) -> HttpResponse:
    """An empty answer that tells nginx to send MEDIA_ROOT/`name` itself from its internal location.

    nginx keeps these headers and adds the body, Content-Length, Range (206/416) and validators.
    """
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + quote(name)
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = f"private, max-age={cache_seconds}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Range serving -------------------------------------------------------------------------------


class Unsatisfiable(Exception):
    """The Range header asks only for bytes the file does not have (416)."""


# One range of a unit we know; anything else (multiple ranges, other units, nonsense) is ignored
# and the whole file served, as RFC 9110 §14.2 allows. 19 digits keep int() cheap and bounded.
_RANGE = re.compile(r"bytes\s*=\s*([0-9]{0,19})\s*-\s*([0-9]{0,19})\s*", re.IGNORECASE)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions one Range header asks for, or None for all.

    Raises Unsatisfiable when it asks only for bytes past the end (or for the last 0 bytes).
    """
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # suffix: the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    if last and int(last) < start:  # an invalid range, so the header is ignored
        return None
    if start >= size:
        raise Unsatisfiable
    return start, (min(int(last), size - 1) if last else size - 1)


class _FileRange:
    """Bytes [start, start + length) of a stored file in 64 KiB chunks.

    An iterator object rather than a generator: StreamingHttpResponse registers its close() with
    the response, and the WSGI server calls that even when the client went away mid-stream.
    A generator that never started would skip its finally block and leak the file.
    """

    def __init__(self, storage, name: str, start: int, length: int) -> None:
        self._file = storage.open(name, "rb")
        try:
            self._file.seek(start)
        except BaseException:
            self._file.close()
            raise
        self._remaining = length

    def __iter__(self) -> _FileRange:
        return self

    def __next__(self) -> bytes:
        if self._remaining <= 0:
            self.close()
            raise StopIteration
        chunk = self._file.read(min(CHUNK_SIZE, self._remaining))
        if not chunk:  # the file shrank underneath us; the short body tells the client
            self.close()
            raise StopIteration
        self._remaining -= len(chunk)
        return chunk

    def close(self) -> None:
        self._file.close()


class _AsyncFileRange:
    """The same bytes for an ASGI server: each chunk is read in a thread and sent from the event
    loop, so waiting for a slow client holds no thread. Django closes it as it closes _FileRange.
    """

    def __init__(self, chunks: _FileRange) -> None:
        self._chunks = chunks

    def __aiter__(self) -> _AsyncFileRange:
        return self

    async def __anext__(self) -> bytes:
        chunk = await asyncio.to_thread(next, self._chunks, None)
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def close(self) -> None:
        self._chunks.close()


def ranged_response(
    request: HttpRequest, storage, name: str, *, content_type: str, disposition: str, cache_seconds: int
) -> HttpResponseBase:
    try:
        size = storage.size(name)
    except FileNotFoundError:
        raise Http404 from None
    last_modified = _modified_timestamp(storage, name)
    etag = f'"{size:x}-{last_modified:x}"' if last_modified is not None else None
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": f"private, max-age={cache_seconds}",
        "X-Content-Type-Options": "nosniff",
    }
    if etag:
        headers["ETag"] = etag
        headers["Last-Modified"] = http_date(last_modified)

    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if conditional is not None:  # 304 Not Modified or 412 Precondition Failed
        for key, value in headers.items():
            conditional[key] = value
        return conditional

    byte_range = None
    # RFC 9110 §14.2: Range is defined for GET only; HEAD describes the whole file.
    if request.method == "GET" and _if_range_holds(request, etag, last_modified):
        try:
            byte_range = parse_range(request.headers.get("Range"), size)
        except Unsatisfiable:
            refused = HttpResponse(status=416, headers=headers)
            refused["Content-Range"] = f"bytes */{size}"
            refused["Content-Length"] = "0"
            return refused

    start, end = byte_range if byte_range else (0, size - 1)
    length = end - start + 1
    response: HttpResponseBase
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type, headers=headers)
    else:
        chunks = _FileRange(storage, name, start, length)
        # Django buffers an async body whole under WSGI, and a sync one under ASGI: match the server.
        body = _AsyncFileRange(chunks) if isinstance(request, ASGIRequest) else chunks
        response = StreamingHttpResponse(body, content_type=content_type, headers=headers)
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = disposition
    if byte_range:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _if_range_holds(request: HttpRequest, etag: str | None, last_modified: int | None) -> bool:
    """Whether a Range may apply: no If-Range, or it names the current version exactly.

    A client resuming with a stale validator must get the whole new file, not a splice.
    """
    value = (request.headers.get("If-Range") or "").strip()
    if not value:
        return True
    if value.startswith(('"', "W/")):
        return etag is not None and value == etag  # strong comparison: weak tags never match
    date = parse_http_date_safe(value)
    return date is not None and date == last_modified


def _modified_timestamp(storage, name: str) -> int | None:
    try:
        return int(storage.get_modified_time(name).timestamp())
    except (NotImplementedError, OSError):
        return None


# --- Signatures ----------------------------------------------------------------------------------


class _Link(enum.Enum):
    ABSENT = "absent"
    INVALID = "invalid"
    EXPIRED = "expired"
    VALID = "valid"


def _link_signer() -> signing.TimestampSigner:
    # SECRET_KEY signs; checking also accepts SECRET_KEY_FALLBACKS, so a key rotation keeps the
    # links already given out working while the old key is a fallback.
    return signing.TimestampSigner(salt=_LINK_SALT)


def _granted(asset_id, variant: str, download: bool) -> str:
    return f"{asset_id}/{variant}/{int(download)}"


def _max_age() -> timedelta:
    return timedelta(hours=settings.MEDIA_SIGNED_URL_HOURS)


def _check_link(query: QueryDict, asset_id: str, variant: str, download: bool) -> _Link:
    token = query.get("sig", "")
    if not token:
        return _Link.ABSENT
    try:
        _link_signer().unsign(f"{_granted(asset_id, variant, download)}:{token}", max_age=_max_age())
    except signing.SignatureExpired:  # checked only once the signature is genuine
        return _Link.EXPIRED
    except signing.BadSignature:
        return _Link.INVALID
    return _Link.VALID


def _seconds_left(token: str) -> int:
    """How long a genuine link's token stays valid (its timestamp is the part before the ':')."""
    signed_at = signing.b62_decode(token.partition(":")[0])
    return int(_max_age().total_seconds() - (time.time() - signed_at))


# --- Helpers -------------------------------------------------------------------------------------


def _field(asset: MediaAsset, variant: str):
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    return asset.file if variant == "file" else asset.thumbnail


def _is_owner(request: HttpRequest, asset: MediaAsset) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.pk == asset.owner_id)


def _guess_type(name: str, default: str) -> str:
    return mimetypes.guess_type(name)[0] or default
