"""Gemini text models (the assistant, the prompt helper) through the real google-genai client.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import datetime as dt

import pytest
from google.genai import errors as genai_errors
from google.genai import types

from emulator.tests.helpers import make_client

TEXT = "gemini-3.8-flash"
TOOLS = [
    types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="generate_image",
                description="Make images.",
                parameters=types.Schema(
                    type="OBJECT", properties={"prompt": types.Schema(type="STRING")}, required=["prompt"]
                ),
            ),
            types.FunctionDeclaration(name="upscale_image", description="Upscale an image."),
        ]
    )
]
NO_AFC = types.AutomaticFunctionCallingConfig(disable=True)


@pytest.fixture
def text_client(emu):
    return make_client(emu, location="global")


def ask(client, contents, **config):
    return client.models.generate_content(
        model=TEXT,
        contents=contents,
        config=types.GenerateContentConfig(tools=TOOLS, automatic_function_calling=NO_AFC, **config),
    )


def test_a_picture_request_becomes_a_generate_image_call_with_a_signature(text_client):
    response = ask(text_client, ["make me a picture of a protea at sunrise"])
    part = response.candidates[0].content.parts[0]
    assert part.function_call.name == "generate_image"
    assert part.function_call.args == {"prompt": "a protea at sunrise"}
    assert part.thought_signature
    assert response.usage_metadata.prompt_token_count > 0
    assert response.usage_metadata.candidates_token_count > 0


def test_a_function_response_gets_a_short_text_passing_its_message_on(text_client):
    first = ask(text_client, ["a picture of a braai"])
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="a picture of a braai")]),
        first.candidates[0].content,  # sent back as it came, signature included
        types.Content(
            role="user",
            parts=[
                types.Part.from_function_response(
                    name="generate_image", response={"ok": True, "message": "Started 1 image (R0.74)."}
                )
            ],
        ),
    ]
    answer = ask(text_client, history)
    assert answer.text == "Started 1 image (R0.74)."
    assert answer.candidates[0].finish_reason == types.FinishReason.STOP


def test_a_function_call_sent_back_without_its_signature_is_refused(text_client):
    first = ask(text_client, ["a picture of a braai"])
    call = first.candidates[0].content.parts[0]
    unsigned = types.Content(role="model", parts=[types.Part(function_call=call.function_call)])
    reply = types.Part.from_function_response(name="generate_image", response={"ok": True})
    with pytest.raises(genai_errors.ClientError) as caught:
        ask(text_client, ["a picture of a braai", unsigned, types.Content(role="user", parts=[reply])])
    assert caught.value.code == 400 and "thought_signature" in caught.value.message


def test_function_responses_must_answer_the_calls(text_client):
    reply = types.Part.from_function_response(name="generate_image", response={"ok": True})
    with pytest.raises(genai_errors.ClientError) as caught:
        ask(text_client, [types.Content(role="user", parts=[reply])])
    assert "number of function response parts" in caught.value.message


def test_invalid_function_names_and_limits_are_refused(text_client):
    bad = [types.Tool(function_declarations=[types.FunctionDeclaration(name="make image!")])]
    with pytest.raises(genai_errors.ClientError) as caught:
        text_client.models.generate_content(
            model=TEXT, contents=["hi"], config=types.GenerateContentConfig(tools=bad)
        )
    assert "Invalid function name" in caught.value.message
    with pytest.raises(genai_errors.ClientError):
        ask(text_client, ["hi"], max_output_tokens=70_000)


def test_the_prompt_helper_translates_and_improves_deterministically(text_client):
    def helper(system, text):
        return text_client.models.generate_content(
            model=TEXT, contents=[text], config=types.GenerateContentConfig(system_instruction=system)
        ).text

    zulu = "Indlovu enkulu ehamba ogwini lolwandle ekuseni"
    english = helper("Translate the user's image prompt into English.", zulu)
    assert english == "A big elephant walking on the seashore in the morning"
    assert helper("Translate the user's image prompt into English.", zulu) == english
    improved = helper("Rewrite the user's short prompt as a detailed one.", "a protea")
    assert improved.startswith("A protea, shown in rich detail") and len(improved) > 80


def test_a_streamed_answer_arrives_in_pieces_and_stops_at_max_tokens(text_client):
    chunks = list(
        text_client.models.generate_content_stream(
            model=TEXT,
            contents=["hello there"],
            config=types.GenerateContentConfig(tools=TOOLS, automatic_function_calling=NO_AFC),
        )
    )
    assert len(chunks) > 3
    assert "".join(chunk.text or "" for chunk in chunks).startswith("I can make pictures")
    assert chunks[-1].usage_metadata.candidates_token_count > 0
    capped = ask(text_client, ["hello there"], max_output_tokens=5)
    assert capped.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert len(capped.text) <= 20


def test_a_blocked_prompt_and_a_retired_text_model(emu, text_client):
    blocked = ask(text_client, ["a picture of [[fault:blocked]]"])
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    emu.set_clock(dt.date(2026, 12, 1))
    with pytest.raises(genai_errors.ClientError) as caught:
        text_client.models.generate_content(model="gemini-2.5-flash", contents=["hi"])
    assert caught.value.code == 404
