"""Pollinations image API: legacy `GET /prompt/{prompt}` and gateway `GET /image/{prompt}`.

Shapes: Pollinations' APIDOCS.md (github.com/pollinations/pollinations). The answer is a JPEG of
exactly width × height. The legacy host picks a random seed when none is given; the gateway's seed
defaults to 0, and -1 means random. Like the real gateway since 2026 (issue #9873 in
pollinations/pollinations), the gen gateway refuses a call without a key (Bearer header or ?key=)
with 401; any key is accepted, as the emulator keeps no accounts. The legacy host stays anonymous.
Wherever the app is pointed at the emulator it is given the dummy key EMULATOR_KEY.
"""

from __future__ import annotations

from typing import overload

from . import media
from .errors import ApiError, pollinations_error_body
from .state import Call, Reply, json_reply

DEFAULT_SIDE = 1024
MAX_SIDE = 4096  # the emulator's own guard; the docs give no limit
MAX_GATEWAY_SEED = 2_147_483_647
IMAGE_MODELS = ("flux", "zimage", "gptimage", "kontext", "seedream5", "seedream5-pro", "nanobanana", "klein")

# Any key passes; this one is what run_local, compose and the tests give the app.
EMULATOR_KEY = "sk_emulator"

BLOCKED_MESSAGE = "Content policy violation: the prompt was flagged by the safety filter."


def handle(call: Call) -> Reply:
    route = call.route
    if route.gateway == "gen" and not _has_key(call):
        raise fault_error(401, route.gateway)
    prompt = route.prompt_path or ""
    if not prompt.strip():
        raise ApiError(400, "A prompt is required.")
    width = _int_param(call.query, "width", DEFAULT_SIDE, low=1, high=MAX_SIDE)
    height = _int_param(call.query, "height", DEFAULT_SIDE, low=1, high=MAX_SIDE)
    model = call.query.get("model") or "flux"
    if route.gateway == "gen":
        seed: int | None = _int_param(call.query, "seed", 0, low=-1, high=MAX_GATEWAY_SEED)
        seed = None if seed == -1 else seed
    else:
        seed = _int_param(call.query, "seed", None, low=-(2**63), high=2**63)
    if call.fault and call.fault.kind == "blocked":
        raise ApiError(400, BLOCKED_MESSAGE)
    picture = media.render_picture(
        width,
        height,
        prompt,
        media.recipe("pollinations", model, prompt, width, height, seed=seed),
        caption=f"pollinations emulator · {model} · seed {seed if seed is not None else 'random'}",
    )
    return Reply(
        200,
        media.encode_image(picture, "image/jpeg", 90),
        content_type="image/jpeg",
        headers={"x-model-used": model},
    )


def _has_key(call: Call) -> bool:
    bearer = call.headers.get("authorization", "")
    token = bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else ""
    return bool(token or call.query.get("key"))


def models(call: Call) -> Reply:
    if call.route.gateway == "gen":
        return json_reply(
            [
                {"name": name, "aliases": [], "input_modalities": ["text"], "output_modalities": ["image"]}
                for name in IMAGE_MODELS
            ]
        )
    return json_reply(["flux", "sana"])


def fault_error(code: int, gateway: str | None) -> ApiError:
    """The answers the docs report for Pollinations' rate limits and payment walls."""
    if code == 429:
        return ApiError(429, "Queue full for IP: 127.0.0.1: 1 requests already queued (max: 1)")
    if code == 402 and gateway == "legacy":
        return ApiError(
            402,
            "Queue full",
            body={
                "x402Version": 1,
                "error": "Queue full for IP: 127.0.0.1: 1 requests already queued (max: 1). "
                "Get unlimited access at https://enter.pollinations.ai",
                "accepts": [],
            },
        )
    if code == 402:
        return ApiError(
            402,
            "Insufficient balance. This request costs ~0.0020 pollen, but your available "
            "balance is 0.0000. Top up at https://enter.pollinations.ai",
        )
    if code == 401:
        return ApiError(
            401,
            "Authentication required. Please provide an API key via Authorization header "
            "(Bearer token) or ?key= query parameter.",
        )
    messages = {
        400: "Bad request",
        403: "Forbidden",
        404: "Not found",
        500: "Internal server error",
        503: "Service unavailable",
    }
    return ApiError(code, messages.get(code, "Error"))


def error_body(error: ApiError) -> dict:
    return error.body if error.body is not None else pollinations_error_body(error.code, error.message)


@overload
def _int_param(query: dict, name: str, default: int, *, low: int, high: int) -> int: ...
@overload
def _int_param(query: dict, name: str, default: None, *, low: int, high: int) -> int | None: ...
def _int_param(query: dict, name: str, default: int | None, *, low: int, high: int) -> int | None:
    """The query parameter `name` as a whole number from low to high; `default` when it is absent."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        raise ApiError(400, f"{name} must be an integer, got {raw!r}.") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}, got {value}.")
    return value
