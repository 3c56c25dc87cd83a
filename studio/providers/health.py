"""What `manage.py provider_check` and the staff view of /health report: catalog, configuration,
breakers, lifecycle warnings, and the optional live calls. Operator-facing: model ids, settings and
the providers' raw answers are the point here, so nothing from this module reaches a user
(studio/health.py shows anonymous callers only the verdict)."""

from __future__ import annotations

import io
import os
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from . import catalog, gcs
from .base import (
    ComposeImageRequest,
    EditImageRequest,
    EditMode,
    Family,
    GenerateImagesRequest,
    ImageInput,
    ImageResult,
    Operation,
    ProviderError,
    TextRequest,
    TextResult,
    UpscaleImageRequest,
    VideoRequest,
)
from .resilience import breaker_state


@dataclass(frozen=True)
class CatalogRow:
    operation: str
    model: str
    family: str
    price_class: str
    location: str
    lifecycle: str
    retirement_date: str
    setting: str
    note: str = ""  # the catalog's words on the model (e.g. that V3 upscale runs on the V4 model now)


def catalog_rows() -> list[CatalogRow]:
    rows = []
    for operation, spec in catalog.OPERATIONS.items():
        model = catalog.model_info(catalog.configured_model_id(operation))
        price = spec.price_class + (f" / {spec.audio_price_class}" if spec.audio_price_class else "")
        rows.append(
            CatalogRow(
                operation=str(operation),
                model=model.model_id,
                family=str(model.family),
                price_class=price,
                location=catalog.location_for(model),
                lifecycle=str(model.status()),
                retirement_date=model.retirement_date.isoformat() if model.retirement_date else "-",
                setting=spec.setting,
                note=model.note,
            )
        )
    return rows


def configuration() -> list[tuple[str, str]]:
    redis_url = getattr(settings, "REDIS_URL", "")
    return [
        ("VERTEX_PROJECT", settings.VERTEX_PROJECT),
        ("VERTEX_LOCATION", settings.VERTEX_LOCATION),
        ("GEMINI_LOCATION", settings.GEMINI_LOCATION),
        ("VERTEX_BASE_URL", settings.VERTEX_BASE_URL or "(Google, Application Default Credentials)"),
        ("VERTEX_API_VERSION", settings.VERTEX_API_VERSION),
        ("POLLINATIONS_BASE_URL", settings.POLLINATIONS_BASE_URL),
        ("POLLINATIONS_API_KEY", "set" if settings.POLLINATIONS_API_KEY else "not set"),
        ("GCS_BUCKET", settings.GCS_BUCKET or "(none: media on local disk, Veo videos inline)"),
        ("STORAGE_EMULATOR_HOST", os.environ.get("STORAGE_EMULATOR_HOST", "") or "(not set)"),
        ("GCS_SIGNING_KEY_FILE", settings.GCS_SIGNING_KEY_FILE or "(none: IAM signBlob)"),
        (
            "timeouts (s)",
            f"image {settings.PROVIDER_IMAGE_TIMEOUT_SECONDS}, "
            f"video {settings.PROVIDER_VIDEO_TIMEOUT_SECONDS}, "
            f"pollinations {settings.PROVIDER_POLLINATIONS_TIMEOUT_SECONDS}, "
            f"gcs {settings.PROVIDER_GCS_TIMEOUT_SECONDS}",
        ),
        (
            "retry policy",
            f"{settings.PROVIDER_RETRY_ATTEMPTS} attempts, {settings.PROVIDER_RETRY_INITIAL_SECONDS:g}s "
            f"x{settings.PROVIDER_RETRY_MULTIPLIER:g} up to {settings.PROVIDER_RETRY_MAX_SECONDS:g}s "
            f"+ up to {settings.PROVIDER_RETRY_JITTER_SECONDS:g}s jitter",
        ),
        (
            "breakers",
            f"images {settings.BREAKER_IMAGE_FAIL_MAX} failures / {settings.BREAKER_IMAGE_RESET_SECONDS:g}s, "
            f"video {settings.BREAKER_VIDEO_FAIL_MAX} failures / {settings.BREAKER_VIDEO_RESET_SECONDS:g}s",
        ),
        (
            "breaker storage",
            f"redis {_without_password(redis_url)} (sqlite {settings.BREAKER_STATE_PATH} while unreachable)"
            if redis_url
            else f"sqlite {settings.BREAKER_STATE_PATH}",
        ),
    ]


# Pollinations' gen gateway answers every call without a key with 401 UNAUTHORIZED
# (gemini-and-pollinations.md §4.2, issue #9873 in pollinations/pollinations, April 2026).
POLLINATIONS_KEY_MISSING = (
    "{operation}: POLLINATIONS_API_KEY is not set and Pollinations now refuses anonymous calls (401), "
    "so every call to {model} fails; set a secret key (sk_...) from https://enter.pollinations.ai"
)


def configuration_warnings() -> list[str]:
    """Settings that make an operation fail on every call, found without calling anyone."""
    warnings = []
    if not settings.POLLINATIONS_API_KEY:
        for operation in catalog.OPERATIONS:
            model = catalog.model_info(catalog.configured_model_id(operation))
            if model.family == Family.POLLINATIONS:
                warnings.append(POLLINATIONS_KEY_MISSING.format(operation=operation, model=model.model_id))
    return warnings


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def breaker_states() -> list[tuple[str, str, int]]:
    """(model, state, consecutive failures) for every model the settings use."""
    seen: dict[str, tuple[str, str, int]] = {}
    for operation in catalog.OPERATIONS:
        model = catalog.model_info(catalog.configured_model_id(operation))
        if model.model_id not in seen:
            state, failures = breaker_state(model.model_id, model.family)
            seen[model.model_id] = (model.model_id, state, failures)
    return list(seen.values())


@dataclass(frozen=True)
class LiveResult:
    operation: str
    model: str
    ok: bool
    detail: str
    seconds: float


def live_check() -> list[LiveResult]:
    """One minimal real call per configured model (the first operation that uses it).

    These are paid calls on Google: about one image each, and a 4-second 720p video without audio
    per Veo model (submitted and polled once, not awaited).
    """
    from . import get_provider, poll_video

    tiny = _tiny_png()
    calls = {
        Operation.IMAGE_GENERATE: lambda p: p.generate(
            GenerateImagesRequest(prompt="provider check: a red apple")
        ),
        Operation.IMAGE_PREVIEW: lambda p: p.generate(
            GenerateImagesRequest(prompt="provider check: a red apple")
        ),
        Operation.IMAGE_EDIT: lambda p: p.edit(
            EditImageRequest(
                image=ImageInput(data=tiny),
                mask=ImageInput(data=_tiny_png(mask=True)),
                mode=EditMode.INSERT,
                prompt="a small blue ball",
            )
        ),
        Operation.IMAGE_COMPOSE: lambda p: p.compose(
            ComposeImageRequest(images=(ImageInput(data=tiny), ImageInput(data=tiny)), prompt="side by side")
        ),
        Operation.UPSCALE_V3: lambda p: p.upscale(
            UpscaleImageRequest(image=ImageInput(data=tiny), factor="x2")
        ),
        Operation.UPSCALE_V4: lambda p: p.upscale(
            UpscaleImageRequest(image=ImageInput(data=tiny), factor="x2")
        ),
        Operation.TEXT: lambda p: p.generate(
            TextRequest(contents=[{"role": "user", "parts": [{"text": "provider check: say OK"}]}])
        ),
        Operation.VIDEO: lambda p: poll_video(p.start(_check_video()).name),
        Operation.VIDEO_FAST: lambda p: poll_video(p.start(_check_video()).name),
        Operation.VIDEO_LITE: lambda p: poll_video(p.start(_check_video()).name),
    }
    results = []
    checked: set[str] = set()
    for operation, call in calls.items():
        model_id = catalog.configured_model_id(operation)
        if model_id in checked:
            continue
        checked.add(model_id)
        started = time.monotonic()
        try:
            ok, detail = True, _describe(call(get_provider(operation)))
        except ProviderError as e:
            ok, detail = False, e.detail  # for the operator running the command: the raw answer
        results.append(LiveResult(str(operation), model_id, ok, detail, time.monotonic() - started))
    if gcs.is_configured():
        results.append(_gcs_check())
    return results


def _gcs_check() -> LiveResult:
    started = time.monotonic()
    try:
        uri = gcs.upload(b"provider check", "provider-check/ping.txt", content_type="text/plain")
        ok = gcs.download(uri) == b"provider check"
        detail = f"round trip {'ok' if ok else 'returned other bytes'} ({uri})"
    except ProviderError as e:
        ok, detail = False, e.detail
    return LiveResult("storage", settings.GCS_BUCKET, ok, detail, time.monotonic() - started)


def _check_video() -> VideoRequest:
    return VideoRequest(prompt="provider check: waves on a beach", duration_seconds=4, resolution="720p")


def _describe(outcome) -> str:
    if isinstance(outcome, ImageResult):
        first = outcome.images[0]
        where = first.gcs_uri or f"{len(first.data or b'')} bytes"
        return (
            f"{len(outcome.images)} image(s), {first.width}x{first.height} {first.mime_type}, {where}, "
            f"SynthID {'on' if outcome.synthid else 'off'}, filtered {outcome.filtered_count}"
        )
    if isinstance(outcome, TextResult):
        return f"{outcome.output_tokens} tokens of text ({outcome.input_tokens} in): {outcome.text[:60]!r}"
    # A VideoStatus from the first poll.
    return f"operation {outcome.name} started; done={outcome.done}"


def _tiny_png(mask: bool = False) -> bytes:
    size = (256, 256)
    if mask:
        image = Image.new("L", size, 0)
        image.paste(255, (96, 96, 160, 160))
    else:
        image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
