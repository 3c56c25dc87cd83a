"""Contract tests: the text model (assistant, prompt helper) through the real client and the emulator."""

from __future__ import annotations

import pytest

from studio import providers, tools

from .conftest import product_requests


def user(text: str) -> dict:
    return {"role": "user", "parts": [{"text": text}]}


def test_a_picture_request_comes_back_as_a_function_call_whose_turn_can_be_sent_back(providers_env):
    first = providers.generate_text(
        providers.TextRequest(
            contents=[user("make me a picture of a protea at sunrise")], tools=tools.gemini_tools()
        )
    )

    assert first.function_calls == [
        providers.FunctionCall("generate_image", {"prompt": "a protea at sunrise"})
    ]
    assert first.content["parts"][0]["thoughtSignature"]  # kept for the next request
    assert first.input_tokens > 500 and first.output_tokens > 0  # the tool declarations are input too
    answer = {"functionResponse": {"name": "generate_image", "response": {"ok": True, "message": "Started."}}}
    second = providers.generate_text(
        providers.TextRequest(
            contents=[
                user("make me a picture of a protea at sunrise"),
                first.content,
                {"role": "user", "parts": [answer]},
            ],
            tools=tools.gemini_tools(),
        )
    )
    assert second.text == "Started." and second.function_calls == []
    sent = product_requests(providers_env)[-1]
    assert sent["path"].endswith(
        "/locations/global/publishers/google/models/gemini-3.8-flash:generateContent"
    )


def test_a_streamed_answer_comes_in_pieces_then_the_result(providers_env):
    items = list(
        providers.stream_text(providers.TextRequest(contents=[user("hello")], max_output_tokens=200))
    )

    deltas = [item for item in items if isinstance(item, providers.TextDelta)]
    result = items[-1]
    assert len(deltas) > 2 and isinstance(result, providers.TextResult)
    assert "".join(d.text for d in deltas) == result.text
    assert len(result.content["parts"]) == 1  # the pieces joined, with the signature
    assert product_requests(providers_env)[-1]["query"] == {"alt": "sse"}


def test_a_failing_text_model_is_retried_then_refused_like_the_media_models(providers_env, settings):
    providers_env.inject("503", times=2, match={"model": "gemini-3.8-flash"})
    result = providers.generate_text(providers.TextRequest(contents=[user("hello")]))
    assert result.text
    assert len([r for r in product_requests(providers_env) if r["model"] == "gemini-3.8-flash"]) == 3

    providers_env.inject("400", times=1, match={"model": "gemini-3.8-flash"})
    with pytest.raises(providers.InvalidRequestError):
        providers.generate_text(providers.TextRequest(contents=[user("hello")]))
