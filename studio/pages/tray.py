"""The jobs tray in every page's header: the user's running jobs with their progress, and a toast
when one finishes, on whatever page the user is then (or on the next page they open).

The header renders it with {% jobs_tray %} (studio/templatetags/jobs_tray.py) into
templates/studio/_tray.html. While a job runs, the tray polls /studio/tray/ every 3 s; with
nothing running it answers 286 and renders itself without the timer, listening only for the
client event JOBS_CHANGED, which a page that starts a job sends (HX-Trigger) so the tray wakes up.

A finished job is announced once: the render that would show its toast first marks it announced
with a conditional UPDATE (MediaJob.announce), so two open tabs cannot both toast it. A job
whose own progress view is on the user's screen finishes there, in front of them: it is marked
announced without a toast. The tray's poll names those jobs (`shown`, from the page's
[data-progress] elements, minus those sent to the background); a full page render knows the
job the page is about (its `job`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import truncatechars
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling, reswap

from studio import answers
from studio.models import MediaJob

TRAY_TEMPLATE = "studio/_tray.html"
# The client event that makes a resting tray look again; send it when a page starts a job:
# django_htmx.http.trigger_client_event(response, JOBS_CHANGED).
JOBS_CHANGED = "jobs-changed"
# Jobs older than this are not the tray's business: no toast for yesterday's work, and a job
# stuck in a running state by some fault cannot keep every page polling for ever.
TRAY_WINDOW = timedelta(hours=24)
PROMPT_CHARS = 48

# What a toast calls each operation's output: (one, several).
NOUNS = {
    MediaJob.Operation.GENERATE_IMAGE: ("image", "images"),
    MediaJob.Operation.EDIT_IMAGE: ("edit", "edits"),
    MediaJob.Operation.UPSCALE_IMAGE: ("upscale", "upscales"),
    MediaJob.Operation.GENERATE_VIDEO: ("video", "videos"),
}


def job_url(job: MediaJob) -> str:
    """Where a job's progress and result are: the Video Studio for videos, else the job page."""
    if job.is_video:
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


def _toast(job: MediaJob) -> dict:
    one, several = NOUNS[job.operation]
    many = job.state == MediaJob.State.SUCCEEDED and job.delivered_units > 1 and not job.is_video
    if job.state == MediaJob.State.SUCCEEDED:
        message = f"Your {several} are ready" if many else f"Your {one} is ready"
        action = "Watch" if job.is_video else "View"
    else:
        message = f"Your {one} failed; you were not charged"
        action = "Details"
    return {
        "job": job,
        "failed": job.state == MediaJob.State.FAILED,
        "message": message,
        "action": action,
        "url": job_url(job),
        "prompt": _prompt(job),
    }


def tray_state(user, shown=frozenset()) -> dict:
    """The tray's running jobs and the toasts this render shows, newest first; marks the
    toasted jobs (and finished ones in `shown`, whose progress view the user is looking at)
    announced. One query, plus one UPDATE per job that finished since the last render.
    """
    since = timezone.now() - TRAY_WINDOW
    running, toasts = [], []
    for job in MediaJob.objects.for_user(user).for_tray(since):
        if not job.is_final:
            running.append(_running(job))
        elif job.announce() and job.pk not in shown:
            toasts.append(_toast(job))
    return {"running": running, "toasts": toasts}


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
def jobs_tray(request: HttpRequest) -> HttpResponse:
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
