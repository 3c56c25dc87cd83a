"""The Media Creator landing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from billing import services as billing
from billing.models import Meter
from studio.pages.common import PageRequest
from studio.templatetags import shell


@require_GET
@login_required
def landing(request: PageRequest) -> HttpResponse:
    """Media Creator landing: the user's tier and what is left of every allowance."""
    plan = billing.plan_for(request.user)
    return render(
        request,
        "studio/landing.html",
        {"plan": plan, "balances": billing.remaining(request.user), "upgrades": billing.upgrade_plans(plan)},
    )


@require_GET
@login_required
def shell_meter(request: PageRequest) -> HttpResponse:
    """The header's meter again (templates/_shell_meter.html), after a submit changed what is left.
    An unknown meter is answered with the images meter: the header never shows an error."""
    name = request.GET.get("meter", "")
    meter = name if name in Meter.values else Meter.IMAGES
    return render(request, "_shell_meter.html", {"meter": shell.meter_context(request.user, meter)})


urlpatterns = [
    path("", landing, name="landing"),
    path("studio/meter/", shell_meter, name="shell-meter"),
]
