"""Idempotently create one demo user per tier (and a staff user), each with a verified email
address, and print their credentials."""

from __future__ import annotations

import os

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from billing import services
from mediastudio.commands import OperatorCommand

DEMO_USERS = [
    # username, tier, staff
    ("demo-free", "FREE", False),
    ("demo-jive", "JIVE", False),
    ("demo-jigga", "JIGGA", False),
    ("demo-staff", "JIGGA", True),
]


class Command(OperatorCommand):
    help = "Create the demo users (one per tier, plus a staff user) and print how to log in."

    def handle(self, *args, **options):
        # Demo accounts only: a known password is the point. Override it on shared machines.
        password = os.environ.get("DEMO_PASSWORD", "studio-demo")
        User = get_user_model()
        self.stdout.write(f"Demo accounts (password: {password}):")
        for username, tier, staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
            # Verified, so the demo accounts log in at once (sign-up verifies by mail).
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            plan = services.get_plan(tier)
            if services.plan_for(user) != plan:
                services.change_tier(user, plan, by=None, reason="seed_demo")
            self.stdout.write(f"  {username:<11} {tier:<6}{'  (staff: /admin/)' if staff else ''}")
