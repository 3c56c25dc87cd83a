"""The jobs tray in every page's header: the user's running jobs with their progress, and a toast
when one finishes, on whatever page the user is then (or on the next page they open).

The header renders it with {% jobs_tray %} (studio/templatetags/jobs_tray.py) into
templates/studio/_tray.html. While a job runs, the tray polls /studio/tray/ every 3 s; with
nothing running it answers 286 and renders itself without the timer, listening only for the
client event JOBS_CHANGED, which a page that starts a job sends (HX-Trigger) so the tray wakes up.

A finished job is announced once: before its toast is rendered it is marked announced with a
conditional UPDATE (MediaJob.announce), so two open tabs cannot both toast it. A job whose own
progress view is on the user's screen finishes there, in front of them: it is marked announced
without a toast. The tray's poll names those jobs (`shown`, from the page's [data-progress]
elements, minus those sent to the background); a full page render knows the job the page is
about (its `job`).

Rendering a page never writes to the database. The poll's view announces before it renders. A
full page's header only reads (page_tray): it leaves TOASTS_SLOT in #toasts and the finished jobs
it saw on the request; after the view, the middleware announce_new_toasts marks them announced
and puts their toasts in the slot. A view that rendered a page and then answered something else
(a redirect) leaves no slot in its answer, so nothing is marked and the next page toasts them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import truncatechars
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling, reswap

from studio import answers, operations
from studio.models import MediaJob
from studio.pages.common import PageRequest

TRAY_TEMPLATE = "studio/_tray.html"
# The client event that makes a resting tray look again; send it when a page starts a job:
# django_htmx.http.trigger_client_event(response, JOBS_CHANGED).
JOBS_CHANGED = "jobs-changed"
# Jobs older than this are not the tray's business: no toast for yesterday's work, and a job
# stuck in a running state by some fault cannot keep every page polling for ever.
TRAY_WINDOW = timedelta(hours=24)
PROMPT_CHARS = 48
# Where a full page's new toasts go (the module docstring), and the request attribute that
# carries the finished jobs its header saw, with the ones on screen: (jobs, shown).
TOASTS_SLOT = "<!-- jobs-tray: new toasts -->"
_SEEN = "_jobs_tray_seen"


def job_url(job: MediaJob) -> str:
    """Where a job's progress and result are: the Video Studio for videos, else the job page."""
    if job.output_kind == "video":
        return reverse("video-job", args=[job.id])
    return reverse("job-detail", args=[job.id])


def _prompt(job: MediaJob) -> str:
    return truncatechars((job.params or {}).get("prompt") or "", PROMPT_CHARS)


def _running(job: MediaJob) -> dict:
    progress = answers.progress(job)
    return {
        "job": job,
        "url": job_url(job),
        "prompt": _prompt(job),
        "percent": round(progress["fraction"] * 100),
        "eta": progress["eta_seconds"],
    }


# A toast's words per operation, whole sentences so that each language can make the noun and its
# verb agree (isiZulu's noun classes): (one is ready, several are ready, one failed). An operation
# not listed here gets the general sentences with its English nouns.
TOASTS = {
    "generate_image": (
        gettext_lazy("Your image is ready"),
        gettext_lazy("Your images are ready"),
        gettext_lazy("Your image failed; you were not charged"),
    ),
    "edit_image": (
        gettext_lazy("Your edit is ready"),
        gettext_lazy("Your edits are ready"),
        gettext_lazy("Your edit failed; you were not charged"),
    ),
    "compose_image": (
        gettext_lazy("Your composition is ready"),
        gettext_lazy("Your compositions are ready"),
        gettext_lazy("Your composition failed; you were not charged"),
    ),
    "upscale_image": (
        gettext_lazy("Your upscale is ready"),
        gettext_lazy("Your upscales are ready"),
        gettext_lazy("Your upscale failed; you were not charged"),
    ),
    "generate_video": (
        gettext_lazy("Your video is ready"),
        gettext_lazy("Your videos are ready"),
        gettext_lazy("Your video failed; you were not charged"),
    ),
    "extend_video": (
        gettext_lazy("Your extended video is ready"),
        gettext_lazy("Your extended videos are ready"),
        gettext_lazy("Your extended video failed; you were not charged"),
    ),
}


def _toast_words(job: MediaJob, many: bool) -> str:
    words = TOASTS.get(job.operation)
    if words is None:
        one, several = operations.for_job(job).nouns  # what a toast calls its output
        if job.state != MediaJob.State.SUCCEEDED:
            return _("Your %(noun)s failed; you were not charged") % {"noun": one}
        if many:
            return _("Your %(nouns)s are ready") % {"nouns": several}
        return _("Your %(noun)s is ready") % {"noun": one}
    if job.state != MediaJob.State.SUCCEEDED:
        return str(words[2])
    return str(words[1] if many else words[0])


def _toast(job: MediaJob) -> dict:
    video = job.output_kind == "video"
    many = job.state == MediaJob.State.SUCCEEDED and job.delivered_units > 1 and not video
    message = _toast_words(job, many)
    if job.state == MediaJob.State.SUCCEEDED:
        action = pgettext("toast", "Watch") if video else pgettext("toast", "View")
    else:
        action = pgettext("toast", "Details")
    return {
        "job": job,
        "failed": job.state == MediaJob.State.FAILED,
        "message": message,
        "action": action,
        "url": job_url(job),
        "prompt": _prompt(job),
    }


def tray_jobs(user) -> tuple[list[dict], list[MediaJob]]:
    """The tray's running jobs, and the finished jobs not yet announced; newest first, one query."""
    since = timezone.now() - TRAY_WINDOW
    running, finished = [], []
    for job in MediaJob.objects.for_user(user).for_tray(since):
        if job.is_final:
            finished.append(job)
        else:
            running.append(_running(job))
    return running, finished


def announce(finished: list[MediaJob], shown=frozenset()) -> list[dict]:
    """Mark the finished jobs announced; the toasts of those this caller marked first, except the
    ones in `shown` (their progress view is on the user's screen). One UPDATE per job."""
    return [_toast(job) for job in finished if job.announce() and job.pk not in shown]


def tray_state(user, shown=frozenset()) -> dict:
    """The tray for the poll: its running jobs and its new toasts, announced (tray_jobs, announce)."""
    running, finished = tray_jobs(user)
    return {"running": running, "toasts": announce(finished, shown)}


def page_tray(request: HttpRequest, shown=frozenset()) -> dict:
    """The tray while a page renders, reading only: running jobs, and a slot for the toasts that
    announce_new_toasts fills once the view is done."""
    running, finished = tray_jobs(request.user)
    if not finished:
        return {"running": running, "toasts": []}
    setattr(request, _SEEN, (finished, shown))
    return {"running": running, "toasts": [], "slot": mark_safe(TOASTS_SLOT)}


def _fill_toasts_slot(request: HttpRequest, response: HttpResponse) -> None:
    finished, shown = getattr(request, _SEEN)
    slot = TOASTS_SLOT.encode(response.charset)
    if response.streaming or slot not in response.content:
        return  # the page was not the answer: its jobs stay unannounced for the next page
    toasts = announce(finished, shown)
    html = render_to_string(f"{TRAY_TEMPLATE}#toasts", {"tray": {"toasts": toasts}}, request)
    response.content = response.content.replace(slot, html.encode(response.charset), 1)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))


@sync_and_async_middleware
def announce_new_toasts(get_response):
    """After the view: announce the finished jobs a page's header saw, and show their toasts in it.

    Only a response whose header read the tray does anything (files, the API and htmx partials
    pass through). Sync and async, so the files Django's ASGI handler streams stay on the loop.
    """
    if iscoroutinefunction(get_response):

        async def async_middleware(request):
            response = await get_response(request)
            if hasattr(request, _SEEN):
                await sync_to_async(_fill_toasts_slot)(request, response)
            return response

        return async_middleware

    def middleware(request):
        response = get_response(request)
        if hasattr(request, _SEEN):
            _fill_toasts_slot(request, response)
        return response

    return middleware


def _job_ids(values: list[str]) -> frozenset[uuid.UUID]:
    ids = set()
    for value in values[:50]:
        try:
            ids.add(uuid.UUID(value))
        except ValueError:
            continue  # not ours to complain about: the page sent something odd, ignore it
    return frozenset(ids)


@never_cache
@require_GET
def jobs_tray(request: PageRequest) -> HttpResponse:
    """The tray's poll (htmx): its contents, and new toasts out of band into #toasts.

    286 (stop polling) when nothing is running; the tray it renders then has no timer.
    """
    if not request.user.is_authenticated:
        if request.htmx:
            # Logged out in another tab: stop, and leave the page as it is.
            return reswap(HttpResponseStopPolling(), "none")
        return redirect_to_login(request.get_full_path())
    if not request.htmx:
        return redirect("landing")  # the tray lives in every page's header, not on a page
    tray = tray_state(request.user, _job_ids(request.GET.getlist("shown")))
    html = render_to_string(f"{TRAY_TEMPLATE}#poll", {"tray": tray}, request)
    return HttpResponse(html) if tray["running"] else HttpResponseStopPolling(html)


urlpatterns = [
    path("studio/tray/", jobs_tray, name="jobs-tray"),
]
