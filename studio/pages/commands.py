"""The slash-command box (issue 6): `/image …`, `/video …` and `/help`, typed in the header of
every page or in the larger box on the Media Creator page.

studio/slash.py turns the text into the same validated request the studio forms make; this view
submits it through common.submit_once, exactly as the forms do, and answers an htmx request with
the answer for the box's live region (plus the box itself, out of band, with a fresh key): the
image job's progress card, which polls itself, or for a video a progress line that polls and
links to the Video Studio. Without JavaScript a job leads to its page, and anything else to a
small page with the answer and the box.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from billing.models import Meter
from studio import operations, slash
from studio.errors import StudioError
from studio.models import MediaJob
from studio.pages import common
from studio.pages.common import PageRequest
from studio.pages.tray import JOBS_CHANGED

PAGE = "studio/command_page.html"
ANSWER = "studio/command_answer.html"
# The header's box on every page, and the main box (Media Creator, the command page): the ids
# of their elements differ so that both can be on one page.
BOXES = ("h", "m")
# What the upgrade options count, per meter.
UNIT_WORDS = {
    Meter.IMAGES: gettext_lazy("images"),
    Meter.VIDEO_SECONDS: gettext_lazy("seconds of video"),
    Meter.VIDEO_AUDIO_SECONDS: gettext_lazy("seconds of video with audio"),
}


def _box(data) -> str:
    box = data.get("box", "")
    return box if box in BOXES else "h"


def _error_answer(error: slash.CommandError) -> dict:
    return {"kind": "error", "messages": error.messages, "topic": error.command or ""}


def _help_answer(text: str) -> dict:
    """/help (or /help video) as an answer; anything else that starts with /help, its error."""
    try:
        parsed = slash.parse(text)
    except slash.CommandError as e:
        return _error_answer(e)
    if not isinstance(parsed, slash.HelpRequest):
        parsed = cast(slash.HelpRequest, slash.parse("/help"))
    return {"kind": "help", "topics": parsed.topics}


def _failure_answer(error: StudioError, request: slash.Request) -> dict:
    params = request.params
    meter = error.extra.get("meter")
    if meter is None:
        video_audio = getattr(params, "generate_audio", False)
        meter = (
            Meter.IMAGES
            if request.command.name == "image"
            else Meter.VIDEO_AUDIO_SECONDS
            if video_audio
            else Meter.VIDEO_SECONDS
        )
    return {
        "kind": "failure",
        "failure": common.failure(error),
        "units": UNIT_WORDS.get(meter, gettext_lazy("units")),
        # FREE has the sample gallery instead of video generation.
        "samples": request.command.name == "video" and error.code == "upgrade_required",
    }


def _summary(job: MediaJob) -> str:
    """What was started, in a few words: "2 images · 16:9 · Cinematic", "6 s video · 9:16 · audio"."""
    return operations.for_job(job).summary(job.params or {})


def _job_answer(job: MediaJob) -> dict:
    return {
        "kind": job.output_kind,
        "card": common.job_card(job),
        "summary": _summary(job),
    }


def _respond(
    request: PageRequest,
    *,
    box: str,
    answer: dict | None,
    value: str = "",
    key: str | None = None,
    refresh_box: bool = True,
) -> HttpResponse:
    """For htmx, the answer for the box's live region and (out of band) the box again with its
    text and key; otherwise the command page with both."""
    context: dict[str, Any] = {"answer": answer, "value": value, "key": key or uuid.uuid4()}
    if request.htmx:
        context.update(cmd_box=box, cmd_value=value, cmd_key=context["key"], oob=refresh_box)
        return render(request, f"{PAGE}#reply", context)
    return render(request, PAGE, context)


@never_cache  # the box carries a one-time idempotency key
@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def command(request: PageRequest) -> HttpResponse:
    """Run a slash command. GET shows the command page and answers only /help (it never starts
    a job); POST runs any command."""
    if request.method == "GET":
        text = request.GET.get("command", "")
        if text.strip().lower().startswith("/" + slash.HELP):
            return _respond(request, box=_box(request.GET), answer=_help_answer(text), refresh_box=False)
        return _respond(request, box="m", answer=None, value=text[: slash.MAX_COMMAND_CHARS])

    box = _box(request.POST)
    text = request.POST.get("command", "")
    posted_key = request.POST.get("idempotency_key", "")
    try:
        parsed = slash.parse(text)
    except slash.CommandError as e:
        return _respond(request, box=box, answer=_error_answer(e), value=text, key=posted_key)
    if isinstance(parsed, slash.HelpRequest):
        return _respond(request, box=box, answer={"kind": "help", "topics": parsed.topics}, key=posted_key)

    try:
        job = common.submit_once(request, parsed.operation, parsed.params, posted_key)
    except StudioError as e:
        keep = None if e.code in common.STALE_KEY_CODES else posted_key
        return _respond(request, box=box, answer=_failure_answer(e, parsed), value=text, key=keep)
    if not request.htmx:
        return redirect(_job_url(job))
    response = _respond(request, box=box, answer=_job_answer(job))
    trigger_client_event(response, JOBS_CHANGED)
    return response


def _job_url(job: MediaJob) -> str:
    return reverse("video-job" if job.output_kind == "video" else "job-detail", kwargs={"job_id": job.id})


@require_GET
@login_required
@vary_on_headers("HX-Request")
def command_job(request: PageRequest, job_id) -> HttpResponse:
    """The progress line of a job started from the box, which polls this URL every 3 s until
    the job is final (then 286 stops it). Without htmx, the job's own page. Owner only."""
    job = MediaJob.objects.for_user(request.user).prefetch_related("assets").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    if not request.htmx:
        return redirect(_job_url(job))
    html = render_to_string(f"{ANSWER}#line", {"card": common.job_card(job)}, request)
    return HttpResponseStopPolling(html) if job.is_final else HttpResponse(html)


urlpatterns = [
    path("studio/command/", command, name="command"),
    path("studio/command/jobs/<uuid:job_id>/", command_job, name="command-job"),
]
