"""Prompts must carry meaning (issue 11, point 8): a prompt with no letters or digits once
invisible characters and filler (punctuation, symbols, emoji) are set aside is refused by the
schemas, so the API, the LLM tools, the pages and the slash commands all refuse it, with the
stable error type `prompt_without_meaning`, and nothing is reserved or charged. A slash word
that starts like a flag but is none (`--`, `---`, `--1`) is an error naming it.
"""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from billing import services as billing
from billing.models import CostEntry, Reservation
from studio import slash
from studio.models import MediaJob
from studio.schemas import PROMPT_WITHOUT_MEANING, EditImage, GenerateImage, GenerateVideo

JUNK = [
    "--",  # what /image -- used to send
    "---",
    "\u200b",  # zero-width space
    "\ufeff\u2060\u200b\u200d",  # BOM, word joiner, zero-width space and joiner
    " \u200b \u3000 \u2028",  # spaces, ideographic space, line separator
    "...",
    "!?#*&%",
    "— – ~ ^ |",
    "🔥🔥🔥",  # emoji alone describe nothing we would charge for
]
LEGIT = [
    "Ngifuna inja emhlophe ehlathini",  # isiZulu
    "’n Kat op die stoep in die son",  # Afrikaans, starting with an apostrophe
    "一只猫在长城上",  # Chinese
    "🐱 a cat on a 🛹 in Durban",  # emoji and words
    "ठीक है, एक बाघ",  # Devanagari: letters with combining marks
    "1994",
    "--ar is what I typed, quoted",
]


@pytest.mark.parametrize("prompt", JUNK)
def test_the_schemas_refuse_a_prompt_without_meaning_with_a_stable_type(prompt):
    attempts = [
        lambda: GenerateImage(prompt=prompt),
        lambda: GenerateImage(prompt="a kudu", negative_prompt=prompt),
        lambda: GenerateVideo(prompt=prompt),
        lambda: GenerateVideo(prompt=prompt, first_frame_id=uuid.uuid4()),  # optional, but not junk
        lambda: EditImage(image_id=uuid.uuid4(), mode="background_swap", prompt=prompt),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        types = {item["type"] for item in caught.value.errors()}
        # A whitespace-only text is simply empty (too short) where a prompt is required.
        assert types & {PROMPT_WITHOUT_MEANING, "string_too_short"}, types


@pytest.mark.parametrize("prompt", LEGIT)
def test_the_schemas_keep_prompts_in_any_script(prompt):
    assert GenerateImage(prompt=prompt).prompt == prompt
    assert GenerateVideo(prompt=prompt).prompt == prompt


def test_invisible_characters_at_the_ends_are_trimmed_and_inside_kept():
    assert GenerateImage(prompt="\u200b\ufeff a protea \u2060").prompt == "a protea"
    assert GenerateImage(prompt="👩\u200d🎨 a painter").prompt == "👩\u200d🎨 a painter"
    # An optional prompt may still be empty.
    assert GenerateVideo(prompt="", first_frame_id=uuid.uuid4()).prompt == ""


def _untouched(user, images_left: int) -> bool:
    left = next(b.remaining for b in billing.remaining(user) if b.meter == "images")
    return (
        left == images_left
        and not MediaJob.objects.filter(owner=user).exists()
        and not Reservation.objects.filter(user=user).exists()
        and not CostEntry.objects.filter(user=user).exists()
    )


def _images_left(user) -> int:
    return next(b.remaining for b in billing.remaining(user) if b.meter == "images")


@pytest.mark.parametrize("prompt", JUNK)
def test_the_api_refuses_junk_and_charges_nothing(studio_env, api, make_user, prompt):
    user = make_user(tier="JIVE")
    api.login(user)
    before = _images_left(user)

    response = api.post("/images/generate", {"prompt": prompt}, key=uuid.uuid4())

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "prompt"
    assert error["details"][0]["type"] in (PROMPT_WITHOUT_MEANING, "string_too_short")
    assert _untouched(user, before)


def test_the_api_message_says_what_is_wrong(studio_env, api, make_user):
    api.login(make_user(tier="JIVE"))
    error = api.post("/videos/generate", {"prompt": "--"}).json()["error"]
    assert error["message"] == (
        "prompt: must contain letters or digits, not only punctuation, symbols, emoji or invisible characters"
    )
    assert error["details"] == [
        {
            "field": "prompt",
            "message": error["message"].removeprefix("prompt: "),
            "type": PROMPT_WITHOUT_MEANING,
        }
    ]


@pytest.mark.parametrize("prompt", ["--", "\u200b", "🔥🔥"])
def test_the_llm_tools_refuse_junk_and_charge_nothing(studio_env, api, make_user, prompt):
    user = make_user(tier="JIVE")
    api.login(user)
    before = _images_left(user)

    response = api.post("/tools/call", {"name": "generate_image", "arguments": {"prompt": prompt}})

    body = response.json()
    assert (response.status_code, body["ok"], body["error"]["code"]) == (200, False, "validation_error")
    assert body["error"]["details"][0]["type"] == PROMPT_WITHOUT_MEANING
    assert "letters or digits" in body["message"]
    assert _untouched(user, before)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/image --", "-- is not a flag"),
        ("/image ---", "--- is not a flag"),
        ("/image a cat --1", "--1 is not a flag"),
        ("/image ---ar 16:9 a cat", "---ar is not a flag"),
        ("/image a cat --no --", "-- is not a flag"),
        ("/video --", "-- is not a flag"),
        ("/image a cat --xyz", "/image has no --xyz flag"),
        ("/image ...", "The prompt “...” has no letters or digits"),
        ('/image "--"', "The prompt “--” has no letters or digits"),
        ("/image \u200b\u2060", "has no letters or digits"),
        ("/image 🔥 🔥", "has no letters or digits"),
        ("/video — –", "describe the video in words"),
        ("/image a cat --no ...", "--no: must contain letters or digits"),
    ],
)
def test_slash_commands_name_the_junk(text, message):
    with pytest.raises(slash.CommandError) as caught:
        slash.parse(text)
    assert message in str(caught.value)


def test_slash_commands_keep_dashes_that_are_punctuation_and_quoted_flags():
    assert slash.parse("/image sunset — Clifton").params.prompt == "sunset — Clifton"
    assert slash.parse('/image "a -- b" cat').params.prompt == "a -- b cat"
    with pytest.raises(slash.CommandError, match="--seed must be a whole number"):
        slash.parse("/image a cat --seed -1")  # a single dash is a value, for the schema to judge
    for prompt in LEGIT[:5]:
        assert slash.parse(f"/image {prompt} --ar 16:9").params.prompt == prompt


@pytest.mark.parametrize("text", ["/image --", "/image ---", "/image \u200b", "/image ...", "/video --"])
def test_the_command_box_refuses_junk_and_charges_nothing(
    client, make_user, studio_env, django_capture_on_commit_callbacks, text
):
    user = make_user(tier="JIGGA")
    client.force_login(user)
    before = _images_left(user)
    data = {"command": text, "idempotency_key": str(uuid.uuid4()), "box": "h"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/studio/command/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Nothing was created." in response.content.decode()
    assert _untouched(user, before)


@pytest.mark.parametrize("prompt", ["--", "\u200b\u200b", "!!!"])
def test_the_create_page_refuses_junk_on_the_form_and_charges_nothing(
    client, make_user, studio_env, django_capture_on_commit_callbacks, prompt
):
    user = make_user(tier="JIVE")
    client.force_login(user)
    before = _images_left(user)
    data = {"prompt": prompt, "count": "1", "aspect_ratio": "1:1", "idempotency_key": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/studio/images/create/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="prompt-error"' in html and "letters or digits" in html
    assert _untouched(user, before)
