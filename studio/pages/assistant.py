"""The assistant's pages: the conversation, sending a message, and yes or no to a costly call.

    GET  /studio/assistant/                 the conversation, and what the next message may cost
    POST /studio/assistant/                 a message; the answer streams (text/event-stream) when
                                            static/studio/assistant.js asks for it, otherwise the
                                            turn runs to its end and the page is shown again
    POST /studio/assistant/calls/<id>/      "confirm" or "decline" a call that waits for the user
    POST /studio/assistant/new/             start a new conversation

The stream's events (one JSON object each): "append" (a message's bubble), "text" (a piece of the
answer), "call" (a tool call's card, new or updated by id), "done". Every answer carries only the
requesting user's conversation, calls and jobs; anyone else's is 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from billing.pricing import format_count, format_zar
from studio import assistant, operations, text
from studio.errors import StudioError
from studio.models import AssistantToolCall, Conversation
from studio.pages import common
from studio.pages.common import PageRequest

PAGE = "studio/assistant.html"
MAX_MESSAGE_CHARS = 4000
STREAM_HEADER = "X-Assistant-Stream"


def call_view(call: AssistantToolCall) -> dict[str, Any]:
    """What a tool call's card shows: its operation, state, price, job card or refusal."""
    operation = operations.get(call.name) if call.name in operations.names() else None
    view: dict[str, Any] = {"call": call, "label": operation.label if operation else call.name}
    if operation is not None and call.state == AssistantToolCall.State.AWAITING:
        try:
            view["summary"] = operation.summary(call.arguments)
        except (KeyError, TypeError, ValueError):
            view["summary"] = ""
    if call.job is not None:
        view["card"] = common.job_card(call.job)
    error = (call.answer or {}).get("error") if call.state == AssistantToolCall.State.REFUSED else None
    if isinstance(error, dict):
        details = {key: value for key, value in error.items() if key not in ("code", "message")}
        view["failure"] = common.failure(
            StudioError(str(error.get("code")), str(error.get("message")), **details)
        )
    view["threshold"] = format_zar(assistant.confirm_above_cents())
    return view


def _messages(conversation: Conversation) -> list[dict]:
    messages = conversation.messages.prefetch_related("tool_calls__job__assets")
    return [{"message": m, "calls": [call_view(c) for c in m.tool_calls.all()]} for m in messages]


def _estimate(request: PageRequest, conversation: Conversation) -> dict[str, Any]:
    try:
        return {"estimate": text.estimate(request.user, assistant.request_for(conversation))}
    except StudioError as e:
        return {"unavailable": common.failure(e)}


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def assistant_page(request: PageRequest) -> HttpResponseBase:
    conversation = assistant.conversation_for(request.user)
    if request.method == "POST":
        words = request.POST.get("message", "").strip()
        problem = _problem(words)
        if problem is None:
            return _run(request, assistant.send(request.user, conversation, words))
        if request.headers.get(STREAM_HEADER):
            return _stream(
                iter([assistant.Event("failure", failure=StudioError("validation_error", problem))])
            )
        return _render(request, conversation, error=problem, value=words)
    return _render(request, conversation)


def _problem(words: str) -> str | None:
    if not words:
        return gettext("Write a message first.")
    if len(words) > MAX_MESSAGE_CHARS:
        return gettext("A message can be up to %(max)s characters.") % {
            "max": format_count(MAX_MESSAGE_CHARS)
        }
    return None


def _render(request: PageRequest, conversation: Conversation, **extra) -> HttpResponse:
    context = {
        "turns": _messages(conversation),
        "max_chars": MAX_MESSAGE_CHARS,
        "threshold": format_zar(assistant.confirm_above_cents()),
        **extra,
    }
    context.update(_estimate(request, conversation))
    return render(request, PAGE, context)


@never_cache
@require_POST
@login_required
def assistant_call(request: PageRequest, call_id) -> HttpResponseBase:
    call = (
        AssistantToolCall.objects.filter(pk=call_id, message__conversation__owner=request.user)
        .select_related("message__conversation")
        .first()
    )
    if call is None:
        raise Http404("No such call.")
    confirm = request.POST.get("decision") == "confirm"
    return _run(request, assistant.decide(request.user, call, confirm))


@require_POST
@login_required
def assistant_new(request: PageRequest) -> HttpResponse:
    Conversation.objects.create(owner=request.user)
    return redirect("assistant")


def _run(request: PageRequest, events: Iterator[assistant.Event]) -> HttpResponseBase:
    if request.headers.get(STREAM_HEADER):
        return _stream(events, request)
    for _ in events:  # without JavaScript: the whole turn, then the page again
        pass
    return redirect(reverse("assistant") + "#latest")


def _stream(events: Iterator[assistant.Event], request: PageRequest | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_frames(events, request), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _frames(events: Iterator[assistant.Event], request: PageRequest | None) -> Iterator[str]:
    for event in events:
        yield _frame(*_event_data(event, request))
    yield _frame("done", {})


def _event_data(event: assistant.Event, request: PageRequest | None) -> tuple[str, dict]:
    if event.kind == "text":
        return "text", {"text": event.text}
    if event.kind == "message":
        html = render_to_string(f"{PAGE}#message", {"item": {"message": event.message, "calls": []}}, request)
        return "append", {"html": html}
    if event.kind == "call" and event.call is not None:
        html = render_to_string(f"{PAGE}#call", {"view": call_view(event.call)}, request)
        return "call", {"id": f"call-{event.call.pk}", "html": html}
    failure = (
        common.failure(event.failure) if event.failure else {"message": gettext("Something went wrong.")}
    )
    return "call", {"id": "", "html": render_to_string(f"{PAGE}#failure", {"failure": failure}, request)}


def _frame(kind: str, data: dict) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


urlpatterns = [
    path("studio/assistant/", assistant_page, name="assistant"),
    path("studio/assistant/calls/<uuid:call_id>/", assistant_call, name="assistant-call"),
    path("studio/assistant/new/", assistant_new, name="assistant-new"),
]
