"""The FREE tier's preview image through Pollinations' gen gateway.

GET {POLLINATIONS_BASE_URL}/image/{url-encoded prompt}?model=&width=&height=&seed=, with
POLLINATIONS_API_KEY as a Bearer token when set. Pollinations sometimes answers 200 with something
that is not an image (a gateway page), so the Content-Type is checked, not just the status.
Plain urllib: one GET needs no extra dependency.
"""

from __future__ import annotations

import functools
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from . import media
from .base import (
    ConfigurationError,
    Family,
    GeneratedImage,
    GenerateImagesRequest,
    ImageResult,
    InvalidRequestError,
    ModelUnavailableError,
    ProviderError,
    RetryableError,
    SafetyBlockedError,
)
from .catalog import Route
from .resilience import call_guarded, transport_error

# About one megapixel at each aspect ratio the studio offers, in multiples of 64.
SIZES = {
    "1:1": (1024, 1024),
    "3:4": (896, 1152),
    "4:3": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
}
MAX_SIDE = 2048  # the long side of a preview, so that 1:8 stays a sensible download


def size_for(ratio: str) -> tuple[int, int]:
    """Pixels for `ratio` ("21:9"): the table's, else about one megapixel, sides in multiples of 64."""
    if ratio in SIZES:
        return SIZES[ratio]
    try:
        wide, high = (int(part) for part in ratio.split(":"))
    except ValueError:
        return SIZES["1:1"]
    scale = min((1024 * 1024 / (wide * high)) ** 0.5, MAX_SIDE / max(wide, high))
    return max(64, round(wide * scale / 64) * 64), max(64, round(high * scale / 64) * 64)


class PollinationsAdapter:
    family = Family.POLLINATIONS

    def __init__(self, route: Route) -> None:
        self.route = route
        self.model = route.model_id

    def generate(self, request: GenerateImagesRequest) -> ImageResult:
        width, height = request.width, request.height
        if not (width and height):
            width, height = size_for(request.aspect_ratio)
        images: list[GeneratedImage] = []
        for index in range(request.count):
            # The gateway takes seeds up to 2^31-1; fold larger ones (the studio's are uint32).
            seed = (request.seed + index) % 2_147_483_648 if request.seed is not None else None
            url = self._url(request.prompt, width, height, seed)
            data, mime = call_guarded(
                functools.partial(self._get, url), model_id=self.model, family=self.family
            )
            actual_width, actual_height = media.image_size(data) or (width, height)
            images.append(GeneratedImage(mime_type=mime, data=data, width=actual_width, height=actual_height))
        return ImageResult(
            images=images,
            model=self.model,
            price_class=self.route.price_class,
            synthid=False,
            seed_applied=request.seed is not None,
        )

    def _url(self, prompt: str, width: int, height: int, seed: int | None) -> str:
        base = settings.POLLINATIONS_BASE_URL.rstrip("/")
        query = {"model": self.model, "width": width, "height": height}
        if seed is not None:
            query["seed"] = seed
        return f"{base}/image/{urllib.parse.quote(prompt, safe='')}?{urllib.parse.urlencode(query)}"

    def _get(self, url: str) -> tuple[bytes, str]:
        headers = {"Accept": "image/*", "User-Agent": "media-studio/1.0"}
        if settings.POLLINATIONS_API_KEY:
            headers["Authorization"] = f"Bearer {settings.POLLINATIONS_API_KEY}"
        timeout = settings.PROVIDER_POLLINATIONS_TIMEOUT_SECONDS
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=timeout
            ) as response:
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                body = response.read()
        except urllib.error.HTTPError as e:
            raise self._http_error(e) from e
        except (OSError, ValueError, http.client.HTTPException) as e:  # URLError is an OSError
            raise self._transport_error(e) from e
        if not content_type.startswith("image/") or not body:
            # A 200 that is not an image is a gateway or placeholder page, not a result.
            raise RetryableError(
                f"Pollinations answered {content_type or 'nothing'} instead of an image", model=self.model
            )
        return body, content_type

    def _transport_error(self, e: Exception) -> ProviderError:
        malformed = isinstance(e, ValueError) or (
            isinstance(e, urllib.error.URLError) and not isinstance(e.reason, BaseException)
        )
        if malformed:
            return ConfigurationError(f"POLLINATIONS_BASE_URL is not usable: {e}", model=self.model)
        return transport_error(e, model=self.model) or RetryableError(
            f"Connection failed: {e}", model=self.model
        )

    def _http_error(self, e: urllib.error.HTTPError) -> ProviderError:
        message = _error_message(e)
        status = e.code
        text = f"Pollinations {status}: {message}"
        if status == 429:
            return RetryableError(text, may_have_started=False, model=self.model, http_status=status)
        if status >= 500:
            return RetryableError(text, model=self.model, http_status=status)
        if status == 402 and "queue full" in message.lower():
            # The legacy host's x402 answer: one request per IP is already queued. Busy, not broken.
            return RetryableError(text, may_have_started=False, model=self.model, http_status=status)
        if status in (401, 402, 403):
            # 401/403: key missing or wrong; 402: balance or tier too low for this model.
            return ConfigurationError(text, model=self.model, http_status=status)
        if status == 404:
            return ModelUnavailableError(text, model=self.model, http_status=status)
        if any(word in message.lower() for word in ("nsfw", "safety", "unsafe", "content policy", "flagged")):
            return SafetyBlockedError(text, model=self.model, http_status=status)
        return InvalidRequestError(text, model=self.model, http_status=status)


def _error_message(e: urllib.error.HTTPError) -> str:
    """The message from Pollinations' JSON error body ({"error": {"message": ...}}), or the raw text."""
    try:
        raw = e.read()[:4096].decode("utf-8", "replace")
    except Exception:
        return e.reason or ""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.strip() or str(e.reason)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or body.get("message") or raw)
