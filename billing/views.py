"""The plans page, PayFast checkout, cancel and downgrade, and PayFast's ITN webhook.

The pages render templates/billing/ inside base.html; the PayFast work is billing/payfast.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import payfast, pricing, services
from billing.models import Meter, Plan, Subscription
from mediastudio.clientip import client_ip

CHECKOUT_WORDS = {
    "done": gettext_lazy(
        "Thank you. PayFast has your payment; your plan changes as soon as PayFast confirms it."
    ),
    "cancelled": gettext_lazy("You left PayFast's checkout: nothing was paid and your plan is unchanged."),
}


def _checkout_words(outcome: str, paying) -> str | None:
    """What to say on coming back from PayFast's checkout (its return or cancel URL)."""
    if outcome == "done" and paying is not None:
        return _("Thank you. PayFast confirmed your payment: you are on %(plan)s now.") % {
            "plan": paying.plan.code
        }
    words = CHECKOUT_WORDS.get(outcome)
    return str(words) if words else None


def _allowance_words(meter: str, units: int, period: str) -> str:
    if not units:
        return "—"
    if meter in (Meter.VIDEO_SECONDS, Meter.VIDEO_AUDIO_SECONDS):
        amount = (
            _("%(n)s min") % {"n": pricing.format_count(units // 60)}
            if units % 60 == 0 and units >= 60
            else _("%(n)s s") % {"n": pricing.format_count(units)}
        )
    else:
        amount = pricing.format_count(units)
    return (
        _("%(amount)s a day") % {"amount": amount}
        if period == "day"
        else _("%(amount)s a month") % {"amount": amount}
    )


def _features(plan: Plan) -> list[str]:
    words = []
    if plan.watermark_output:
        words.append(_("Free previews carry a visible watermark"))
    else:
        words.append(_("Google's image model, no watermark"))
    if plan.edit_demo_only:
        words.append(_("Edit: try the mask painter (demo)"))
    if plan.upscale_models:
        names = ["V4 Ultra" if m == "v4" else m.upper() for m in plan.upscale_models]
        if len(names) > 1:
            joined = _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
        else:
            joined = names[0]
        words.append(_("Upscale with %(names)s") % {"names": joined})
    words.append(
        _("Video: the sample gallery")
        if plan.video_samples_only
        else _("Veo 3.1 video, with or without audio")
    )
    return words


@require_GET
def plans(request: HttpRequest) -> HttpResponse:
    """FREE, JIVE and JIGGA side by side, from the Plan rows; the user's plan marked, with the way to
    subscribe, cancel or downgrade, and what is scheduled."""
    all_plans = list(Plan.objects.prefetch_related("allowances"))
    current = services.plan_for(request.user) if request.user.is_authenticated else None
    rows = [
        {
            "label": meter.label,
            # (plan code, words): a phone shows each cell under its plan's name (the table stacks).
            "cells": [
                (
                    p.code,
                    _allowance_words(
                        meter, *((a.units, a.period) if (a := p.allowance_for(meter)) else (0, "month"))
                    ),
                )
                for p in all_plans
            ],
        }
        for meter in Meter
    ]
    paying = scheduled = None
    if request.user.is_authenticated:
        paying = payfast.active_subscription(request.user)
        scheduled = (
            Subscription.objects.filter(user=request.user, change_at__isnull=False)
            .select_related("change_to")
            .first()
        )
    context = {
        "plans": [
            {"plan": p, "price": pricing.format_zar(p.price_cents), "features": _features(p)}
            for p in all_plans
        ],
        "rows": rows,
        "current": current,
        "paying": paying,
        "scheduled": scheduled,
        "configured": payfast.configured(),
        "checkout_words": _checkout_words(request.GET.get("checkout", ""), paying),
    }
    return render(request, "billing/plans.html", context)


@require_POST
@login_required
def checkout(request: HttpRequest, code: str) -> HttpResponseBase:
    """A pending subscription and the page whose button posts the signed form to PayFast."""
    plan = get_object_or_404(Plan, code__iexact=code)
    plans_url = request.build_absolute_uri(reverse("plans"))
    try:
        started = payfast.start_checkout(
            request.user,  # type: ignore[arg-type]
            plan,
            return_url=plans_url + "?checkout=done",
            cancel_url=plans_url + "?checkout=cancelled",
            notify_url=settings.PAYFAST_NOTIFY_URL or request.build_absolute_uri(reverse("payfast-itn")),
        )
    except payfast.PayFastError as error:
        messages.error(request, str(error))
        return redirect("plans")
    response = render(
        request,
        "billing/checkout.html",
        {"plan": plan, "price": pricing.format_zar(plan.price_cents), "checkout": started},
    )
    # The form goes to PayFast: this page's Content Security Policy lets it (and only it) post there.
    response._csp_update = {"form-action": [payfast.process_origin()]}  # type: ignore[attr-defined]
    return response


@require_POST
@login_required
def cancel(request: HttpRequest) -> HttpResponseBase:
    try:
        subscription = payfast.cancel(request.user)  # type: ignore[arg-type]
    except payfast.PayFastError as error:
        messages.error(request, str(error))
    else:
        until = subscription.paid_until
        messages.success(
            request,
            _(
                "Your subscription is cancelled: PayFast charges nothing more. "
                "%(plan)s stays until %(until)s, then you are on FREE."
            )
            % {"plan": subscription.plan.code, "until": format_date(until, "j M Y")}
            if until
            else _("Your subscription is cancelled."),
        )
    return redirect("plans")


@require_POST
@login_required
def downgrade(request: HttpRequest, code: str) -> HttpResponseBase:
    plan = get_object_or_404(Plan, code__iexact=code)
    try:
        subscription = payfast.downgrade(request.user, plan)  # type: ignore[arg-type]
    except payfast.PayFastError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("From %(date)s you are on %(plan)s at %(price)s a month.")
            % {
                "date": format_date(subscription.paid_until, "j M Y") if subscription.paid_until else "—",
                "plan": plan.code,
                "price": pricing.format_zar(plan.price_cents),
            },
        )
    return redirect("plans")


@csrf_exempt  # PayFast cannot send a CSRF token; the ITN is checked by billing.payfast instead
@require_POST
def payfast_itn(request: HttpRequest) -> HttpResponse:
    """PayFast's notification. 200 whatever became of it (stored and logged), except when our check
    could not run (the validation call failed): 503, so PayFast sends it again."""
    _note, retry = payfast.handle_itn(request.body, client_ip(request))
    return HttpResponse(
        "retry later" if retry else "OK", status=503 if retry else 200, content_type="text/plain"
    )


urlpatterns = [
    path("plans/", plans, name="plans"),
    path("plans/<str:code>/checkout/", checkout, name="plan-checkout"),
    path("plans/<str:code>/downgrade/", downgrade, name="plan-downgrade"),
    path("plans/cancel/", cancel, name="plan-cancel"),
    path("billing/payfast/itn/", payfast_itn, name="payfast-itn"),
]
