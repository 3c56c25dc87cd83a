"""The Media Creator landing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from billing import services as billing
from studio.pages.common import PageRequest


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


urlpatterns = [
    path("", landing, name="landing"),
]
