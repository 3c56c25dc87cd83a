"""The Media Creator landing page and sign-up."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from billing import services as billing
from studio import limits
from studio.errors import StudioError
from studio.models import AddressWindow
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


class SignupForm(UserCreationForm):
    """Username, email and password. The email is where a password reset goes (it is not verified
    yet: issue 14); it is not checked for uniqueness, so the form says nothing about who else
    signed up with it."""

    email = forms.EmailField(
        max_length=254, help_text="Where we send a link if you forget your password.", required=True
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("landing")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a sign-up that fails after the claim gives its slot back
                limits.claim_address_slot(
                    request, AddressWindow.Action.SIGNUP, settings.SIGNUPS_PER_ADDRESS, _address_window()
                )
                user = form.save()
        except StudioError as e:
            form.add_error(None, e.message)
        else:
            # Two authentication backends (axes, then the model): say which one vouches for the user.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("landing")
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with a cap on requests per address: each one sends mail, and an
    address that could ask without end could fill a stranger's inbox with our links."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                limits.claim_address_slot(
                    self.request,
                    AddressWindow.Action.PASSWORD_RESET,
                    settings.PASSWORD_RESETS_PER_ADDRESS,
                    _address_window(),
                )
        except StudioError as e:
            form.add_error(None, e.message)
            return self.form_invalid(form)
        return super().form_valid(form)


def _address_window() -> timedelta:
    return timedelta(minutes=settings.SIGNUP_WINDOW_MINUTES)


urlpatterns = [
    path("", landing, name="landing"),
    path("accounts/signup/", signup, name="signup"),
    # Before django.contrib.auth.urls (studio/urls.py), so this one answers the same URL name.
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
]
