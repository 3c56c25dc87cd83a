"""Spend for a period, grouped and totalled in the database, as a table, CSV or JSON.

manage.py cost_report                          # this month, by operation, as a table
manage.py cost_report --month 2026-11 --by tier --format csv
manage.py cost_report --from 2026-11-01 --to 2026-11-15 --by day --format json
manage.py cost_report --by variant               # by model/variant, the price row charged
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta

from django.core.management.base import CommandError

from billing import pricing, reports
from billing.models import CostEntry
from billing.periods import SAST, Window, month_window
from mediastudio.commands import OperatorCommand, day, month

COLUMNS = ["key", "entries", "units", "zar", "usd"]


def start_of(value: date) -> datetime:
    """Midnight at the start of a day in SAST."""
    return datetime.combine(value, time.min, tzinfo=SAST)


class Command(OperatorCommand):
    help = "Report spend (ZAR and USD) for a period, grouped by tier, user, operation, model, variant or day."

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", type=month, help="a calendar month in SAST, e.g. 2026-11 (default: this month)"
        )
        parser.add_argument("--from", dest="date_from", type=day, help="first day, e.g. 2026-11-01")
        parser.add_argument("--to", dest="date_to", type=day, help="last day, inclusive (default: today)")
        parser.add_argument("--by", default="operation", help=f"one of {', '.join(reports.GROUPINGS)}")
        parser.add_argument("--format", default="table", help="table, csv or json")

    def handle(
        self, *args, month=None, date_from=None, date_to=None, by="operation", format="table", **options
    ):
        if by not in reports.GROUPINGS:
            raise CommandError(f"--by must be one of {', '.join(reports.GROUPINGS)}, not {by!r}")
        if format not in ("table", "csv", "json"):
            raise CommandError(f"--format must be table, csv or json, not {format!r}")
        window = self.window(month, date_from, date_to)

        entries = CostEntry.objects.in_range(window.start, window.end)
        rows = reports.spend_by(entries, by)
        total = reports.total(rows)
        getattr(self, f"write_{format}")(window, by, rows, total)

    def window(self, month, date_from, date_to) -> Window:
        if month and (date_from or date_to):
            raise CommandError("use either --month or --from/--to, not both")
        if month:
            return month_window(start_of(month))
        if date_to and not date_from:
            raise CommandError("--to needs --from")
        if date_from:
            last = date_to or datetime.now(SAST).date()
            if last < date_from:
                raise CommandError("--to must not be before --from")
            return Window(start_of(date_from), start_of(last + timedelta(days=1)))
        return month_window()

    @staticmethod
    def _cells(row: reports.SpendRow) -> list:
        return [
            row.key,
            row.entries,
            row.units,
            pricing.cents_to_zar(row.zar_cents),
            pricing.micros_to_usd(row.usd_micros),
        ]

    def write_table(self, window, by, rows, total):
        last_day = (window.end - timedelta(days=1)).date()
        self.stdout.write(f"Spend from {window.start.date()} to {last_day} (SAST), by {by}")
        header = [by, "entries", "units", "ZAR", "USD"]
        body = [[str(c) for c in self._cells(r)] for r in rows]
        footer = [str(c) for c in self._cells(total)]
        widths = [max(len(line[i]) for line in [header, *body, footer]) for i in range(len(header))]

        def line(cells):
            first = cells[0].ljust(widths[0])
            return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

        self.stdout.write(line(header))
        self.stdout.write("-" * len(line(header)))
        for cells in body:
            self.stdout.write(line(cells))
        self.stdout.write("-" * len(line(header)))
        self.stdout.write(line(footer))

    def write_csv(self, window, by, rows, total):
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow([by, "entries", "units", "zar", "usd"])
        for row in [*rows, total]:
            writer.writerow(self._cells(row))

    def write_json(self, window, by, rows, total):
        def as_json(row):
            return {
                "key": row.key,
                "entries": row.entries,
                "units": row.units,
                "zar": str(pricing.cents_to_zar(row.zar_cents)),
                "usd": str(pricing.micros_to_usd(row.usd_micros)),
                "zar_cents": row.zar_cents,
                "usd_micros": row.usd_micros,
            }

        document = {
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "by": by,
            "rows": [as_json(r) for r in rows],
            "total": as_json(total),
        }
        self.stdout.write(json.dumps(document, indent=2))
