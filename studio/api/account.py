"""The account and operations endpoints: your allowances, the app's health, and the LLM tools."""

from __future__ import annotations

from typing import Literal

from django.http import JsonResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from studio import answers, health, idempotency, tools
from studio.api.errors import POST, SIGNED_IN, TOOL_ERRORS, ErrorBody, route
from studio.auth import ApiTokenAuth

router = Router()


# --- Quota ---------------------------------------------------------------------------------


class MeterBalance(Schema):
    meter: str = Field(description="images, edits, upscales, video_seconds or video_audio_seconds")
    label: str
    period: str = Field(description="day or month")
    allowance: int
    used: int
    reserved: int = Field(description="Held by jobs still running.")
    remaining: int
    resets_at: str


class ModelUnitPrice(Schema):
    model: str = Field(description="The Google model id, e.g. veo-3.1-fast-generate-001.")
    variant: str = Field(description='What changes the price: "1K", "upscale", "1080p+audio", ...')
    unit: str = Field(description="image, second (of video), or a token unit")
    usd: str = Field(description="USD per unit, exact (six decimals).")
    zar: str = Field(description="Rand per unit at today's rate, rounded to the cent.")
    usd_micros: int
    zar_cents: int
    source: str = Field(description="Where Google's figure comes from.")
    as_of: str = Field(description="When the source said so (ISO date).")


class PlanSummary(Schema):
    name: str
    price: str = Field(description="A month, in rand.")
    upscale_models: list[str]
    video_resolutions: list[str] = Field(description="720p, 1080p, 4k: what the plan may make.")


class UpgradeOffer(Schema):
    tier: str
    price: str


class Quota(Schema):
    tier: str = Field(description="FREE, JIVE or JIGGA")
    plan: PlanSummary
    meters: list[MeterBalance]
    prices: list[ModelUnitPrice] = Field(
        description="The price of one unit of each model and variant: what quotes and charges use."
    )
    usd_to_zar_rate: str
    upgrade: list[UpgradeOffer] = Field(description="The plans above yours.")
    plans_url: str = Field(description="The page that compares the plans, where the user subscribes.")


@route(
    router,
    "get",
    "/quota",
    ok={200: Quota},
    error_codes=SIGNED_IN,
    tags=["account"],
    summary="Your allowances",
)
def quota(request):
    """Every meter's allowance, used, reserved, remaining and reset time, with your tier and the
    price per unit of each model and variant (billing.ModelPrice)."""
    return answers.quota(request.user)


# --- Health --------------------------------------------------------------------------------


class HealthReport(Schema):
    """/health: 200 while the app can serve (ok or degraded), 503 when it cannot. Staff get each
    check's details; anyone else each check's ok."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="ok, degraded or unavailable")
    serving: bool = Field(description="Whether the app can take requests (200) or not (503).")
    checks: dict = Field(description="Each check (database, broker, cluster, storage, ...) with its `ok`.")
    time: str = Field(description="When the checks ran (ISO 8601).")


@route(
    router,
    "get",
    "/health",
    ok={200: HealthReport, 503: HealthReport},
    error_codes=(),
    auth=None,
    tags=["operations"],
    summary="Health",
)
def health_check(request):
    """200 while the app can serve, 503 when it cannot, with status ok / degraded / unavailable
    and each check's verdict. Staff (session or bearer token) also get the details: each check's
    finding, circuit breakers, the model catalog and lifecycle warnings. Never shows a secret."""
    report = health.report(full=_is_staff(request))
    return JsonResponse(report, status=200 if report["serving"] else 503)


def _is_staff(request) -> bool:
    # auth=None on /health, so a bearer token is not read unless we ask.
    user = request.user if request.user.is_authenticated else ApiTokenAuth()(request)
    return bool(user and user.is_active and user.is_staff)


# --- LLM tools -----------------------------------------------------------------------------


class ToolDefinitions(Schema):
    openai: list[dict] = Field(description="OpenAI's `tools` array (function definitions).")
    gemini: dict = Field(description="A Gemini API Tool object: `functionDeclarations`.")


@route(
    router,
    "get",
    "/tools",
    ok={200: ToolDefinitions},
    error_codes=SIGNED_IN,
    tags=["tools"],
    summary="Tool definitions for an LLM",
)
def tool_definitions(request):
    """The four tools in OpenAI's `tools` shape and Gemini's `functionDeclarations` shape."""
    return {"openai": tools.openai_tools(), "gemini": tools.gemini_tools()}


class ToolCall(Schema):
    name: str = Field(description="generate_image, edit_image, upscale_image or generate_video")
    arguments: dict | str = Field(
        default_factory=dict, description="The tool's arguments (an object or a JSON string)"
    )


class ToolRefusal(Schema):
    """A call the LLM should relay rather than retry: 200 for a refused call (arguments, tier,
    allowance, rate), 404 for a tool name that does not exist."""

    ok: Literal[False]
    error: ErrorBody
    message: str = Field(description="A sentence to pass on to the user.")


class ToolAccepted(answers.JobAccepted):
    """An accepted call: the job's fields as a submit answers them, and a sentence for the user."""

    ok: Literal[True]
    message: str = Field(description="A sentence to pass on to the user: what was started, its cost.")


@route(
    router,
    "post",
    "/tools/call",
    ok={200: ToolRefusal, 202: ToolAccepted, 404: ToolRefusal},
    error_codes=POST,
    openapi_extra={
        "responses": {
            200: {
                "description": "A refused call (`ok: false`): relay `message` (validation, tier, allowance)"
            },
            202: {"description": "The job was accepted (`ok: true`), with its id, quote and `message`"},
            404: {"description": "`unknown_tool`: " + TOOL_ERRORS["unknown_tool"]},
        }
    },
    tags=["tools"],
    summary="Call a tool",
)
@idempotency.idempotent(
    identity=lambda request, payload: payload.model_dump(mode="json"),
    lifetime_minutes=lambda payload: idempotency.ttl_minutes_for(payload.name),
)
def call_tool(request, payload: ToolCall):
    """Run one tool for you. 202 with the job id and quote, or 200 with ok=false and a refusal
    (upgrade_required, quota_exceeded, validation_error ...) an LLM can relay."""
    return tools.call_tool(request.user, payload.name, payload.arguments)
