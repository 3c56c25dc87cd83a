from __future__ import annotations

from django.core.management.base import CommandError

from billing import services
from billing.management.commands.set_tier import NAME, REASON, get_user
from mediastudio.commands import OperatorCommand, whole_number


class Command(OperatorCommand):
    help = "Give a user extra units of a meter for the current period, with a reason (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username", type=NAME)
        parser.add_argument(
            "meter", type=NAME, help="images, edits, upscales, video_seconds or video_audio_seconds"
        )
        parser.add_argument(
            "units",
            type=whole_number(1, services.MAX_GRANT_UNITS),
            help=f"a whole number from 1 to {services.MAX_GRANT_UNITS}",
        )
        parser.add_argument("--reason", type=REASON, required=True)

    def handle(self, *args, username, meter, units, reason, **options):
        user = get_user(username)
        try:
            granted = services.grant(user, meter, units, by=None, reason=reason)
        except services.BillingError as error:
            raise CommandError(str(error)) from None
        left = next(b.remaining for b in services.remaining(user) if b.meter == meter)
        self.stdout.write(f"granted {granted.units} {meter} to {username}; {left} left this period")
