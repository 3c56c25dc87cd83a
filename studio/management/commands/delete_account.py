"""Delete a user's account and media for them (a POPIA request that came by mail), as the account
page's "Delete my account and media" does: studio/accounts.py.

manage.py delete_account alice --yes
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction

from billing.payfast import PayFastError
from mediastudio.commands import OperatorCommand, text
from studio import accounts


class Command(OperatorCommand):
    help = "Delete a user's account and media (files too); billing's ledger rows stay, anonymous."

    def add_arguments(self, parser):
        parser.add_argument("username", type=text(150, required=True))
        parser.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")

    def handle(self, *args, username: str, yes: bool = False, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        if not yes:
            raise CommandError(f"this deletes {username!r} and all their media for good: add --yes")
        try:
            with transaction.atomic():  # the files go when this commits
                accounts.delete_account(user)
        except (accounts.JobsRunning, PayFastError) as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"Deleted {username!r}: their media, jobs and tokens are gone.")
