"""{% jobs_tray as tray %}: the header's jobs tray on every page, without each view's help."""

from __future__ import annotations

from django import template

from studio.models import MediaJob
from studio.pages.tray import page_tray

register = template.Library()


@register.simple_tag(takes_context=True)
def jobs_tray(context) -> dict:
    """The signed-in user's running jobs, and a slot for new toasts (studio/pages/tray.py).

    Reads only: the finished jobs are announced after the view, by the middleware
    announce_new_toasts. A job the page itself is about (its `job`, on the job page) finishes in
    front of the user: it is then marked announced without a toast.
    """
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"running": [], "toasts": []}
    job = context.get("job")
    shown = (
        frozenset([job.pk]) if isinstance(job, MediaJob) and job.owner_id == request.user.pk else frozenset()
    )
    return page_tray(request, shown)
