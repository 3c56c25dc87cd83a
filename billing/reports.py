"""Spend aggregation for the cost report command and the admin chart.

Grouping and summing happen in the database (one GROUP BY query), so a report over a
million ledger rows reads a handful of result rows, never the ledger itself. The total is the sum
of those rows, not a second pass over the ledger. On PostgreSQL the query reads only the ledger's
covering index on created_at (costentry_created_covering, migration 0008), and the planner knows how many
SAST days a range holds (statistics on the day expression), so it hashes the days instead of
sorting every row on disk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.db.models import CharField, Count, F, QuerySet, Sum, Value
from django.db.models.functions import Concat, TruncDate

from billing import pricing
from billing.models import CostEntryQuerySet
from billing.periods import SAST

GROUPINGS = ("tier", "user", "operation", "model", "variant", "day")


@dataclass(frozen=True)
class SpendRow:
    key: str
    entries: int
    units: int
    usd_micros: int
    zar_cents: int

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "usd": pricing.format_usd(self.usd_micros),
            "zar": pricing.format_zar(self.zar_cents),
        }


def sast_day():
    """The SAST calendar day of created_at. Migration 0008's statistics on this very expression
    tell PostgreSQL's planner that a month has about 30 of them (not one per row); change both
    together (test_reports checks that they match)."""
    return TruncDate("created_at", tzinfo=SAST)


def _group_expression(by: str):
    if by == "day":
        return sast_day()
    if by == "user":
        return F("user__username")
    if by == "variant":
        # The price row each entry was charged at: "veo-3.1-fast-generate-001/1080p+audio".
        return Concat(F("model"), Value("/"), F("variant"), output_field=CharField())
    if by in GROUPINGS:
        return F(by)
    raise ValueError(f"cannot group by {by!r} (choose one of {', '.join(GROUPINGS)})")


def _sums() -> dict:
    return {
        # COUNT(*), not COUNT(id): id is not in the covering index, and rows are never null.
        "entries": Count("*"),
        "units": Sum("units", default=0),
        "usd_micros": Sum("usd_micros", default=0),
        "zar_cents": Sum("zar_cents", default=0),
    }


def spend_query(entries: QuerySet, by: str) -> QuerySet:
    """The one GROUP BY: a row per group with its entries, units and money, in key order."""
    return (
        entries.order_by()
        .annotate(group_key=_group_expression(by))
        .values("group_key")
        .annotate(**_sums())
        .order_by("group_key")
    )


def spend_by(entries: QuerySet, by: str) -> list[SpendRow]:
    return [
        SpendRow(
            key=_key_text(row["group_key"]),
            entries=row["entries"],
            units=row["units"],
            usd_micros=row["usd_micros"],
            zar_cents=row["zar_cents"],
        )
        for row in spend_query(entries, by)
    ]


def total(rows: list[SpendRow]) -> SpendRow:
    """The sum of a report's rows: every entry falls in exactly one group, so this is the total
    of the entries themselves (integers: nothing is lost to rounding)."""
    return SpendRow(
        key="TOTAL",
        entries=sum(r.entries for r in rows),
        units=sum(r.units for r in rows),
        usd_micros=sum(r.usd_micros for r in rows),
        zar_cents=sum(r.zar_cents for r in rows),
    )


def daily_spend(entries: CostEntryQuerySet, start: datetime, end: datetime) -> list[tuple[date, int]]:
    """ZAR cents per SAST day from start to end, with zero for days without spend."""
    by_day = {row.key: row.zar_cents for row in spend_by(entries.in_range(start, end), "day")}
    first, last = start.astimezone(SAST).date(), end.astimezone(SAST).date()
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal())]
    return [(d, by_day.get(d.isoformat(), 0)) for d in days]


def _key_text(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)
