"""The Media Creator landing page and sign-up."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from billing import services as billing


@require_GET
@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Media Creator landing: the user's tier and what is left of every allowance."""
    plan = billing.plan_for(request.user)
    return render(
        request,
        "studio/landing.html",
        {"plan": plan, "balances": billing.remaining(request.user), "upgrades": billing.upgrade_plans(plan)},
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("landing")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("landing")
    return render(request, "registration/signup.html", {"form": form})


urlpatterns = [
    path("", landing, name="landing"),
    path("accounts/signup/", signup, name="signup"),
]
