"""The LLM tool registry: definitions for OpenAI and Gemini, and calls through submit_job.

Calls stop at the queue: the enqueue is captured on commit, never executed, so these tests show
what a call reserves and answers without running a worker (test_api_jobs.py runs the pipeline).
"""

from __future__ import annotations

import json
import uuid

import pytest
from google.genai import types

from billing.models import Reservation
from studio import tools
from studio.models import MediaJob
from studio.schemas import IMAGE_ASPECT_RATIOS, GenerateImage
from studio.tests.factories import make_photo

TOOL_NAMES = [
    "generate_image",
    "edit_image",
    "compose_image",
    "upscale_image",
    "generate_video",
    "extend_video",
]


@pytest.fixture
def tool_env(settings, tmp_path):
    """Media in tmp, and breakers of our own (closed) so the submit path never sees others' state."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REDIS_URL = ""
    settings.BREAKER_NAMESPACE = f"test-{uuid.uuid4().hex[:12]}"
    settings.BREAKER_STATE_PATH = tmp_path / "breakers.sqlite3"


@pytest.fixture
def call(tool_env, django_capture_on_commit_callbacks):
    """call(user, name, arguments) → (status, body, number of on-commit enqueues captured)."""

    def run(user, name, arguments):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            status, body = tools.call_tool(user, name, arguments)
        json.dumps(body)  # the answer goes back to an LLM as JSON: it must serialize
        return status, body, len(callbacks)

    return run


def _image(owner):
    from studio.assets import create_image_asset

    return create_image_asset(owner=owner, data=make_photo((96, 64)), mime_type="image/png")


def _keys(schema, found=None) -> set[str]:
    """Every dict key at any depth (property names included, which only makes the check stricter)."""
    found = set() if found is None else found
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            _keys(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _keys(item, found)
    return found


def _nothing_reserved(user):
    return (
        not MediaJob.objects.filter(owner=user).exists()
        and not Reservation.objects.filter(user=user).exists()
    )


# --- Definitions ---------------------------------------------------------------------------


def test_it_defines_exactly_the_studio_tools():
    assert list(tools.TOOLS) == TOOL_NAMES
    assert [t["function"]["name"] for t in tools.openai_tools()] == TOOL_NAMES
    assert [d["name"] for d in tools.gemini_tools()["functionDeclarations"]] == TOOL_NAMES
    for tool in tools.TOOLS.values():
        assert "ZAR" in tool.description and "FREE" in tool.description


def test_it_tells_the_llm_each_tiers_rules():
    descriptions = {name: tool.description for name, tool in tools.TOOLS.items()}
    assert "one watermarked preview" in descriptions["generate_image"]
    assert "v3 model only" in descriptions["upscale_image"]
    for name in ("edit_image", "upscale_image", "generate_video", "extend_video"):
        assert "FREE users are refused with an upgrade answer" in descriptions[name]


def test_it_inlines_refs_for_openai_and_keeps_the_constraints():
    definitions = {t["function"]["name"]: t for t in tools.openai_tools()}
    for definition in definitions.values():
        assert definition["type"] == "function" and definition["function"]["strict"] is False
        parameters = definition["function"]["parameters"]
        assert parameters["type"] == "object" and parameters["additionalProperties"] is False
        assert not {"$ref", "$defs", "title"} & _keys(parameters)

    image = definitions["generate_image"]["function"]["parameters"]
    assert image["required"] == ["prompt"]
    assert image["properties"]["aspect_ratio"]["enum"] == list(IMAGE_ASPECT_RATIOS)
    assert image["properties"]["image_size"]["enum"] == ["512", "1K", "2K", "4K"]
    assert image["properties"]["output_format"]["enum"] == ["png", "jpeg", "webp"]
    assert image["properties"]["aspect_ratio"]["default"] == "1:1"
    assert (image["properties"]["count"]["minimum"], image["properties"]["count"]["maximum"]) == (1, 4)
    assert image["properties"]["prompt"]["maxLength"] == 2000

    video = definitions["generate_video"]["function"]["parameters"]["properties"]
    assert video["duration_seconds"]["enum"] == [4, 6, 8]

    edit = definitions["edit_image"]["function"]["parameters"]
    assert "mask" not in edit["properties"] and "mask" not in edit.get("required", [])
    sides = edit["properties"]["outpaint"]["anyOf"][0]
    assert sides["type"] == "object" and sides["additionalProperties"] is False
    assert sides["properties"]["left"]["maximum"] == 4096


def test_it_leaves_the_schemas_models_alone():
    from studio.schemas import EditImage

    tools.openai_tools()
    tools.gemini_tools()
    assert "mask" in EditImage.model_json_schema()["properties"]
    assert "mask" not in tools.TOOLS["edit_image"].parameters()["properties"]


def test_it_builds_gemini_declarations_that_googles_client_accepts():
    payload = tools.gemini_tools()
    types.Tool(**payload)
    for declaration in payload["functionDeclarations"]:
        parsed = types.FunctionDeclaration(**declaration)
        # Nothing was dropped or coerced on the way in: the client model round-trips our dict.
        assert parsed.model_dump(by_alias=True, exclude_none=True, mode="json") == declaration


def test_it_keeps_gemini_schemas_to_the_openapi_subset():
    for declaration in tools.gemini_tools()["functionDeclarations"]:
        keys = _keys(declaration["parameters"])
        assert not {"additionalProperties", "$ref", "$defs", "default", "title", "const"} & keys


def test_it_collapses_optionals_and_keeps_enums_for_gemini():
    declarations = {d["name"]: d["parameters"] for d in tools.gemini_tools()["functionDeclarations"]}
    image = declarations["generate_image"]
    assert image["type"] == "OBJECT" and image["required"] == ["prompt"]
    assert image["properties"]["aspect_ratio"] == {
        "type": "STRING",
        "enum": list(IMAGE_ASPECT_RATIOS),
        "description": f'{GenerateImage.model_fields["aspect_ratio"].description} Default: "1:1".',
    }
    assert image["properties"]["seed"] == {
        "type": "INTEGER",
        "minimum": 0,
        "maximum": 2147483647,
        "nullable": True,
        "description": "Repeat a result: the same seed and prompt give similar images.",
    }
    assert image["properties"]["style"]["enum"][0] == "photographic"
    assert image["properties"]["style"]["nullable"] is True

    video = declarations["generate_video"]["properties"]
    assert video["duration_seconds"]["type"] == "INTEGER"
    assert video["duration_seconds"]["format"] == "enum"
    assert video["duration_seconds"]["enum"] == ["4", "6", "8"]
    assert video["aspect_ratio"]["enum"] == ["16:9", "9:16"]
    # uuid is not a format Gemini accepts for strings: it moves into the description.
    assert "format" not in video["first_frame_id"]
    assert video["first_frame_id"]["description"].endswith("Format: uuid.")

    edit = declarations["edit_image"]
    assert "mask" not in edit["properties"]
    outpaint = edit["properties"]["outpaint"]
    assert outpaint["type"] == "OBJECT" and outpaint["nullable"] is True
    assert outpaint["description"] == "Outpaint: pixels to add on each side."
    assert set(outpaint["properties"]) == {"left", "top", "right", "bottom"}


def test_it_turns_const_and_type_lists_into_gemini_shapes():
    schema = {
        "type": "object",
        "properties": {
            "kind": {"const": "video", "type": "string", "title": "Kind"},
            "note": {"type": ["string", "null"], "default": "hi"},
        },
    }
    converted = tools._map_schema(tools.inline_refs(schema), tools._gemini_node)
    assert converted["properties"]["kind"] == {"type": "STRING", "enum": ["video"]}
    assert converted["properties"]["note"] == {
        "type": "STRING",
        "nullable": True,
        "description": 'Default: "hi".',
    }
    types.Schema(**converted)


def test_it_refuses_to_inline_a_recursive_schema():
    schema = {"$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}}}
    with pytest.raises(ValueError, match="recursive"):
        tools.inline_refs({"$ref": "#/$defs/Node", **schema})


# --- Calls ---------------------------------------------------------------------------------


def test_it_starts_a_job_for_a_paid_user(call, make_user):
    user = make_user(tier="JIVE")
    status, body, enqueued = call(user, "generate_image", {"prompt": "a protea at dawn"})

    assert status == 202, body
    assert body["ok"] is True and body["state"] == "queued"
    assert body["quote"]["zar"] == "R0.74" and body["quote"]["usd"] == "$0.04"
    assert body["status_url"].endswith(f"/{body['job_id']}/status")
    assert body["message"].startswith("Started generating 1 image (R0.74 / $0.04). Job ")
    assert body["job_id"] in body["message"]
    job = MediaJob.objects.get(pk=body["job_id"], owner=user)
    reservation = Reservation.objects.get(reference=job.reservation_reference)
    assert (reservation.user, reservation.meter, reservation.units, reservation.state) == (
        user,
        "images",
        1,
        "reserved",
    )
    assert enqueued == 1


def test_it_accepts_arguments_as_a_json_string(call, make_user):
    user = make_user(tier="JIVE")
    arguments = json.dumps({"prompt": "Kruger at sunset", "count": 2, "aspect_ratio": "16:9"})
    status, body, _ = call(user, "generate_image", arguments)

    assert status == 202, body
    assert body["quote"]["zar"] == "R1.48"
    assert body["message"].startswith("Started generating 2 images (R1.48 / $0.08).")
    assert MediaJob.objects.get(pk=body["job_id"]).params["aspect_ratio"] == "16:9"


def test_it_refuses_malformed_json_as_a_validation_error(call, make_user):
    user = make_user(tier="JIVE")
    status, body, enqueued = call(user, "generate_image", '{"prompt": "a protea"')

    assert status == 200
    assert body["ok"] is False and body["error"]["code"] == "validation_error"
    assert "not valid JSON" in body["message"]
    assert _nothing_reserved(user) and enqueued == 0


def test_it_refuses_arguments_that_are_not_an_object(call, make_user):
    user = make_user(tier="JIVE")
    status, body, _ = call(user, "generate_image", "[1, 2]")

    assert status == 200 and body["error"]["code"] == "validation_error"
    assert _nothing_reserved(user)


def test_it_offers_free_users_an_upgrade_with_its_price_for_editing(call, make_user):
    user = make_user(tier="FREE")
    image = _image(user)
    status, body, enqueued = call(
        user, "edit_image", {"image_id": str(image.id), "mode": "background_swap", "prompt": "a beach"}
    )

    assert status == 200
    assert body["ok"] is False and body["error"]["code"] == "upgrade_required"
    assert [option["tier"] for option in body["error"]["upgrade"]] == ["JIVE", "JIGGA"]
    assert "JIVE (R49.00/month, 20 edits a month)" in body["message"]
    assert "JIGGA (R149.00/month" in body["message"]
    assert _nothing_reserved(user) and enqueued == 0


def test_it_refuses_v4_upscaling_to_jive_and_points_to_jigga(call, make_user):
    user = make_user(tier="JIVE")
    image = _image(user)
    status, body, _ = call(user, "upscale_image", {"image_id": str(image.id), "model": "v4"})

    assert status == 200
    assert body["error"]["code"] == "upgrade_required"
    assert [option["tier"] for option in body["error"]["upgrade"]] == ["JIGGA"]
    assert "JIGGA (R149.00/month" in body["message"]
    assert _nothing_reserved(user)


def test_it_upscales_the_users_own_image_with_v3(call, make_user):
    user = make_user(tier="JIVE")
    image = _image(user)
    status, body, _ = call(user, "upscale_image", {"image_id": str(image.id), "factor": "x4"})

    assert status == 202, body
    assert body["message"].startswith("Started upscaling the image x4 with V3 (R0.74 / $0.04).")
    assert Reservation.objects.filter(user=user, meter="upscales", units=1).exists()


def test_it_outpaints_without_a_mask(call, make_user):
    user = make_user(tier="JIVE")
    image = _image(user)
    status, body, _ = call(
        user, "edit_image", {"image_id": str(image.id), "mode": "outpaint", "outpaint": {"right": 32}}
    )

    assert status == 202, body
    assert body["message"].startswith("Started extending the image's canvas (R0.74 / $0.04).")


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"prompt": "a protea", "colour": "red"}, "colour"),
        ({"prompt": "a protea", "aspect_ratio": "2:1"}, "aspect_ratio"),
        ({"prompt": "a protea", "count": 9}, "count"),
        ({"prompt": ""}, "prompt"),
    ],
)
def test_it_refuses_bad_arguments_before_reserving_anything(call, make_user, arguments, field):
    user = make_user(tier="JIVE")
    status, body, enqueued = call(user, "generate_image", arguments)

    assert status == 200
    assert body["ok"] is False and body["error"]["code"] == "validation_error"
    assert field in [detail["field"] for detail in body["error"]["details"]]
    assert body["message"].startswith("The request was not valid: ")
    assert _nothing_reserved(user) and enqueued == 0


def test_it_refuses_a_mask_from_an_llm_like_any_unknown_field(call, make_user):
    user = make_user(tier="JIVE")
    image = _image(user)
    status, body, _ = call(
        user,
        "edit_image",
        {"image_id": str(image.id), "mode": "insert", "prompt": "a hat", "mask": "iVBORw0KGgo="},
    )

    assert status == 200 and body["error"]["code"] == "validation_error"
    details = body["error"]["details"]
    mask = {"field": "mask", "message": "Extra inputs are not permitted", "type": "extra_forbidden"}
    assert mask in details
    # Without the mask, the model's own rule speaks too, so the LLM learns both at once.
    assert any("needs a painted mask" in detail["message"] for detail in details)
    # The hint names the ways a model can give a mask instead.
    assert "mask_description (the area in words) or mask_asset_id" in body["message"]
    assert _nothing_reserved(user)


def test_it_explains_that_insert_needs_a_painted_mask(call, make_user):
    user = make_user(tier="JIVE")
    image = _image(user)
    status, body, _ = call(
        user, "edit_image", {"image_id": str(image.id), "mode": "insert", "prompt": "a hat"}
    )

    assert status == 200 and body["error"]["code"] == "validation_error"
    assert "needs a painted mask" in body["message"]
    assert "background_swap and outpaint work without one" in body["message"]
    assert _nothing_reserved(user)


def test_it_answers_404_for_an_unknown_tool(call, make_user):
    user = make_user(tier="JIVE")
    status, body, _ = call(user, "make_coffee", {})

    assert status == 404
    assert body["ok"] is False and body["error"]["code"] == "unknown_tool"
    assert body["error"]["tools"] == TOOL_NAMES
    assert _nothing_reserved(user)


def test_it_does_not_let_a_user_edit_another_users_image(call, make_user):
    alice = make_user(tier="JIGGA")
    bob = make_user(tier="JIGGA")
    image = _image(alice)
    status, body, enqueued = call(
        bob, "edit_image", {"image_id": str(image.id), "mode": "background_swap", "prompt": "a beach"}
    )

    assert status == 200
    assert body["ok"] is False and body["error"]["code"] == "not_found"
    assert body["message"] == "No image with that id."
    assert _nothing_reserved(bob) and enqueued == 0


def test_it_starts_a_video_with_sound_from_the_audio_pool(call, make_user):
    user = make_user(tier="JIGGA")
    status, body, _ = call(
        user,
        "generate_video",
        {"prompt": "waves at Muizenberg", "duration_seconds": 6, "generate_audio": True},
    )

    assert status == 202, body
    assert body["quote"]["zar"] == "R44.40"
    assert body["message"].startswith("Started a 6-second 16:9 video with sound (R44.40 / $2.40).")
    assert "a minute or two" in body["message"]
    assert Reservation.objects.filter(user=user, meter="video_audio_seconds", units=6).exists()


def test_it_relays_an_exhausted_allowance_with_the_upgrade(call, make_user):
    user = make_user(tier="JIVE")  # 120 seconds of video with audio a month
    arguments = {"prompt": "Drakensberg storm", "count": 4, "generate_audio": True}
    for _ in range(3):
        status, body, _ = call(user, "generate_video", arguments)
        assert status == 202, body  # 32 seconds each

    status, body, _ = call(user, "generate_video", arguments)

    assert status == 200
    assert body["error"]["code"] == "quota_exceeded" and body["error"]["remaining"] == 24
    assert "JIGGA (R149.00/month, 600 seconds of video with audio a month)" in body["message"]
    assert Reservation.objects.filter(user=user).count() == 3
