from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from billing import services
from mediastudio.commands import OperatorCommand, text

# Names (of a user, a tier, a meter) and reasons, checked before any query; an empty reason is
# refused by billing.services with its own message.
NAME = text(150, required=True)
REASON = text(1000)


def get_user(username: str):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"no user named {username!r}") from None


class Command(OperatorCommand):
    help = "Move a user to another tier (FREE, JIVE or JIGGA). The change is kept in the audit trail."

    def add_arguments(self, parser):
        parser.add_argument("username", type=NAME)
        parser.add_argument("tier", type=NAME)
        parser.add_argument("--reason", type=REASON, default="set by an operator with manage.py set_tier")

    def handle(self, *args, username, tier, reason, **options):
        user = get_user(username)
        try:
            plan = services.get_plan(tier)
            services.change_tier(user, plan, by=None, reason=reason)
        except services.BillingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{username} is now on {plan.code}")
