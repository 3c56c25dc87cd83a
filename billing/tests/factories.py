"""Users for every test (billing's and the studio's): the `make_user` fixture of the root
conftest.py calls this. Only billing decides a tier, so a user's plan is set through it."""

from __future__ import annotations

import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from billing import services

_counter = itertools.count(1)


def make_user(
    *, username: str | None = None, tier: str = "FREE", staff: bool = False, password: str = "pw-123456"
):
    """A user on `tier` (FREE unless told), staff and superuser when `staff`, with a verified email
    address <username>@example.com (the log-in page lets only verified accounts in)."""
    username = username or f"user{next(_counter)}"
    email = f"{username}@example.com"
    user = get_user_model().objects.create_user(
        username=username, email=email, password=password, is_staff=staff, is_superuser=staff
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if tier != "FREE":
        services.change_tier(user, services.get_plan(tier), by=None, reason="test set-up")
    return user
