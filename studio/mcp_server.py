"""The studio as an MCP server: streamable HTTP at /mcp, on the official `mcp` SDK (README "MCP").

    asgi_app()      the Starlette app mediastudio/asgi.py mounts at /mcp (its lifespan runs the
                    SDK's session manager)
    TOOLS           the tool list: every operation of the registry (studio/operations/, through
                    studio/tools.py), then job_status, get_quota and list_media

Authentication is the user's API token as `Authorization: Bearer ms_...` (studio/auth.py, the same
lookup as the JSON API's): none, an unknown or a revoked one is refused 401 by the SDK's bearer
middleware before any tool runs. The tools are the JSON API's calls, not copies of them:

- an operation tool validates with the operation's pydantic model and submits through
  studio/tools.py call_tool (the code behind POST /api/v1/tools/call): the same tier gate,
  allowance reservation, rate limit, breaker and stable error codes. An `Idempotency-Key` header
  on the POST (or `_meta["idempotency_key"]` on the call) replays the first answer as the API does
  (studio/idempotency.py run_once).
- A refusal the model should relay (tier, allowance, rate, another user's image, provider down)
  is a tool result with isError, the error's code, message and upgrade options as structured
  content. Arguments that do not fit the schema, and an unknown tool, are JSON-RPC errors
  (-32602 invalid params, with the same `details` the API gives).
- Finished media come back as signed links (resource_link blocks, the JSON API's links) and, for
  an image, as image content as well: the image up to MCP_IMAGE_CONTENT_MAX_BYTES, else its
  thumbnail.

/mcp runs outside Django's middleware, so _guarded makes its request checks: the Host against
ALLOWED_HOSTS (Django's own validate_host) and a browser's Origin against MCP_ALLOWED_ORIGINS.

The server is the SDK's low-level `Server`: the tools' JSON Schemas are the operations' own
(tools.Tool.parameters(), what GET /api/v1/tools gives), not schemas derived again from Python
signatures, and a new operation in the registry is a new tool without code here. The low-level
server does not check arguments against the schema; the pydantic models do, as on the API.

Handlers are async (the SDK's); the ORM work runs in a worker thread (anyio), where Django's
sync ORM is allowed, with stale connections closed around it as Django's request signals would.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urljoin

import anyio.to_thread
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from mcp import MCPError
from mcp import types as mcp_types
from mcp.server import Server, ServerRequestContext
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request

from billing.pricing import format_count
from studio import answers, assets, idempotency, languages, operations, tools
from studio.auth import usable_token
from studio.errors import StudioError, not_found, validation_error
from studio.messages import validation_details
from studio.models import MediaAsset, MediaJob

log = logging.getLogger(__name__)

PATH = "/mcp"
SERVER_NAME = "media-studio"
INSTRUCTIONS = (
    "Media Studio makes images and videos with Google's models within the user's plan (FREE, JIVE, "
    "JIGGA; prices in South African rand). The operation tools start a job and answer at once with "
    "its job_id and cost; call job_status until done is true to get the media as links (and small "
    "images inline). A refused call says why and how to upgrade: tell the user rather than retrying."
)


# --- Who is calling --------------------------------------------------------------------------


class ApiTokenVerifier:
    """The SDK's TokenVerifier: an API token (studio/auth.py usable_token) or None, which the
    SDK's bearer middleware answers 401 with `WWW-Authenticate: Bearer error="invalid_token"`."""

    async def verify_token(self, token: str) -> AccessToken | None:
        found = await _in_thread(usable_token, token)
        if found is None:
            return None
        return AccessToken(
            token=token,
            client_id=f"user:{found.user_id}",
            scopes=[],
            subject=str(found.user_id),
            claims={"api_token_id": found.pk},
        )


def _user_of(access: AccessToken | None):
    """The active user the request's token was issued to (looked up again in this thread)."""
    if access is None or access.subject is None:  # the bearer middleware lets no such request in
        raise MCPError(code=mcp_types.INVALID_REQUEST, message=_("Authentication required."))
    user = get_user_model().objects.filter(pk=int(access.subject), is_active=True).first()
    if user is None:
        raise MCPError(code=mcp_types.INVALID_REQUEST, message=_("Authentication required."))
    return user


# --- The tools beyond the operations ---------------------------------------------------------


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JobStatusArguments(_Arguments):
    """Follow one of your jobs."""

    job_id: uuid.UUID = Field(description="The job_id an operation tool answered.")


class QuotaArguments(_Arguments):
    """Your plan and allowances."""


class ListMediaArguments(_Arguments):
    """Your most recent images and videos."""

    kind: Literal["image", "video"] | None = Field(None, description="Only images or only videos.")
    limit: int = Field(10, ge=1, le=50, description="How many, newest first (1-50).")


# name → (description, arguments model, run(user, arguments, absolute) -> CallToolResult)
AccountTool = tuple[str, type[BaseModel], Callable[..., mcp_types.CallToolResult]]


def _job_status(user, arguments: JobStatusArguments, absolute) -> mcp_types.CallToolResult:
    job = MediaJob.objects.for_user(user).filter(pk=arguments.job_id).first()
    if job is None:
        raise not_found("job")
    answer: dict[str, Any] = answers.status(job)
    blocks: list[mcp_types.ContentBlock] = [mcp_types.TextContent(type="text", text=_status_sentence(job))]
    if job.state == MediaJob.State.SUCCEEDED:
        result = answers.result(job, absolute=absolute)
        answer["assets"] = result["assets"]
        answer["expires_in_hours"] = result["expires_in_hours"]
        items = {str(item.id): item for item in job.assets.all()}
        for shown in result["assets"]:
            blocks.extend(_media_blocks(items[shown["asset_id"]], shown))
    return _ok(blocks, answer)


def _status_sentence(job: MediaJob) -> str:
    if job.state == MediaJob.State.SUCCEEDED:
        count = job.assets.count()
        hours = settings.MEDIA_SIGNED_URL_HOURS
        return ngettext(
            "Job %(job)s is done: %(count)s %(noun)s. The links below work without signing in for "
            "%(hours)s hour.",
            "Job %(job)s is done: %(count)s %(noun)s. The links below work without signing in for "
            "%(hours)s hours.",
            hours,
        ) % {
            "job": job.id,
            "count": count,
            "noun": operations.for_job(job).nouns[0 if count == 1 else 1],
            "hours": hours,
        }
    if job.state in (MediaJob.State.FAILED, MediaJob.State.CANCELLED):
        error = answers.status(job)["error"]
        ended = (
            _("Job %(job)s failed.")
            if job.state == MediaJob.State.FAILED
            else _("Job %(job)s was cancelled.")
        )
        return " ".join([ended % {"job": job.id}, *([error["message"]] if error else [])])
    eta = answers.progress(job)["eta_seconds"]
    return ngettext(
        "Job %(job)s: %(state)s, about %(eta)s second left. Ask again in a few seconds.",
        "Job %(job)s: %(state)s, about %(eta)s seconds left. Ask again in a few seconds.",
        eta,
    ) % {"job": job.id, "state": job.get_state_display(), "eta": eta}


def _quota(user, arguments: QuotaArguments, absolute) -> mcp_types.CallToolResult:
    answer = answers.quota(user)
    plan = answer["plan"]
    lines = [_("Plan: %(name)s (%(tier)s, %(price)s a month).") % {**plan, "tier": answer["tier"]}]
    lines += [
        (
            _("%(label)s: %(remaining)s of %(allowance)s left today (resets %(resets_at)s).")
            if m["period"] == "day"
            else _("%(label)s: %(remaining)s of %(allowance)s left this month (resets %(resets_at)s).")
        )
        % {**m, "remaining": format_count(m["remaining"]), "allowance": format_count(m["allowance"])}
        for m in answer["meters"]
    ]
    if answer["upgrade"]:
        plans = ", ".join(_("%(tier)s %(price)s a month") % upgrade for upgrade in answer["upgrade"])
        lines.append(_("Upgrades: %(plans)s") % {"plans": plans})
    return _ok([mcp_types.TextContent(type="text", text="\n".join(lines))], answer)


def _list_media(user, arguments: ListMediaArguments, absolute) -> mcp_types.CallToolResult:
    mine = MediaAsset.objects.for_user(user)
    if arguments.kind:
        mine = mine.filter(kind=arguments.kind)
    items = list(mine.order_by("-created_at")[: arguments.limit])
    shown = [answers.asset(item, absolute=absolute) for item in items]
    blocks: list[mcp_types.ContentBlock] = [
        mcp_types.TextContent(
            type="text",
            text=ngettext(
                "%(count)s recent item, newest first.", "%(count)s recent items, newest first.", len(items)
            )
            % {"count": len(items)}
            if items
            else _("No media yet."),
        )
    ]
    for item, answer in zip(items, shown, strict=True):
        blocks.append(_link(item, answer))
    return _ok(blocks, {"assets": shown, "expires_in_hours": settings.MEDIA_SIGNED_URL_HOURS})


ACCOUNT_TOOLS: dict[str, AccountTool] = {
    "job_status": (
        "The state of one of your jobs (from an operation tool's job_id): queued, running, waiting, "
        "succeeded or failed, with a progress hint. Once it succeeded, the media as signed links "
        f"(valid {settings.MEDIA_SIGNED_URL_HOURS} h) and small images inline. Free.",
        JobStatusArguments,
        _job_status,
    ),
    "get_quota": (
        "The user's plan (FREE, JIVE or JIGGA), each allowance's used and remaining units with its "
        "reset time, the unit prices in ZAR and the plans above. Free.",
        QuotaArguments,
        _quota,
    ),
    "list_media": (
        "The user's most recent images and videos, newest first, each with its asset id (for "
        "edit_image, upscale_image, generate_video) and signed links. Free.",
        ListMediaArguments,
        _list_media,
    ),
}


# --- Answers ---------------------------------------------------------------------------------


def _ok(blocks: list[mcp_types.ContentBlock], structured: dict) -> mcp_types.CallToolResult:
    return mcp_types.CallToolResult(content=blocks, structured_content=structured)


def _refused(error: StudioError, message: str | None = None) -> mcp_types.CallToolResult:
    """A refusal the model relays: isError, the error's code, message and extras (upgrade, ...)."""
    body = {"ok": False, "error": error.as_dict(), "message": message or error.message}
    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text=body["message"])],
        structured_content=body,
        is_error=True,
    )


def _invalid_params(message: str, error: dict) -> MCPError:
    """Arguments that do not fit the tool's schema: JSON-RPC -32602 with the API's error body."""
    return MCPError(code=mcp_types.INVALID_PARAMS, message=message, data=error)


def _link(item: MediaAsset, answer: dict) -> mcp_types.ResourceLink:
    return mcp_types.ResourceLink(
        type="resource_link",
        uri=answer["url"],
        name=f"{item.kind}-{item.id}",
        title=f"{item.kind.title()} {item.id}",
        description=f"{item.kind.title()}, {item.width}x{item.height}; asset_id {item.id}. Signed link, "
        f"valid {settings.MEDIA_SIGNED_URL_HOURS} h.",
        mime_type=item.mime_type,
        size=item.bytes,
    )


def _media_blocks(item: MediaAsset, answer: dict) -> list[mcp_types.ContentBlock]:
    """A signed link, and for an image the image itself when it is at most
    MCP_IMAGE_CONTENT_MAX_BYTES, else its thumbnail (a WebP of THUMBNAIL_SIDE px, some KB) when
    that is: a 1K PNG from Google is often over a megabyte, and the model should still see it."""
    blocks: list[mcp_types.ContentBlock] = [_link(item, answer)]
    if item.kind != MediaAsset.Kind.IMAGE:
        return blocks
    limit = settings.MCP_IMAGE_CONTENT_MAX_BYTES
    if item.bytes <= limit:
        data, mime_type = assets.read_bytes(item.file), item.mime_type
    elif item.thumbnail and item.thumbnail.size <= limit:
        data, mime_type = assets.read_bytes(item.thumbnail), "image/webp"
    else:
        return blocks
    encoded = base64.b64encode(data).decode("ascii")
    blocks.append(mcp_types.ImageContent(type="image", data=encoded, mime_type=mime_type))
    return blocks


# --- Listing and calling ---------------------------------------------------------------------


def _tool_list() -> list[mcp_types.Tool]:
    listed = [
        mcp_types.Tool(
            name=tool.name,
            title=str(operations.get(tool.name).label),
            description=tool.description,
            input_schema=tool.parameters(),
            annotations=mcp_types.ToolAnnotations(
                read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
            ),
        )
        for tool in tools.TOOLS.values()
    ]
    for name, (description, model, _run) in ACCOUNT_TOOLS.items():
        schema = model.model_json_schema()
        schema.pop("title", None)
        schema.pop("description", None)
        listed.append(
            mcp_types.Tool(
                name=name,
                title=name.replace("_", " ").capitalize(),
                description=description,
                input_schema=schema,
                annotations=mcp_types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
            )
        )
    return listed


TOOLS = _tool_list()


def call(user, name: str, arguments: dict | None, *, key: str | None, absolute) -> mcp_types.CallToolResult:
    """Run one tool call for `user` (sync: the ORM). Raises MCPError for a JSON-RPC error."""
    if name in tools.TOOLS:
        return _call_operation(user, name, arguments, key=key, absolute=absolute)
    if name in ACCOUNT_TOOLS:
        _description, model, run = ACCOUNT_TOOLS[name]
        try:
            parsed = model.model_validate(arguments or {})
        except ValidationError as e:
            error = validation_error(_("The tool arguments are not valid."), validation_details(e))
            raise _invalid_params(_problems(error), error.as_dict()) from None
        try:
            return run(user, parsed, absolute)
        except StudioError as e:
            return _refused(e)
    names = [*tools.TOOLS, *ACCOUNT_TOOLS]
    raise _invalid_params(
        _("Unknown tool: %(name)s. The tools are %(tools)s.")
        % {"name": repr(name), "tools": ", ".join(names)},
        {
            "code": "unknown_tool",
            "message": _("There is no tool called %(name)s.") % {"name": repr(name)},
            "tools": names,
        },
    )


def _call_operation(user, name: str, arguments, *, key: str | None, absolute) -> mcp_types.CallToolResult:
    """tools.call_tool (POST /api/v1/tools/call's code) under the Idempotency-Key, if any."""
    fingerprint = idempotency.fingerprint("POST", PATH, {"name": name, "arguments": arguments})
    try:
        status, body, replayed = idempotency.run_once(
            user,
            idempotency.parse_key(key),
            fingerprint,
            idempotency.ttl_minutes_for(name),
            lambda: tools.call_tool(user, name, arguments),
        )
    except StudioError as e:  # the key's own refusals: invalid, in use, used for another request
        return _refused(e)
    if body.get("ok"):
        body = {**body, "idempotent_replayed": replayed}
        text = _("%(message)s Call job_status with job_id %(job)s to follow it.") % {
            "message": body["message"],
            "job": body["job_id"],
        }
        return _ok([mcp_types.TextContent(type="text", text=text)], body)
    if body["error"]["code"] == "validation_error":
        raise _invalid_params(body["message"], body["error"])
    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(type="text", text=body["message"])],
        structured_content=body,
        is_error=True,
    )


def _problems(error: StudioError) -> str:
    details = error.extra.get("details") or []
    problems = "; ".join(
        f"{item['field']}: {item['message']}" if item["field"] else item["message"] for item in details
    )
    return _("The tool arguments are not valid: %(problems)s") % {"problems": problems}


# --- The SDK's handlers ----------------------------------------------------------------------


async def _in_thread(fn, *args, **kwargs):
    """Run sync ORM code in a worker thread, with Django's per-request connection hygiene."""

    def run():
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return await anyio.to_thread.run_sync(run)


async def _list_tools(
    ctx: ServerRequestContext, params: mcp_types.PaginatedRequestParams | None
) -> mcp_types.ListToolsResult:
    return mcp_types.ListToolsResult(tools=TOOLS)


async def _call_tool(
    ctx: ServerRequestContext[Any, Request], params: mcp_types.CallToolRequestParams
) -> mcp_types.CallToolResult:
    access = get_access_token()
    request = ctx.request  # the Starlette request of this POST (always there over HTTP)
    if request is None:
        raise MCPError(
            code=mcp_types.INVALID_REQUEST, message="The studio's tools are served over HTTP only."
        )
    meta = dict(params.meta or {})
    key = meta.get("idempotency_key") or request.headers.get("idempotency-key")
    if key is not None and not isinstance(key, str):
        key = str(key)
    # Links are absolute on the address the client called (uvicorn applies X-Forwarded-* from
    # FORWARDED_ALLOW_IPS), as the API's request.build_absolute_uri makes them.
    absolute = functools.partial(urljoin, str(request.base_url))

    # Outside Django's middleware, so the language is chosen here as LocaleMiddleware chooses it
    # for the API: human messages follow Accept-Language, codes stay English (README "Languages").
    lang = languages.from_accept_language(request.headers.get("accept-language", ""))

    def run():
        with translation.override(lang):
            return call(_user_of(access), params.name, params.arguments, key=key, absolute=absolute)

    return await _in_thread(run)


server: Server = Server(
    SERVER_NAME,
    version="1.0.0",
    title="Media Studio",
    instructions=INSTRUCTIONS,
    on_list_tools=_list_tools,
    on_call_tool=_call_tool,
)


# AuthSettings requires an issuer; with no OAuth routes and no resource metadata nothing serves or
# sends it. The app's own tokens are the only credential.
_ISSUER = "https://media-studio.invalid"


def asgi_app():
    """The /mcp app: stateless (any web worker answers any request: no session lives in one
    process), JSON answers rather than SSE (nothing to buffer in a proxy), bearer auth, behind
    the Host and Origin checks of _guarded."""
    app = server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=settings.MCP_MAX_REQUEST_BYTES,
        # The SDK's own Host check knows exact names and "name:*" only; _guarded applies Django's
        # (ALLOWED_HOSTS with its ".example.com" and "*" forms), so the two can never disagree.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        token_verifier=ApiTokenVerifier(),
        # Required with a verifier; no resource_server_url, so no OAuth metadata is advertised
        # (clients configured with a static bearer header would otherwise start OAuth discovery).
        auth=AuthSettings(issuer_url=_ISSUER, resource_server_url=None),
    )
    return _guarded(app)


def _json_rpc_error(status: int, code: int, message: str, data: dict) -> tuple[int, bytes]:
    """An HTTP refusal whose body is a JSON-RPC error (id null: the request was not read)."""
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message, "data": data}}
    return status, json.dumps(body).encode()


def _refusal(scope) -> tuple[int, bytes] | None:
    """/mcp runs outside Django's middleware, so its two request checks are made here: the Host
    must be one of ALLOWED_HOSTS (Django's own test; DNS rebinding), and a browser's Origin one of
    MCP_ALLOWED_ORIGINS (desktop and command-line clients send none)."""
    headers = Headers(scope=scope)
    domain, _port = split_domain_port(headers.get("host", ""))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return _json_rpc_error(
            421, mcp_types.INVALID_REQUEST, "Invalid Host header.", {"code": "bad_request"}
        )
    origin = headers.get("origin")
    if origin is not None and origin not in settings.MCP_ALLOWED_ORIGINS:
        return _json_rpc_error(403, mcp_types.INVALID_REQUEST, "Origin not allowed.", {"code": "forbidden"})
    return None


def _guarded(app: Starlette):
    """The MCP app behind _refusal's checks. The SDK answers a body over MCP_MAX_REQUEST_BYTES
    413 in plain text; here that 413 is a JSON-RPC error too, which clients read more easily."""
    too_large = _json_rpc_error(
        413,
        mcp_types.INVALID_REQUEST,
        f"The request is larger than {settings.MCP_MAX_REQUEST_BYTES} bytes. "
        "Refer to images by their asset id (list_media) rather than sending them.",
        {"code": "request_too_large"},
    )

    async def answer(send, status: int, body: bytes) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def guarded(scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        refused = _refusal(scope)
        if refused is not None:
            await answer(send, *refused)
            return
        replaced = False

        async def send_json_413(message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                replaced = True
                await answer(send, *too_large)
            elif not replaced:
                await send(message)

        await app(scope, receive, send_json_413)

    return guarded
