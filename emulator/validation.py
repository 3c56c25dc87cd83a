"""Small checks shared by the model families, each raising a 400 INVALID_ARGUMENT like Vertex does.

The service parses `parameters` leniently: the aiplatform SDK sends every number as a float
(`"sampleCount": 2.0`) and google-genai sends enum values uppercase, so integral floats count
as ints and enums compare case-insensitively.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .errors import invalid_argument

UINT32_MAX = 4_294_967_295
MAX_INPUT_IMAGE_BYTES = 10 * 1024 * 1024


def normalize_numbers(value: Any) -> Any:
    """Turn integral floats into ints everywhere in a parsed JSON document."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: normalize_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize_numbers(item) for item in value]
    return value


def as_dict(value: Any, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_argument(f"Invalid value at '{field}': expected an object.")
    return value


def optional_int(params: dict, key: str, *, low: int, high: int, field: str | None = None) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    name = field or key
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_argument(f"Invalid value at '{name}' (TYPE_INT32), {value!r}")
    if not low <= value <= high:
        raise invalid_argument(f"{name} must be between {low} and {high}, got {value}.")
    return value


def optional_number(
    params: dict, key: str, *, low: float, high: float, field: str | None = None
) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    name = field or key
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_argument(f"Invalid value at '{name}' (TYPE_FLOAT), {value!r}")
    if not low <= value <= high:
        raise invalid_argument(f"{name} must be between {low} and {high}, got {value}.")
    return float(value)


def optional_bool(params: dict, key: str) -> bool | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid_argument(f"Invalid value at '{key}' (TYPE_BOOL), {value!r}")
    return value


def optional_enum(
    params: dict, key: str, allowed: tuple[str, ...], *, field: str | None = None
) -> str | None:
    """The value lowercased, or None when absent. Comparison is case-insensitive."""
    value = params.get(key)
    if value is None:
        return None
    name = field or key
    if not isinstance(value, str) or value.lower() not in {a.lower() for a in allowed}:
        raise invalid_argument(
            f"Invalid value for {name}: {value!r}. Supported values: {', '.join(allowed)}."
        )
    return value.lower()


def decode_base64(data: Any, field: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding (google-genai sends URL-safe)."""
    if not isinstance(data, str):
        raise invalid_argument(f"Invalid value at '{field}' (TYPE_BYTES), expected a base64 string.")
    text = data.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_argument(f"Invalid value at '{field}' (TYPE_BYTES), Base64 decoding failed.") from None


def check_storage_uri(uri: Any, field: str = "storageUri") -> str | None:
    if uri is None:
        return None
    if not isinstance(uri, str) or not uri.startswith("gs://") or len(uri) <= len("gs://"):
        raise invalid_argument(f"{field} must be a Cloud Storage URI starting with gs://, got {uri!r}.")
    return uri


def estimated_tokens(text: str) -> int:
    # Roughly four characters per token, the usual rule of thumb for English text.
    return (len(text) + 3) // 4
