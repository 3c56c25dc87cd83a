"""The MCP server at /mcp (studio/mcp_server.py), over HTTP against the production web tier: gunicorn
with a uvicorn worker serving mediastudio/asgi.py in a child process, a django-q2 cluster finishing
the jobs, both on the emulator and the test database. The client is the official SDK's."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid

import httpx2
import pytest
from django.utils import timezone
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from billing import services as billing
from mediastudio.settings_test import SEED_MODELS
from studio.assets import create_image_asset, save_upload
from studio.models import ApiToken, MediaJob
from studio.tests.cluster import Cluster, WebServer, wait_for_job
from studio.tests.factories import make_mask, make_photo

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.timeout(180)]

OPERATIONS = {
    "generate_image",
    "edit_image",
    "compose_image",
    "upscale_image",
    "generate_video",
    "extend_video",
}


@pytest.fixture
def stack(providers_env, settings, tmp_path):
    """The web server and a worker cluster sharing the database, media folder and emulator."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    cluster = Cluster(providers_env, tmp_path)
    web = WebServer(providers_env, tmp_path)
    yield web
    web.stop()
    cluster.stop()


def image_asset(user, size=(96, 64)):
    return create_image_asset(owner=user, data=make_photo(size), mime_type="image/png", origin="uploaded")


@pytest.fixture
def gemini_stack(default_models, settings, tmp_path):
    """The stack on the product's default models (Gemini image edits), not the suite's seed ones."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    today = dict.fromkeys(SEED_MODELS, "")
    cluster = Cluster(default_models, tmp_path, **today)
    web = WebServer(default_models, tmp_path, **today)
    yield web
    web.stop()
    cluster.stop()


def token_for(user) -> str:
    return ApiToken.issue(user, "mcp test")[1]


async def _session(url: str, token: str | None, work, mode, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http:
        async with Client(streamable_http_client(url + "/mcp", http_client=http), mode=mode) as client:
            return await work(client)


def mcp(web: WebServer, token: str, work, mode="auto", **headers):
    """Run `work(client)` (a coroutine function) with an SDK client connected as `token`'s user:
    mode "auto" speaks the sessionless 2026-07-28 protocol, "legacy" the initialize handshake of
    the desktop clients of 2025."""
    try:
        return asyncio.run(_session(web.url, token, work, mode, **headers))
    except BaseExceptionGroup as group:  # the client's task group wraps what the call raised
        raise _only(group) from None


def _only(group: BaseExceptionGroup) -> BaseException:
    inner = group.exceptions[0] if len(group.exceptions) == 1 else group
    return _only(inner) if isinstance(inner, BaseExceptionGroup) and inner is not group else inner


def call(web, token, name, arguments, **headers):
    return mcp(web, token, lambda client: client.call_tool(name, arguments), **headers)


def balances(user) -> dict:
    return {b.meter: (b.used, b.reserved, b.remaining) for b in billing.remaining(user)}


def test_a_client_lists_the_tools_generates_an_image_polls_it_and_gets_its_link(stack, make_user):
    user = make_user(tier="JIVE")
    token = token_for(user)

    tools = mcp(stack, token, lambda client: client.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == OPERATIONS | {"job_status", "get_quota", "list_media"}
    # The operations' schemas are the API's (GET /api/v1/tools): the pydantic models' own.
    from studio import tools as llm_tools

    for name in OPERATIONS:
        assert by_name[name].input_schema == llm_tools.TOOLS[name].parameters()
    assert "mask" not in by_name["edit_image"].input_schema["properties"]  # a painted PNG: not for a model

    accepted = call(stack, token, "generate_image", {"prompt": "a protea at sunrise", "aspect_ratio": "16:9"})
    assert not accepted.is_error
    answer = accepted.structured_content
    assert answer["ok"] is True and answer["operation"] == "generate_image"
    assert answer["quote"]["zar"].startswith("R")
    assert f"Call job_status with job_id {answer['job_id']}" in accepted.content[0].text

    wait_for_job(answer["job_id"], timeout=60)
    for _ in range(50):  # the client polls as a model would
        status = call(stack, token, "job_status", {"job_id": answer["job_id"]})
        if status.structured_content["done"]:
            break
    assert status.structured_content["state"] == "succeeded"
    links = [block for block in status.content if block.type == "resource_link"]
    images = [block for block in status.content if block.type == "image"]
    assert len(links) == 1 and links[0].mime_type == "image/png"
    assert len(images) == 1  # small enough to come inline too
    # The link is signed: it opens without a session or a token.
    fetched = httpx2.get(str(links[0].uri), timeout=10)
    assert fetched.status_code == 200
    inline = Image.open(io.BytesIO(base64.b64decode(images[0].data)))
    assert Image.open(io.BytesIO(fetched.content)).size == inline.size
    asset_id = status.structured_content["assets"][0]["asset_id"]

    media = call(stack, token, "list_media", {"kind": "image", "limit": 5}).structured_content
    assert [item["asset_id"] for item in media["assets"]] == [asset_id]
    quota = call(stack, token, "get_quota", {}).structured_content
    images_meter = next(m for m in quota["meters"] if m["meter"] == "images")
    assert images_meter["used"] == 1 and quota["tier"] == "JIVE"


def test_over_the_allowance_is_a_structured_refusal_with_the_upgrade_path_and_charges_nothing(
    stack, make_user
):
    user = make_user(tier="FREE")
    token = token_for(user)
    first = call(stack, token, "generate_image", {"prompt": "a kombi at sunset"})
    assert not first.is_error
    wait_for_job(first.structured_content["job_id"], timeout=60)
    before, jobs = balances(user), MediaJob.objects.count()

    refused = call(stack, token, "generate_image", {"prompt": "another kombi"})

    assert refused.is_error
    body = refused.structured_content
    assert body["ok"] is False and body["error"]["code"] == "quota_exceeded"
    assert [offer["tier"] for offer in body["error"]["upgrade"]] == ["JIVE", "JIGGA"]
    assert "Available on JIVE" in refused.content[0].text
    assert balances(user) == before and MediaJob.objects.count() == jobs


def test_a_plan_without_the_operation_is_refused_with_the_upgrade_path(stack, make_user):
    user = make_user(tier="FREE")
    mine = image_asset(user)
    refused = call(
        stack,
        token_for(user),
        "edit_image",
        {"image_id": str(mine.id), "mode": "background_swap", "prompt": "a beach"},
    )
    assert refused.is_error
    assert refused.structured_content["error"]["code"] == "upgrade_required"
    assert refused.structured_content["error"]["upgrade"]
    assert not MediaJob.objects.exists()


def test_an_idempotency_key_replays_the_first_answer(stack, make_user):
    user = make_user(tier="JIVE")
    token, key = token_for(user), str(uuid.uuid4())
    first = call(stack, token, "generate_image", {"prompt": "a baobab"}, **{"Idempotency-Key": key})
    again = call(stack, token, "generate_image", {"prompt": "a baobab"}, **{"Idempotency-Key": key})
    assert first.structured_content["job_id"] == again.structured_content["job_id"]
    assert again.structured_content["idempotent_replayed"] is True
    assert MediaJob.objects.filter(owner=user).count() == 1
    other = call(stack, token, "generate_image", {"prompt": "a different baobab"}, **{"Idempotency-Key": key})
    assert other.is_error and other.structured_content["error"]["code"] == "idempotency_mismatch"


def test_a_client_of_the_handshake_era_works_too_and_a_key_can_come_in_meta(stack, make_user):
    user = make_user(tier="JIVE")
    token, key = token_for(user), str(uuid.uuid4())

    async def work(client):
        assert client.protocol_version == "2025-11-25"
        tools = await client.list_tools()
        first = await client.call_tool(
            "generate_image", {"prompt": "a hadeda"}, meta={"idempotency_key": key}
        )
        again = await client.call_tool(
            "generate_image", {"prompt": "a hadeda"}, meta={"idempotency_key": key}
        )
        return tools, first, again

    tools, first, again = mcp(stack, token, work, mode="legacy")
    assert len(tools.tools) == len(OPERATIONS) + 3
    assert first.structured_content["job_id"] == again.structured_content["job_id"]
    assert MediaJob.objects.filter(owner=user).count() == 1
    assert ApiToken.objects.get(user=user).last_used_at is not None  # the token's use is recorded


def test_the_edit_tool_edits_an_area_in_words_or_inside_an_uploaded_mask(gemini_stack, make_user):
    user = make_user(tier="JIVE")
    token = token_for(user)
    photo = image_asset(user)
    mask = save_upload(user, make_mask((96, 64), (10, 10, 40, 40)))
    done = []
    for arguments in (
        {"mode": "remove", "mask_description": "the green square"},
        {"mode": "insert", "prompt": "a sunbird", "mask_asset_id": str(mask.id)},
    ):
        accepted = call(gemini_stack, token, "edit_image", {"image_id": str(photo.id), **arguments})
        assert not accepted.is_error, accepted.content[0].text
        wait_for_job(accepted.structured_content["job_id"], timeout=60)
        done.append(
            call(gemini_stack, token, "job_status", {"job_id": accepted.structured_content["job_id"]})
        )
    for status in done:
        assert status.structured_content["state"] == "succeeded"
        assert [block.type for block in status.content] == ["text", "resource_link", "image"]
    inserted = MediaJob.objects.get(pk=done[1].structured_content["job_id"])
    assert inserted.mask and inserted.model == "gemini-3.1-flash-image"
    assert not MediaJob.objects.get(pk=done[0].structured_content["job_id"]).mask


def test_no_token_or_a_revoked_one_is_401(stack, make_user):
    user = make_user(tier="JIVE")
    token = token_for(user)
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    assert httpx2.post(stack.url + "/mcp", json=listing, headers=headers).status_code == 401
    ApiToken.objects.filter(user=user).update(revoked_at=timezone.now())
    answer = httpx2.post(
        stack.url + "/mcp", json=listing, headers={**headers, "Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    with pytest.raises(MCPError):  # the SDK client gives up on a 401 too
        mcp(stack, token, lambda client: client.list_tools())


def test_another_users_job_is_not_found(stack, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    accepted = call(stack, token_for(alice), "generate_image", {"prompt": "a protea"})
    job_id = accepted.structured_content["job_id"]
    seen = call(stack, token_for(bob), "job_status", {"job_id": job_id})
    assert seen.is_error and seen.structured_content["error"]["code"] == "not_found"
    unknown = call(stack, token_for(bob), "job_status", {"job_id": str(uuid.uuid4())})
    assert unknown.structured_content == seen.structured_content  # no way to tell the two apart


# --- Bad input: a JSON-RPC error, never a 500, nothing charged ------------------------------------


def test_bad_input_is_a_json_rpc_error_and_charges_nothing(stack, make_user):
    user = make_user(tier="JIVE")
    token = token_for(user)
    before = balances(user)

    def rpc_error(name, arguments) -> MCPError:
        with pytest.raises(MCPError) as caught:
            call(stack, token, name, arguments)
        return caught.value

    unknown = rpc_error("make_coffee", {})
    assert unknown.error.code == -32602 and "Unknown tool" in unknown.error.message
    wrong_type = rpc_error("generate_image", {"prompt": "a protea", "count": "many"})
    assert wrong_type.error.code == -32602
    assert wrong_type.error.data["code"] == "validation_error"
    assert wrong_type.error.data["details"][0]["field"] == "count"
    assert rpc_error("generate_image", {"prompt": 42}).error.code == -32602
    assert rpc_error("job_status", {"job_id": "not-a-uuid"}).error.code == -32602
    assert rpc_error("generate_image", {"prompt": "a protea", "mask": "x"}).error.data["details"][0][
        "type"
    ] == ("extra_forbidden")
    too_long = rpc_error("generate_image", {"prompt": "protea " * 400})
    assert too_long.error.data["details"][0]["type"] == "string_too_long"

    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": "2025-11-25",
    }
    malformed = httpx2.post(
        stack.url + "/mcp", content=b'{"jsonrpc": "2.0", "id": 1, "method": ', headers=headers
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == -32700  # parse error
    not_a_request = httpx2.post(
        stack.url + "/mcp", json={"jsonrpc": "2.0", "id": 2, "nonsense": True}, headers=headers
    )
    assert not_a_request.status_code < 500 and "error" in not_a_request.json()
    arguments_not_an_object = httpx2.post(
        stack.url + "/mcp",
        json={
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "generate_image", "arguments": "a protea"},
        },
        headers=headers,
    )
    assert arguments_not_an_object.status_code < 500 and "error" in arguments_not_an_object.json()
    huge = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "generate_image", "arguments": {"prompt": "p" * 2_000_000}},
        }
    )
    oversized = httpx2.post(stack.url + "/mcp", content=huge, headers=headers)
    assert oversized.status_code == 413
    assert oversized.json()["error"]["data"]["code"] == "request_too_large"

    assert balances(user) == before
    assert not MediaJob.objects.exists()
    assert "Traceback" not in stack.log_path.read_text()


@pytest.fixture
def web(providers_env, settings, tmp_path):
    """The web server alone, for calls that never reach a worker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    server = WebServer(providers_env, tmp_path)
    yield server
    server.stop()


def test_human_words_follow_accept_language_and_codes_stay_english(web, make_user):
    """/mcp runs outside Django's middleware: the call chooses its language from Accept-Language
    as LocaleMiddleware would (README "Languages")."""
    token = token_for(make_user(tier="JIVE"))
    for lang, words in {
        "af": (
            "Die versoek was nie geldig nie: count: Die waarde moet 'n heelgetal wees",
            "Plan: ",
            "Die waarde",
        ),
        "zu": ("Isicelo besingavumelekile: count: Inani kumele libe yinombolo ephelele", "Uhlelo: ", "Inani"),
        "en-GB,en;q=0.8": (
            "The request was not valid: count: Input should be a valid integer",
            "Plan: ",
            "Input",
        ),
    }.items():
        with pytest.raises(MCPError) as caught:
            call(
                web,
                token,
                "generate_image",
                {"prompt": "a protea", "count": "many"},
                **{"Accept-Language": lang},
            )
        assert caught.value.error.message.startswith(words[0])
        assert caught.value.error.data["code"] == "validation_error"
        assert caught.value.error.data["details"][0]["type"] == "int_parsing"

        with pytest.raises(MCPError) as caught:  # an account tool's own validation
            call(web, token, "job_status", {"job_id": "not-a-uuid"}, **{"Accept-Language": lang})
        assert caught.value.error.data["details"][0]["message"].startswith(words[2])

        quota = call(web, token, "get_quota", {}, **{"Accept-Language": lang})
        assert quota.content[0].text.startswith(words[1]) and quota.structured_content["tier"] == "JIVE"
    assert "Traceback" not in web.log_path.read_text()
