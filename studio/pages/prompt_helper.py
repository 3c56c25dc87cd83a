"""The prompt helper's one URL: POST a prompt with "Improve" or "To English", get a suggestion.

With htmx the answer is the helper block again (studio/_prompt_helper.html#helper) holding the
suggestion as an editable preview; static/studio/prompt_helper.js puts it into the form's prompt
only when the user accepts it. Without JavaScript the buttons post the whole form here and the
answer is a page with the suggestion and a form back to the studio carrying the other fields.
A refusal (no allowance left, bad input, model unavailable) is shown in the block, never a 500.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from studio import prompt_helper
from studio.errors import StudioError
from studio.pages import common
from studio.pages.common import PageRequest

HELPER = "studio/_prompt_helper.html"
# Where the no-JavaScript page sends the user back to, and the fields that must not travel.
PAGES = ("image-create", "video-create")
NOT_CARRIED = ("csrfmiddlewaretoken", "helper", "helper_key", "back", "prompt", "idempotency_key")


def helper_context(user, back: str, **extra) -> dict:
    """What the helper block shows: the most a use costs, what is left, a fresh one-time key."""
    context = {"key": uuid.uuid4(), "back": back if back in PAGES else PAGES[0], **extra}
    try:
        context["estimate"] = prompt_helper.estimate(user)
    except StudioError as e:
        context["unavailable"] = common.failure(e)
    return context


@never_cache
@require_POST
@login_required
def prompt_helper_view(request: PageRequest) -> HttpResponse:
    data = request.POST
    back = data.get("back", "")
    try:
        key = uuid.UUID(data.get("helper_key", ""))
    except ValueError:
        key = uuid.uuid4()
    rewrite, failure = None, None
    try:
        rewrite = prompt_helper.rewrite(request.user, data.get("helper", ""), data.get("prompt", ""), key)
    except StudioError as e:
        failure = common.failure(e)
    context = helper_context(request.user, back, rewrite=rewrite, failure=failure)
    if request.htmx:
        return render(request, f"{HELPER}#helper", context)
    try:
        back_url = reverse(context["back"])
    except NoReverseMatch:  # pragma: no cover - PAGES are this app's own
        back_url = "/"
    carried = [(name, value) for name, value in data.items() if name not in NOT_CARRIED]
    context.update(back_url=back_url, carried=carried, prompt=data.get("prompt", ""))
    return render(request, "studio/prompt_helper_page.html", context)


urlpatterns = [
    path("studio/prompt-helper/", prompt_helper_view, name="prompt-helper"),
]
