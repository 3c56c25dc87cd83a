"""The assistant: a conversation with the text model, which calls the studio's operations as tools.

    send(user, conversation, text)     the user's message, then the model's answer: Events
    decide(user, call, confirm)        yes or no to a tool call that waited for it, then the answer

Each model call is a metered text call (studio/text.py), streamed. When the model asks for a
function, the call goes through studio/tools.py exactly as an API client's would (validation,
tier gate, allowance, the user's own images only). A call that costs more than
ASSISTANT_CONFIRM_ABOVE_ZAR is not run: it waits, showing its price, for the user's yes or no.
Whatever a call answered is given back to the model, which then tells the user in a sentence.

The conversation is stored turn by turn (models.AssistantMessage, AssistantToolCall), and the
history sent to the model is built from it, the model's own turns sent back unchanged (Gemini 3
refuses a function call whose thought signature is missing).

Events are what the page shows as they happen: ("text", a piece of the answer), ("call", a tool
call to show or update), ("failure", a refusal), ("message", a new message's bubble).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from pydantic import ValidationError

from studio import jobs, providers, text, tools
from studio.errors import StudioError
from studio.models import AssistantMessage, AssistantToolCall, Conversation, MediaJob

log = logging.getLogger(__name__)

SYSTEM = (
    "You are the Media Studio assistant. You help people in South Africa make images and short "
    "videos with the tools you have. When the user asks for a picture or a video, call the matching "
    "tool with a clear, detailed prompt in English rather than describing the picture. Use only "
    "image ids the user gave you. Every tool answers with a message that states the price in rand "
    "or why it could not run: pass it on in one or two friendly sentences. Never make up prices."
)
# Model calls in one turn: the answer, and one more after each round of tool calls.
MAX_MODEL_CALLS = 3
# The most messages sent as history: each call pays for all of them again as input tokens.
MAX_HISTORY_MESSAGES = 20


@dataclass(frozen=True)
class Event:
    kind: str  # "message" | "text" | "call" | "failure"
    message: AssistantMessage | None = None
    text: str = ""
    call: AssistantToolCall | None = None
    failure: StudioError | None = None


def conversation_for(user) -> Conversation:
    """The user's current conversation (the latest), started if there is none."""
    return Conversation.objects.for_user(user).first() or Conversation.objects.create(owner=user)


def request_for(conversation: Conversation) -> providers.TextRequest:
    return providers.TextRequest(
        contents=history(conversation),
        system=SYSTEM,
        tools=tools.gemini_tools(),
        max_output_tokens=settings.ASSISTANT_MAX_OUTPUT_TOKENS,
    )


def history(conversation: Conversation) -> list[dict]:
    """The last MAX_HISTORY_MESSAGES turns as the model wants them, from a user's message on: each
    of its turns as it sent it, followed by one user turn with the answers to its function calls."""
    contents: list[dict] = []
    messages = list(conversation.messages.prefetch_related("tool_calls").order_by("-created_at", "-id"))
    messages = messages[:MAX_HISTORY_MESSAGES][::-1]
    while messages and messages[0].role != AssistantMessage.Role.USER:
        messages.pop(0)  # history starts with something the user said
    for message in messages:
        contents.append(message.content)
        calls = list(message.tool_calls.all())
        if calls:
            contents.append({"role": "user", "parts": [_function_response(call) for call in calls]})
    return contents


def _function_response(call: AssistantToolCall) -> dict:
    answer = call.answer
    if call.state == AssistantToolCall.State.AWAITING or answer is None:
        answer = {"ok": False, "message": "The user has not confirmed this yet, so it did not run."}
    return {"functionResponse": {"name": call.name, "response": answer}}


def send(user, conversation: Conversation, words: str) -> Iterator[Event]:
    """Add the user's message and answer it. A call still waiting for a yes is dropped: the user
    moved on without it."""
    for call in AssistantToolCall.objects.filter(
        message__conversation=conversation, state=AssistantToolCall.State.AWAITING
    ):
        if call.decide(AssistantToolCall.State.DECLINED):
            _declined(call, "The user moved on without confirming, so it did not run.")
    message = AssistantMessage.objects.create(
        conversation=conversation,
        role=AssistantMessage.Role.USER,
        text=words,
        content={"role": "user", "parts": [{"text": words}]},
    )
    yield Event("message", message=message)
    yield from _answer(user, conversation)


def decide(user, call: AssistantToolCall, confirm: bool) -> Iterator[Event]:
    """The user's yes (run it) or no to a waiting call; once every call of that turn is settled,
    the model hears the outcome and answers."""
    state = AssistantToolCall.State.STARTED if confirm else AssistantToolCall.State.DECLINED
    if not call.decide(state):
        yield Event("call", call=call)  # decided already (another click, another tab)
        return
    if confirm:
        _run(user, call)
    else:
        _declined(call, "The user chose not to run this, so nothing was made or charged.")
    yield Event("call", call=call)
    waiting = call.message.tool_calls.filter(state=AssistantToolCall.State.AWAITING).exists()
    if not waiting:
        yield from _answer(user, call.message.conversation)


def _answer(user, conversation: Conversation) -> Iterator[Event]:
    for _ in range(MAX_MODEL_CALLS):
        message = AssistantMessage(conversation=conversation, role=AssistantMessage.Role.MODEL, content={})
        yield Event("message", message=message)
        answer = None
        try:
            for item in text.stream(user, request_for(conversation), purpose=text.ASSISTANT):
                if isinstance(item, providers.TextDelta):
                    yield Event("text", text=item.text)
                else:
                    answer = item
        except StudioError as e:
            yield Event("failure", failure=e)
            return
        assert answer is not None
        result = answer.result
        message.text, message.content = result.text, result.content
        message.tokens, message.cost_zar_cents = answer.tokens, answer.zar_cents
        message.save()
        conversation.save(update_fields=["updated_at"])
        if not result.function_calls:
            return
        waiting = False
        for position, function in enumerate(result.function_calls):
            call = AssistantToolCall(
                message=message, position=position, name=function.name, arguments=function.arguments
            )
            quote = _quote_above_threshold(user, call)
            if quote is not None:
                call.state, call.quote_zar_cents = AssistantToolCall.State.AWAITING, quote
                call.save()
                waiting = True
            else:
                call.state = AssistantToolCall.State.STARTED
                call.save()
                _run(user, call)
            yield Event("call", call=call)
        if waiting:
            return
    log.warning("assistant turn in %s stopped after %d model calls", conversation.pk, MAX_MODEL_CALLS)


def confirm_above_cents() -> int:
    return int(Decimal(settings.ASSISTANT_CONFIRM_ABOVE_ZAR) * 100)


def _quote_above_threshold(user, call: AssistantToolCall) -> int | None:
    """The call's price in cents when it is more than the user lets the assistant spend unasked;
    None when it may run now (cheap enough, or refused anyway: the refusal is then its answer)."""
    tool = tools.TOOLS.get(call.name)
    if tool is None:
        return None
    try:
        params = tool.validate(call.arguments)
        _, quote = jobs.quote_job(user, call.name, params)
    except (ValidationError, StudioError):
        return None
    return quote.zar_cents if quote.zar_cents > confirm_above_cents() else None


def _run(user, call: AssistantToolCall) -> None:
    """Submit the call as the tools endpoint would; its answer is what the model is told."""
    _, answer = tools.call_tool(user, call.name, call.arguments)
    call.answer = answer
    if answer.get("ok"):
        call.job = MediaJob.objects.for_user(user).filter(pk=answer["job_id"]).first()
        call.state = AssistantToolCall.State.STARTED
    else:
        call.state = AssistantToolCall.State.REFUSED
    call.save(update_fields=["answer", "job", "state"])


def _declined(call: AssistantToolCall, why: str) -> None:
    call.answer = {"ok": False, "message": why}
    call.save(update_fields=["answer"])
