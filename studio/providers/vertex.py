"""The google-genai client for Vertex AI, and the mapping of its errors to ours.

Shared by the three Vertex families (imagen.py, gemini_image.py, veo.py).
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from .base import (
    ConfigurationError,
    InvalidRequestError,
    ModelUnavailableError,
    Operation,
    ProviderError,
    RetryableError,
    SafetyBlockedError,
)
from .catalog import OPERATIONS, Route, successor_for
from .resilience import call_guarded, transport_error


def client(location: str, timeout_seconds: float) -> genai.Client:
    """A client for one location, configured from the settings as they are now."""
    return _cached_client(
        settings.VERTEX_PROJECT,
        location,
        settings.VERTEX_BASE_URL,
        settings.VERTEX_API_VERSION,
        settings.VERTEX_FIXED_TOKEN,
        int(timeout_seconds * 1000),
    )


@functools.lru_cache(maxsize=32)
def _cached_client(
    project: str, location: str, base_url: str, api_version: str, token: str, timeout_ms: int
) -> genai.Client:
    # No retry_options: google-genai then makes exactly one attempt, and our own loop in
    # resilience.py decides (with the breaker inside it). The timeout is in milliseconds.
    http_options = types.HttpOptions(api_version=api_version, timeout=timeout_ms)
    credentials = None
    if base_url:
        # A plain-HTTP server speaking the Vertex wire format. google-genai always sends a bearer
        # token and refreshes anonymous credentials (which fails), so give it a fixed token.
        from google.oauth2.credentials import Credentials

        credentials = Credentials(token=token)
        http_options.base_url = base_url
    # Without base_url, credentials=None means Application Default Credentials.
    return genai.Client(
        vertexai=True, project=project, location=location, credentials=credentials, http_options=http_options
    )


# Imagen refuses unsafe prompts with a 400 whose message says so.
_SAFETY_WORDS = re.compile(
    r"responsible ai|sensitive words|usage guidelines|may violate|violates? (our|google)"
    r"|prohibited (one or more words|content)|(prompt|response) (is|was) blocked",
    re.IGNORECASE,
)


def is_safety_message(message: str) -> bool:
    return bool(_SAFETY_WORDS.search(message or ""))


def map_error(exc: BaseException, *, model: str, operation: Operation | None = None) -> ProviderError:
    """Our error for whatever the SDK or the transport raised. Unknown exceptions are re-raised."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, genai_errors.APIError):
        code = exc.code or 0
        message = exc.message or str(exc)
        if code == 429:
            # Quota refusals happen before any work starts.
            return RetryableError(
                f"Rate limited by Google: {message}", may_have_started=False, model=model, http_status=code
            )
        if code >= 500 or code == 408:
            return RetryableError(f"Google error {code}: {message}", model=model, http_status=code)
        if code == 404:
            return model_unavailable(model, operation, detail=message)
        if code in (401, 403):
            return ConfigurationError(
                f"Google refused access to {model} ({code}): {message}", model=model, http_status=code
            )
        if code == 400 and is_safety_message(message):
            return SafetyBlockedError(message, model=model, http_status=code)
        return InvalidRequestError(f"Google rejected the request: {message}", model=model, http_status=code)
    transport = transport_error(exc, model=model)
    if transport is not None:
        return transport
    try:
        from google.auth import exceptions as auth_exceptions

        if isinstance(exc, auth_exceptions.GoogleAuthError):
            return ConfigurationError(f"Google credentials are not usable: {exc}", model=model)
    except ImportError:  # pragma: no cover
        pass
    raise exc


def model_unavailable(model: str, operation: Operation | None, *, detail: str = "") -> ModelUnavailableError:
    successor = successor_for(model, operation)
    message = f"The model {model} is not available from Google (404); it may have been retired."
    if successor:
        setting = OPERATIONS[operation].setting if operation else "the model setting"
        message += f" Its successor is {successor}: set {setting}={successor}."
    if detail:
        message += f" ({detail})"
    return ModelUnavailableError(message, successor=successor, model=model, http_status=404)


def call(route: Route, timeout_seconds: float, use_client):
    """`use_client(client)` for `route`'s model: our errors only, our retries, inside the model's
    circuit breaker (resilience.call_guarded). Shared by the generateContent families."""
    sdk_client = client(route.location, timeout_seconds)
    return call_guarded(
        guarded_sdk_call(lambda: use_client(sdk_client), model=route.model_id, operation=route.operation),
        model_id=route.model_id,
        family=route.family,
    )


def guarded_sdk_call(fn, *, model: str, operation: Operation | None = None):
    """Wrap an SDK call so that it raises only our errors (for use inside call_guarded)."""

    def call():
        try:
            return fn()
        except Exception as exc:
            raise map_error(exc, model=model, operation=operation) from exc

    return call
