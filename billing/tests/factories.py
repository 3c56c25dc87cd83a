"""Users for every test (billing's and the studio's): the `make_user` fixture of the root
conftest.py calls this. Only billing decides a tier, so a user's plan is set through it."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing import services
from billing.models import CostEntry

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


def make_cost_entry(
    user,
    *,
    tier: str = "JIVE",
    operation: str = "generate_image",
    zar_cents: int = 74,
    when: datetime | None = None,
    reference: str | None = None,
) -> CostEntry:
    """A ledger row charged to `user` at `when` (now unless told), written directly: the tests of
    reports and the admin need rows at chosen instants, which billing.services never writes."""
    return CostEntry.objects.create(
        user=user,
        tier=tier,
        operation=operation,
        model="m",
        price_class="image",
        units=1,
        usd_micros=zar_cents * 10_000 * 100 // 1850,
        zar_cents=zar_cents,
        rate=Decimal("18.50"),
        reference=reference or f"{operation}-{zar_cents}-{when}",
        created_at=when or timezone.now(),
    )
