"""Gemini text models through Vertex `:generateContent` and `:streamGenerateContent`, with
function calling: the assistant's conversation and the prompt helper.

A call opens inside the model's circuit breaker with the usual retries (resilience.call_guarded);
a stream is retried only until its first chunk arrives, since a retry after text reached the
user would repeat it. What comes back are our dataclasses (base.py): the text, the function
calls, the model's turn as it must be sent back (Gemini 3 wants its thought signatures again in
the next request), and the tokens Google counted.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from google.genai import types

from . import vertex
from .base import Family, FunctionCall, SafetyBlockedError, TextDelta, TextRequest, TextResult
from .catalog import Route


class GeminiTextAdapter:
    family = Family.GEMINI_TEXT

    def __init__(self, route: Route) -> None:
        self.route = route
        self.model = route.model_id

    def generate(self, request: TextRequest) -> TextResult:
        """The whole answer in one call."""
        config, contents = self._config(request), _contents(request)
        response = self._call(
            lambda client: client.models.generate_content(model=self.model, contents=contents, config=config)
        )
        answer = _Answer(self.model)
        answer.add(response)
        return answer.result()

    def stream(self, request: TextRequest) -> Iterator[TextDelta | TextResult]:
        """TextDelta pieces as they arrive, then the TextResult."""
        config, contents = self._config(request), _contents(request)

        def open_stream(client):
            chunks = client.models.generate_content_stream(model=self.model, contents=contents, config=config)
            return next(chunks, None), chunks

        first, chunks = self._call(open_stream)
        answer = _Answer(self.model)
        chunk = first
        while chunk is not None:
            text = answer.add(chunk)
            if text:
                yield TextDelta(text)
            try:
                chunk = next(chunks, None)
            except Exception as exc:  # after the first chunk: no retry, one of our errors
                raise vertex.map_error(exc, model=self.model, operation=self.route.operation) from exc
        yield answer.result()

    def _config(self, request: TextRequest) -> types.GenerateContentConfig:
        return types.GenerateContentConfig(
            system_instruction=request.system or None,
            tools=[types.Tool.model_validate(request.tools)] if request.tools else None,
            # We run the calls ourselves (the user may have to confirm a cost first).
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            max_output_tokens=request.max_output_tokens,
            temperature=request.temperature,
        )

    def _call(self, use_client):
        return vertex.call(self.route, settings.PROVIDER_TEXT_TIMEOUT_SECONDS, use_client)


def _contents(request: TextRequest) -> list[types.Content]:
    return [types.Content.model_validate(turn) for turn in request.contents]


class _Answer:
    """The chunks of one answer (one, unstreamed) put together."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.parts: list[types.Part] = []
        self.input_tokens = 0
        self.output_tokens = 0
        self.finish_reason = "STOP"

    def add(self, response: types.GenerateContentResponse) -> str:
        """Take one chunk; the new text in it (thoughts aside)."""
        usage = response.usage_metadata
        if usage is not None:  # each chunk carries the running totals; the last one counts
            self.input_tokens = (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0)
            self.output_tokens = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
        feedback = response.prompt_feedback
        if not response.candidates and feedback and feedback.block_reason:
            raise SafetyBlockedError(
                feedback.block_reason_message or f"Prompt blocked: {feedback.block_reason}", model=self.model
            )
        if not response.candidates:
            return ""
        candidate = response.candidates[0]
        if candidate.finish_reason:
            self.finish_reason = str(candidate.finish_reason.value)
        text = ""
        for part in (candidate.content.parts if candidate.content else None) or []:
            self._keep(part)
            if part.text and not part.thought:
                text += part.text
        return text

    def _keep(self, part: types.Part) -> None:
        # Streamed text comes in pieces: join consecutive pieces into one part for the history,
        # keeping the signature Google put on any of them.
        last = self.parts[-1] if self.parts else None
        if part.text is not None and last is not None and last.text is not None and not part.thought:
            if not last.thought:
                last.text += part.text
                last.thought_signature = part.thought_signature or last.thought_signature
                return
        self.parts.append(part.model_copy())

    def result(self) -> TextResult:
        content = types.Content(role="model", parts=self.parts)
        calls = [
            FunctionCall(name=part.function_call.name or "", arguments=dict(part.function_call.args or {}))
            for part in self.parts
            if part.function_call
        ]
        text = "".join(part.text or "" for part in self.parts if part.text and not part.thought)
        return TextResult(
            text=text,
            function_calls=calls,
            content=content.model_dump(mode="json", by_alias=True, exclude_none=True),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model=self.model,
            finish_reason=self.finish_reason,
        )
