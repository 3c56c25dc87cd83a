"""Accounts: django-allauth's sign-up (with email verification), log-in, password reset and change,
and email change, under /accounts/; our caps on sign-ups and reset mails per client address; and
the account page (/account/) with the data export and "delete my account and media"."""

from __future__ import annotations

import json
from datetime import timedelta

from allauth.account import forms as allauth_forms
from allauth.account import views as allauth_views
from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import RedirectView

from billing import services as billing
from billing.payfast import PayFastError
from studio import accounts, limits
from studio.errors import StudioError
from studio.models import AddressWindow, MediaAsset, MediaJob
from studio.pages.common import PageRequest
from studio.serving import media_url


def _address_window() -> timedelta:
    return timedelta(minutes=settings.SIGNUP_WINDOW_MINUTES)


# django-allauth ships no Afrikaans or isiZulu catalogue, and Django none for isiZulu: the words their
# forms show on our account pages (labels, placeholders, refusals, the password rules) are listed here
# so that makemessages puts them in ours (gettext finds a msgid in any catalogue, ours first). Only
# for extraction; nothing reads this.
FOREIGN_FORM_WORDS = (
    gettext_noop("Remember Me"),
    gettext_noop("Email address"),
    gettext_noop("Password (again)"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("The username and/or password you specified are not correct."),
    gettext_noop("Please type your current password."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("This account is currently inactive."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("This field is required."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("username"),
    gettext_noop("email address"),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
)


class LoginForm(allauth_forms.LoginForm):
    """allauth's, without the "Forgot your password?" link in the password's help text: the page
    has it as a paragraph of its own (a link inside small help text is too small a target to tap)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""


class _AddressCap:
    """form_valid first claims one `cap_action` slot for the client's address: each sign-up and
    each reset request sends mail, and an address that could ask without end could fill a
    stranger's inbox with our links. The form shows the refusal; a failure gives the slot back."""

    cap_action: str
    cap_setting: str

    def form_valid(self, form) -> HttpResponse:
        limit = getattr(settings, self.cap_setting)
        try:
            with transaction.atomic():
                limits.claim_address_slot(self.request, self.cap_action, limit, _address_window())  # type: ignore[attr-defined]
                return super().form_valid(form)  # type: ignore[misc]
        except StudioError as e:
            form.add_error(None, e.message)
            return self.form_invalid(form)  # type: ignore[attr-defined]


class SignupView(_AddressCap, allauth_views.SignupView):
    cap_action, cap_setting = AddressWindow.Action.SIGNUP, "SIGNUPS_PER_ADDRESS"


class PasswordResetView(_AddressCap, allauth_views.PasswordResetView):
    cap_action, cap_setting = AddressWindow.Action.PASSWORD_RESET, "PASSWORD_RESETS_PER_ADDRESS"


signup = SignupView.as_view()
password_reset = PasswordResetView.as_view()


# --- The account page, the export, deleting -----------------------------------------------------


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy("To be sure it is you: this cannot be undone."),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."))
        return password


def _account_context(request: PageRequest, form: DeleteAccountForm) -> dict:
    user = request.user
    return {
        "form": form,
        "email": EmailAddress.objects.filter(user=user, primary=True).first(),
        "plan": billing.plan_for(user),
        "images": MediaAsset.objects.for_user(user).images().count(),
        "videos": MediaAsset.objects.for_user(user).videos().count(),
        "jobs": MediaJob.objects.for_user(user).count(),
        "running": MediaJob.objects.for_user(user).active().count(),
    }


@never_cache
@require_GET
@login_required
def account(request: PageRequest) -> HttpResponse:
    """The account page: email, password, plan, the data export and deleting the account."""
    return render(request, "studio/account.html", _account_context(request, DeleteAccountForm(request.user)))


@never_cache
@require_GET
@login_required
def account_export(request: PageRequest) -> HttpResponse:
    """The user's data as a JSON download (POPIA's right of access)."""
    data = accounts.export_data(request.user, absolute=request.build_absolute_uri)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json; charset=utf-8"
    )
    name = f"media-studio-{request.user.get_username()}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@require_http_methods(["POST"])
@login_required
def account_delete(request: PageRequest) -> HttpResponse:
    """Delete the account and its media, once the password is given (studio/accounts.py)."""
    form = DeleteAccountForm(request.user, request.POST)
    if form.is_valid():
        try:
            accounts.delete_account(request.user)
        except (accounts.JobsRunning, PayFastError) as e:
            form.add_error(None, str(e))
        else:
            logout(request)
            messages.success(request, _("Your account and all its images and videos are deleted. Goodbye."))
            return redirect("login")
    return render(request, "studio/account.html", _account_context(request, form), status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def asset_delete(request: PageRequest, asset_id) -> HttpResponse:
    """Delete one image or video: a page that shows it and asks (GET), then deletes (POST).
    Another user's, or one already gone, is a 404."""
    asset = MediaAsset.objects.for_user(request.user).filter(pk=asset_id).first()
    if asset is None:
        raise Http404(_("No image or video with that id."))
    if request.method == "POST":
        accounts.delete_asset(request.user, asset.pk)
        kind = "image" if asset.kind == MediaAsset.Kind.IMAGE else "video"
        messages.success(
            request, _("The image is deleted.") if kind == "image" else _("The video is deleted.")
        )
        return redirect("image-gallery" if kind == "image" else "video-create")
    preview = media_url(asset, "thumbnail") if asset.thumbnail else None
    return render(request, "studio/asset_delete.html", {"asset": asset, "preview": preview})


def _moved(name: str):
    """A permanent redirect to the page `name` (the old path's own arguments, such as a token of an
    old reset link, are dropped: that link has to be asked for again)."""
    return RedirectView.as_view(url=reverse_lazy(name), permanent=True, query_string=True)


urlpatterns = [
    # Before allauth's own (the first pattern of a name or path wins): the capped views, and the
    # names the app's templates and LOGIN_URL use, on the paths people know.
    path("accounts/signup/", signup, name="account_signup"),
    path("accounts/signup/", signup, name="signup"),
    path("accounts/password/reset/", password_reset, name="account_reset_password"),
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    # Django's auth URLs of before: bookmarks and old links land on their allauth pages.
    path("accounts/password_reset/", _moved("account_reset_password"), name="password_reset"),
    path("accounts/password_change/", _moved("account_change_password")),
    path("accounts/reset/<str:uidb64>/<str:token>/", _moved("account_reset_password")),
    path("accounts/", include("allauth.account.urls")),
    path("account/", account, name="account"),
    path("account/export/", account_export, name="account-export"),
    path("account/delete/", account_delete, name="account-delete"),
    path("studio/media/<uuid:asset_id>/delete/", asset_delete, name="asset-delete"),
]
