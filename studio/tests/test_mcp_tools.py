"""The MCP tools' answers for cases the HTTP tests (test_mcp_server.py) do not reach quickly: a
video's result, a failed job, the submit rate limit. Called as the SDK's handler calls them
(studio/mcp_server.call), in-process, on the emulator."""

from __future__ import annotations

import asyncio
import base64
import functools
import io
from urllib.parse import urljoin

import httpx2
import pytest
from django.utils import translation
from mcp import MCPError
from PIL import Image

from studio import assets, mcp_server
from studio.assets import create_image_asset
from studio.models import MediaAsset, MediaJob
from studio.tests.factories import make_asset, make_job

pytestmark = pytest.mark.django_db

absolute = functools.partial(urljoin, "http://testserver/")


def call(user, name, arguments):
    return mcp_server.call(user, name, arguments, key=None, absolute=absolute)


def test_a_finished_video_comes_back_as_a_signed_link_only(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user(tier="JIGGA")
    job = make_job(user, operation="generate_video", state=MediaJob.State.SUCCEEDED)
    make_asset(
        user, job=job, data=b"\x00\x00\x00\x18ftypmp42", kind=MediaAsset.Kind.VIDEO, mime_type="video/mp4"
    )

    answer = call(user, "job_status", {"job_id": str(job.id)})

    assert not answer.is_error
    assert [block.type for block in answer.content] == ["text", "resource_link"]
    link = answer.content[1]
    assert link.mime_type == "video/mp4" and str(link.uri).startswith("http://testserver/media/a/")
    assert "?sig=" in str(link.uri)  # signed: it opens without a session (studio/serving.py)
    assert answer.structured_content["assets"][0]["kind"] == "video"


def noise_png(size=(600, 400)) -> bytes:
    """A PNG that does not compress: its thumbnail is far smaller than it."""
    out = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def test_a_finished_image_comes_inline_when_small_enough_else_its_thumbnail_else_the_link_only(
    make_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user(tier="JIVE")
    job = make_job(user, state=MediaJob.State.SUCCEEDED)
    original = noise_png()
    image = create_image_asset(owner=user, data=original, mime_type="image/png", source_job=job)
    thumbnail = assets.read_bytes(image.thumbnail)
    assert len(thumbnail) < len(original)

    def inline():
        answer = call(user, "job_status", {"job_id": str(job.id)})
        assert answer.content[1].type == "resource_link"
        images = [block for block in answer.content if block.type == "image"]
        return [(block.mime_type, base64.b64decode(block.data)) for block in images]

    settings.MCP_IMAGE_CONTENT_MAX_BYTES = len(original)
    assert inline() == [("image/png", original)]
    settings.MCP_IMAGE_CONTENT_MAX_BYTES = len(original) - 1
    assert inline() == [("image/webp", thumbnail)]
    settings.MCP_IMAGE_CONTENT_MAX_BYTES = len(thumbnail) - 1
    assert inline() == []


def test_a_failed_job_says_so_and_that_nothing_was_charged(make_user):
    user = make_user(tier="JIVE")
    job = make_job(user, state=MediaJob.State.FAILED, error_code="safety_blocked")

    answer = call(user, "job_status", {"job_id": str(job.id)})

    assert not answer.is_error  # the call worked; the job did not
    assert answer.structured_content["error"]["code"] == "safety_blocked"
    assert "not charged" in answer.content[0].text


def test_the_submit_rate_limit_is_a_structured_refusal(make_user, studio_env, settings):
    settings.SUBMITS_PER_MINUTE = 1
    user = make_user(tier="JIVE")
    assert not call(user, "generate_image", {"prompt": "a protea"}).is_error

    refused = call(user, "generate_image", {"prompt": "another protea"})

    assert refused.is_error
    assert refused.structured_content["error"]["code"] == "rate_limited"
    assert refused.structured_content["error"]["retry_after"] >= 1
    assert MediaJob.objects.filter(owner=user).count() == 1


def test_quota_and_media_take_no_arguments_they_do_not_know(make_user):
    user = make_user()
    with pytest.raises(MCPError) as caught:
        call(user, "get_quota", {"tier": "JIGGA"})
    assert caught.value.error.data["details"][0]["type"] == "extra_forbidden"
    with pytest.raises(MCPError):
        call(user, "list_media", {"limit": 500})
    assert call(user, "list_media", {}).structured_content == {"assets": [], "expires_in_hours": 24}


# --- Its sentences in the reader's language (the HTTP test checks Accept-Language chooses it) ------


@pytest.mark.parametrize(
    ("lang", "queued", "failed", "no_media", "one_item", "unknown"),
    [
        (
            "en-za",
            "Job {id}: Queued, about",
            "Job {id} failed. ",
            "No media yet.",
            "1 recent item, newest first.",
            "Unknown tool: 'make_coffee'. The tools are generate_image, ",
        ),
        (
            "af",
            "Taak {id}: In die tou, nog omtrent",
            "Taak {id} het misluk. ",
            "Nog geen media nie.",
            "1 onlangse item, nuutste eerste.",
            "Onbekende nutsmiddel: 'make_coffee'. Die nutsmiddels is generate_image, ",
        ),
        (
            "zu",
            "Umsebenzi {id}: Kusemgqeni, kusele cishe",
            "Umsebenzi {id} uhlulekile. ",
            "Awukabi nayo imidiya.",
            "Into yakamuva e-1, entsha kuqala.",
            "Ithuluzi elingaziwa: 'make_coffee'. Amathuluzi akhona yilawa: generate_image, ",
        ),
    ],
)
def test_the_servers_own_sentences_are_in_the_readers_language(
    make_user, settings, tmp_path, lang, queued, failed, no_media, one_item, unknown
):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user(tier="JIVE")
    waiting = make_job(user)
    broken = make_job(user, state=MediaJob.State.FAILED, error_code="safety_blocked")
    with translation.override(lang):
        status = call(user, "job_status", {"job_id": str(waiting.id)}).content[0].text
        assert status.startswith(queued.format(id=waiting.id))
        status = call(user, "job_status", {"job_id": str(broken.id)}).content[0].text
        assert status.startswith(failed.format(id=broken.id))
        assert call(user, "list_media", {}).content[0].text == no_media
        make_asset(user, job=broken)
        assert call(user, "list_media", {}).content[0].text == one_item
        with pytest.raises(MCPError) as caught:
            call(user, "make_coffee", {})
    assert caught.value.error.message.startswith(unknown)
    assert caught.value.error.data["code"] == "unknown_tool"


# --- The checks /mcp makes in place of Django's middleware ----------------------------------------


def post_mcp(host: str, **headers) -> httpx2.Response:
    app = mcp_server.asgi_app()  # the refusals come before the SDK's session manager is needed

    async def send():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            return await client.post(
                "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers
            )

    return asyncio.run(send())


def test_the_host_must_be_one_of_allowed_hosts_as_django_reads_them(settings):
    settings.ALLOWED_HOSTS = ["studio.example.co.za", ".media.example"]
    refused = post_mcp("rebound.attacker.example")
    assert refused.status_code == 421 and refused.json()["error"]["data"]["code"] == "bad_request"
    # Past the checks, the bearer middleware answers: no token here.
    assert post_mcp("studio.example.co.za:8443").status_code == 401
    assert post_mcp("eu.media.example").status_code == 401  # Django's leading-dot form
    settings.ALLOWED_HOSTS = ["*"]
    assert post_mcp("anything.example").status_code == 401


def test_a_browser_origin_must_be_allowed(settings):
    settings.ALLOWED_HOSTS = ["studio.example.co.za"]
    refused = post_mcp("studio.example.co.za", Origin="https://evil.example")
    assert refused.status_code == 403 and refused.json()["error"]["data"]["code"] == "forbidden"
    settings.MCP_ALLOWED_ORIGINS = ["https://evil.example"]
    assert post_mcp("studio.example.co.za", Origin="https://evil.example").status_code == 401
