"""Issue a JSON API token for a user and print its secret, which is never shown again.

manage.py create_api_token alice --name "laptop script"
TOKEN=$(manage.py create_api_token alice)      # stdout carries only the secret

Only the secret's SHA-256 is stored. Revoke a token in the admin (API tokens → "Revoke selected").
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from mediastudio.commands import OperatorCommand, text
from studio.models import ApiToken

NAME_MAX_LENGTH = cast(int, ApiToken._meta.get_field("name").max_length)  # a CharField always has one


class Command(OperatorCommand):
    help = "Issue an API token for a user; prints the secret once (stdout) and a notice (stderr)."

    def add_arguments(self, parser):
        parser.add_argument("username", type=text(150, required=True))
        parser.add_argument(
            "--name", type=text(NAME_MAX_LENGTH), default="", help="what the token is for, shown in the admin"
        )

    def handle(self, *args, username: str, name: str = "", **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated; a token for them would not work")

        token, secret = ApiToken.issue(user, name)
        label = f" ({name})" if name else ""
        self.stderr.write(
            f"Token {token.hint}… for {username}{label}. Copy it now: it will not be shown again.",
            style_func=self.style.WARNING,
        )
        self.stdout.write(secret)
