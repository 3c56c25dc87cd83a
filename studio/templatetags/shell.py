"""{% shell_meter as meter %}: the header's plan badge and allowance meter on every page.

The meter counts in the unit that matters on the page: edits on the Edit tab, upscales on the
Upscale tab, seconds of video in Video Studio (and on a video job's page), images elsewhere. Reads
only (the plan is remembered for the request by billing.middleware).
"""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext, ngettext_lazy

from billing import services as billing
from billing.models import Meter
from billing.pricing import format_count
from studio.models import MediaJob

register = template.Library()

# Words of Django's that the pages show: the month abbreviations (the date filter's "M", as in
# "2 Dec 2026"), the months (its "F", as in "December 2026") and filesizeformat's bytes. Listed so
# that makemessages puts them in our catalogue:
# Django ships none for isiZulu (ours has CLDR's), and its Afrikaans ones are repeated as they are.
# Only for extraction; nothing reads this.
DJANGO_WORDS = (
    ngettext_lazy("%(size)d byte", "%(size)d bytes", "size"),
    gettext_noop("jan"),
    gettext_noop("feb"),
    gettext_noop("mar"),
    gettext_noop("apr"),
    gettext_noop("may"),
    gettext_noop("jun"),
    gettext_noop("jul"),
    gettext_noop("aug"),
    gettext_noop("sep"),
    gettext_noop("oct"),
    gettext_noop("nov"),
    gettext_noop("dec"),
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)

# The meter a page's URL name counts in, by the name's prefix; the first match wins.
PAGE_METERS = (
    ("image-edit", Meter.EDITS),
    ("image-upscale", Meter.UPSCALES),
    ("video-", Meter.VIDEO_SECONDS),
)


def left_words(meter: str, n: int) -> str:
    """ "%(n)s images left": what is left of `meter` in the active language, its plural form the
    one for `n`, with `n` still to put in (as it is, or in bold in the header)."""
    if meter == Meter.EDITS:
        return ngettext("%(n)s edit left", "%(n)s edits left", n)
    if meter == Meter.UPSCALES:
        return ngettext("%(n)s upscale left", "%(n)s upscales left", n)
    if meter == Meter.VIDEO_SECONDS:
        return ngettext("%(n)s s of video left", "%(n)s s of video left", n)
    if meter == Meter.VIDEO_AUDIO_SECONDS:
        return ngettext("%(n)s s of video with sound left", "%(n)s s of video with sound left", n)
    return ngettext("%(n)s image left", "%(n)s images left", n)


# What a plan without a meter lacks, as the header says it ("No upscales on FREE").
LACKING_WORDS = {
    Meter.IMAGES: gettext_lazy("No images on %(plan)s"),
    Meter.EDITS: gettext_lazy("No edits on %(plan)s"),
    Meter.UPSCALES: gettext_lazy("No upscales on %(plan)s"),
    Meter.VIDEO_SECONDS: gettext_lazy("No video on %(plan)s"),
    Meter.VIDEO_AUDIO_SECONDS: gettext_lazy("No video with sound on %(plan)s"),
}


def page_meter(url_name: str, job: object = None) -> str:
    """The meter a page counts in: its URL name's, or on a job's page the job's kind."""
    if isinstance(job, MediaJob) and job.output_kind == "video":
        return Meter.VIDEO_SECONDS
    for prefix, meter in PAGE_METERS:
        if url_name.startswith(prefix):
            return meter
    return Meter.IMAGES


@register.simple_tag(takes_context=True)
def shell_meter(context) -> dict | None:
    """The signed-in user's plan and what is left of the page's meter, or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    match = getattr(request, "resolver_match", None)
    return meter_context(user, page_meter(match.url_name or "" if match else "", context.get("job")))


def meter_context(user, meter: str) -> dict:
    """What the header's meter shows (templates/_shell_meter.html) for one meter."""
    balance = next(b for b in billing.remaining(user) if b.meter == meter)
    plan = billing.plan_for(user)
    n = balance.remaining
    words = left_words(meter, n)
    return {
        "plan": plan,
        "balance": balance,
        # "42 images left", and the same with the number in bold (the words are escaped first).
        "left": words % {"n": format_count(n)},
        "left_html": mark_safe(escape(words) % {"n": format_html("<strong>{}</strong>", format_count(n))}),
        "when": gettext("today") if balance.period == "day" else gettext("this month"),
        "lacking": LACKING_WORDS[Meter(meter)] % {"plan": plan.code} if balance.allowance == 0 else "",
        # The meter's colour: low below a fifth of the allowance.
        "low": max(balance.allowance // 5, 1),
    }


# The navigation's sections by URL name prefix (the first match wins), for aria-current.
SECTIONS = (
    ("image-gallery", "gallery"),
    ("image-viewer", "gallery"),
    ("image-", "image"),
    ("video-", "video"),
    ("assistant", "assistant"),
    ("plans", "plans"),
    ("account", "account"),
)


@register.simple_tag(takes_context=True)
def shell_section(context) -> str:
    """Which of the navigation's sections the page belongs to ("" for none). Needs no database,
    so the 500 page can show the navigation too."""
    match = getattr(context.get("request"), "resolver_match", None)
    name = (match.url_name or "") if match else ""
    job = context.get("job")
    if name == "job-detail" and isinstance(job, MediaJob):
        return "video" if job.output_kind == "video" else "image"
    return next((section for prefix, section in SECTIONS if name.startswith(prefix)), "")
