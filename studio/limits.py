"""Abuse limits: how much one user may upload and submit, how often one address may sign up or ask
for a password reset, which address a request comes from, and the page a locked-out log-in sees.

    upload_allowed(user, nbytes)   a with-block around storing an upload: per-day bytes and count,
                                   per-minute rate (assets.save_upload)
    submit_rate_guard(user)        accepted jobs per minute, every channel, checked inside the
                                   allowance reservation's UPDATE (jobs.submit_job)
    claim_address_slot(...)        sign-ups and password resets per address per window (pages/home.py)
    client_ip(request)             the caller's address behind TRUSTED_PROXY_COUNT proxies (axes too)
    login_locked_out(...)          django-axes' lockout answer: the log-in form with a message

Every limit is counted in the database, never in a cache. Locally the default cache is LocMem,
private to each process (gunicorn workers and the qcluster would each count their own share), and
counts taken from the rows the limits are about are exact with or without Redis: an upload is a
MediaAsset row, an accepted submit a MediaJob row. The check and the write it guards share one
transaction holding a lock of the user's (PostgreSQL: SELECT … FOR UPDATE of the user row for
uploads, of the subscription row, read with the plan, for submits; SQLite: the IMMEDIATE
transaction's write lock), so concurrent requests of one user are counted one after another and
the limit is never passed, whichever process serves them. Refusals are StudioError with the codes
`upload_quota_exceeded` and `rate_limited` (429, `retry_after` seconds): the API answers JSON with a
Retry-After header, pages show the message on the form, tools and slash commands relay it.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext

from billing import services as billing
from billing.pricing import format_count
from mediastudio import sql
from mediastudio.clientip import client_ip
from studio.errors import StudioError
from studio.models import AddressWindow, MediaAsset, MediaJob

UPLOAD_DAY = timedelta(hours=24)
RATE_WINDOW = timedelta(minutes=1)
MB = 1024 * 1024


# --- Per user: uploads and submits ---------------------------------------------------------


@contextmanager
def upload_allowed(user, nbytes: int) -> Iterator[None]:
    """Store an upload of `nbytes` inside this block, or raise StudioError before it: at most
    UPLOADS_PER_MINUTE a minute, UPLOADS_PER_DAY and UPLOAD_BYTES_PER_DAY in any 24 hours.

    The block is one transaction under the user's lock, so two uploads racing for the last slot
    are counted one after the other and the second is refused; a refusal stores nothing."""
    with transaction.atomic():
        _lock(user)
        now = timezone.now()
        uploads = MediaAsset.objects.for_user(user).filter(origin=MediaAsset.Origin.UPLOADED)
        recent = list(
            uploads.filter(created_at__gte=now - UPLOAD_DAY)
            .order_by("created_at")
            .values_list("created_at", "bytes")
        )
        _refuse_if_too_fast(
            [created for created, _ in recent if created >= now - RATE_WINDOW],
            settings.UPLOADS_PER_MINUTE,
            now,
            "uploads",
        )
        _refuse_if_over_daily_upload_quota(recent, nbytes, now)
        yield


def submit_rate_guard(user) -> billing.Guard:
    """The per-minute submit limit as a condition of the allowance reservation (jobs.submit_job):
    "the user has no SUBMITS_PER_MINUTE-th job in the last minute", checked inside the reserve's
    own UPDATE, so an accepted submit pays no statement for it. The caller holds the user's
    subscription lock (billing.plan_for(lock=True)) from before that UPDATE to commit, so the
    jobs of racing submits are counted one after another. When the reservation misses,
    `explain` tells the rate limit apart from the allowance (check_submit_rate)."""
    since = timezone.now() - RATE_WINDOW
    # The limit-th newest job of the last minute does not exist (OFFSET counts from 0).
    recent = (
        f"NOT EXISTS (SELECT 1 FROM {sql.table(MediaJob)} WHERE {sql.column(MediaJob, 'owner')} = %s"
        f" AND {sql.column(MediaJob, 'created_at')} >= %s LIMIT 1 OFFSET %s)"
    )
    params = (user.pk, sql.db_value(MediaJob, "created_at", since), settings.SUBMITS_PER_MINUTE - 1)
    return billing.Guard(sql=recent, params=params, explain=lambda: check_submit_rate(user))


def check_submit_rate(user) -> None:
    """Refuse a submit when the user's accepted jobs of the last minute reach SUBMITS_PER_MINUTE.
    Call it under the user's lock (submit_rate_guard's caller holds it)."""
    now = timezone.now()
    created = list(
        MediaJob.objects.for_user(user)
        .filter(created_at__gte=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    _refuse_if_too_fast(created, settings.SUBMITS_PER_MINUTE, now, "requests")


def _lock(user) -> None:
    """Serialise this user's limited writes until the surrounding transaction ends. On SQLite
    FOR UPDATE is ignored, and the IMMEDIATE transaction already holds the database's write lock."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


# Whole sentences per thing counted, so each language words its own noun.
TOO_FAST = {
    "requests": gettext_lazy(
        "Too many requests in a minute (at most %(limit)s). Wait %(wait)s and try again. Nothing was charged."
    ),
    "uploads": gettext_lazy(
        "Too many uploads in a minute (at most %(limit)s). Wait %(wait)s and try again. Nothing was charged."
    ),
}


def _refuse_if_too_fast(times: list[datetime], limit: int, now: datetime, what: str) -> None:
    """`times`: the user's events in the last minute, oldest first."""
    if len(times) < limit:
        return
    # A slot frees when the oldest event that keeps the count at the limit leaves the window.
    frees_at = times[len(times) - limit] + RATE_WINDOW
    raise StudioError(
        "rate_limited",
        str(TOO_FAST[what]) % {"limit": limit, "wait": _wait_words(frees_at, now)},
        status=429,
        retry_after=_seconds_until(frees_at, now),
        limit=limit,
        period="minute",
    )


def _refuse_if_over_daily_upload_quota(
    recent: list[tuple[datetime, int]], nbytes: int, now: datetime
) -> None:
    """`recent`: (created_at, bytes) of the user's uploads in the last 24 hours, oldest first."""
    count_limit = settings.UPLOADS_PER_DAY
    bytes_limit = settings.UPLOAD_BYTES_PER_DAY
    used_bytes = sum(size for _, size in recent)
    if len(recent) + 1 <= count_limit and used_bytes + nbytes <= bytes_limit:
        return
    # Walk out of the window oldest first until this upload would fit.
    frees_at = now + UPLOAD_DAY  # an upload larger than the whole daily allowance never fits
    count, size = len(recent), used_bytes
    for created, asset_bytes in recent:
        count, size = count - 1, size - asset_bytes
        if count + 1 <= count_limit and size + nbytes <= bytes_limit:
            frees_at = created + UPLOAD_DAY
            break
    wait = _wait_words(frees_at, now)
    if len(recent) + 1 > count_limit:
        message = gettext(
            "You have uploaded %(count)s images in the last 24 hours, the most allowed. "
            "You can upload again in %(wait)s."
        ) % {"count": format_count(len(recent)), "wait": wait}
    else:
        message = gettext(
            "This upload (%(size)s) would take your uploads of the last 24 hours to %(total)s, above the "
            "%(limit)s allowed. You can upload again in %(wait)s."
        ) % {"size": _mb(nbytes), "total": _mb(used_bytes + nbytes), "limit": _mb(bytes_limit), "wait": wait}
    raise StudioError(
        "upload_quota_exceeded",
        message,
        status=429,
        retry_after=_seconds_until(frees_at, now),
        uploads_limit=count_limit,
        uploads_used=len(recent),
        bytes_limit=bytes_limit,
        bytes_used=used_bytes,
    )


def _seconds_until(when: datetime, now: datetime) -> int:
    return max(1, math.ceil((when - now).total_seconds()))


def _wait_words(when: datetime, now: datetime) -> str:
    """ "45 seconds", "3 minutes", "2 hours 5 minutes": rounded up, never "0 minutes"."""
    seconds = _seconds_until(when, now)
    if seconds < 60:
        return _plural(seconds, "second")
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return _plural(minutes, "minute")
    hours, minutes = divmod(minutes, 60)
    return _plural(hours, "hour") + (f" {_plural(minutes, 'minute')}" if minutes else "")


def _plural(n: int, unit: str) -> str:
    if unit == "second":
        return ngettext("%(n)d second", "%(n)d seconds", n) % {"n": n}
    if unit == "minute":
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}


def _mb(nbytes: int) -> str:
    return f"{nbytes / MB:.1f} MB"


# --- Per address: sign-ups and password resets --------------------------------------------


ADDRESS_REFUSALS: dict[str, Promise] = {
    AddressWindow.Action.SIGNUP: gettext_lazy(
        "Too many new accounts from your network. Try again in %(wait)s."
    ),
    AddressWindow.Action.PASSWORD_RESET: gettext_lazy(
        "Too many password reset requests from your network. Try again in %(wait)s."
    ),
}


def claim_address_slot(request: HttpRequest, action: str, limit: int, window: timedelta) -> None:
    """Count one `action` (AddressWindow.Action) from the request's address, or raise
    StudioError(rate_limited) when the address has had `limit` in its current window.

    Call inside the transaction that does the action, so that an action that fails after this
    gives its slot back. The claim is one conditional UPDATE, exact across processes."""
    address = address_key(client_ip(request) or "unknown")
    now = timezone.now()
    with transaction.atomic():
        # Windows end `window` after their first action; ended ones are deleted, not reset, so
        # the table holds only addresses active in the last window.
        AddressWindow.objects.filter(action=action, window_start__lt=now - window).delete()
        AddressWindow.objects.get_or_create(action=action, address=address, defaults={"window_start": now})
        claimed = AddressWindow.objects.filter(action=action, address=address, count__lt=limit).update(
            count=F("count") + 1
        )
        if claimed:
            return
        frees_at = AddressWindow.objects.get(action=action, address=address).window_start + window
    raise StudioError(
        "rate_limited",
        str(ADDRESS_REFUSALS[action]) % {"wait": _wait_words(frees_at, now)},
        status=429,
        retry_after=_seconds_until(frees_at, now),
    )


def address_key(ip: str) -> str:
    """What a per-address limit counts: an IPv4 address, or an IPv6 /64 (one customer's network:
    a single machine can pick any of its 2^64 addresses)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if address.version == 6:
        if address.ipv4_mapped is not None:  # ::ffff:1.2.3.4 is the IPv4 client 1.2.3.4
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# --- Log-in lockout (django-axes) -----------------------------------------------------------


def lockout_message() -> str:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return gettext(
        "Too many failed log-ins for this username from your network. Log-in is paused for %(wait)s "
        "after the last attempt; you can reset your password meanwhile."
    ) % {"wait": _plural(minutes, "minute")}


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the log-in page that was tried (ours or the admin's), with the
    lockout in place of the form's error, and 429. Not a bare 403 page: the person can read what
    happened and what to do."""
    message = lockout_message()
    context = getattr(original_response, "context_data", None)
    if isinstance(original_response, TemplateResponse) and context and "form" in context:
        template_name = original_response.template_name
    else:  # a log-in outside the two forms (none today): our page
        from allauth.account.forms import LoginForm  # imported here: allauth's forms need the app registry

        template_name, context = "account/login.html", {"form": LoginForm(request=request)}
    form = context["form"]
    form.errors[NON_FIELD_ERRORS] = form.error_class([message], error_class="nonfield")
    # Rendered here: axes answers from a middleware, after Django renders template responses.
    return TemplateResponse(request, template_name, context, status=429).render()
