from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from billing import services
from billing.management.commands.set_tier import get_user


class Command(BaseCommand):
    help = "Give a user extra units of a meter for the current period, with a reason (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("meter", help="images, edits, upscales, video_seconds or video_audio_seconds")
        parser.add_argument("units", help="a positive whole number")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, username, meter, units, reason, **options):
        user = get_user(username)
        if not units.isdigit() or int(units) <= 0:
            raise CommandError(f"units must be a positive whole number, not {units!r}")
        try:
            granted = services.grant(user, meter, int(units), by=None, reason=reason)
        except services.BillingError as error:
            raise CommandError(str(error)) from None
        left = next(b.remaining for b in services.remaining(user) if b.meter == meter)
        self.stdout.write(f"granted {granted.units} {meter} to {username}; {left} left this period")
