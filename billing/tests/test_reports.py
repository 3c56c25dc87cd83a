"""billing.reports on both engines: SAST days, one pass over the ledger, and (PostgreSQL) the
plan a million-row ledger needs: the covering index alone, and days hashed, not sorted."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import reports
from billing.models import CostEntry
from billing.periods import SAST, parse_month
from billing.tests.factories import make_cost_entry

pytestmark = pytest.mark.both_databases

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_row_at_22_30_utc_belongs_to_the_next_sast_day(make_user):
    alice = make_user(username="alice")
    make_cost_entry(alice, zar_cents=100, when=utc(2026, 11, 1, 21, 59, 59))  # 1 Nov 23:59:59 SAST
    make_cost_entry(alice, zar_cents=200, when=utc(2026, 11, 1, 22, 30))  # 2 Nov 00:30 SAST
    make_cost_entry(alice, zar_cents=400, when=utc(2026, 10, 31, 22, 0))  # 1 Nov 00:00 SAST
    make_cost_entry(alice, zar_cents=800, when=utc(2026, 10, 31, 21, 59))  # 31 Oct: not November

    rows = reports.spend_by(CostEntry.objects.in_range(*_november()), "day")
    assert [(r.key, r.entries, r.zar_cents) for r in rows] == [("2026-11-01", 2, 500), ("2026-11-02", 1, 200)]
    document = json.loads(_cost_report("--month", "2026-11", "--by", "day", "--format", "json"))
    assert [(r["key"], r["zar_cents"]) for r in document["rows"]] == [
        ("2026-11-01", 500),
        ("2026-11-02", 200),
    ]
    days = dict(reports.daily_spend(CostEntry.objects.all(), *_november()))
    assert (days[datetime(2026, 11, 1).date()], days[datetime(2026, 11, 2).date()]) == (500, 200)
    assert len(days) == 30 and sum(days.values()) == 700


def test_the_total_is_the_sum_of_the_groups(make_user):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    make_cost_entry(alice, tier="JIVE", zar_cents=74, when=utc(2026, 11, 3))
    make_cost_entry(bob, tier="JIGGA", zar_cents=2960, when=utc(2026, 11, 4))
    make_cost_entry(bob, tier="JIGGA", zar_cents=111, when=utc(2026, 11, 5))
    rows = reports.spend_by(CostEntry.objects.in_range(*_november()), "tier")
    total = reports.total(rows)
    assert (total.key, total.entries, total.units, total.zar_cents) == ("TOTAL", 3, 3, 74 + 2960 + 111)
    assert total.usd_micros == sum(e.usd_micros for e in CostEntry.objects.all())
    assert reports.total([]) == reports.SpendRow("TOTAL", 0, 0, 0, 0)


@pytest.mark.parametrize("by", reports.GROUPINGS)
def test_cost_report_reads_the_ledger_once(make_user, by):
    """The rows and their total from one GROUP BY: a second query for the total read the month's
    third of a million rows again (issue 17)."""
    make_cost_entry(make_user(), when=utc(2026, 11, 3))
    with CaptureQueriesContext(connection) as queries:
        _cost_report("--month", "2026-11", "--by", by)
    ledger = [q["sql"] for q in queries.captured_queries if '"billing_costentry"' in q["sql"]]
    assert len(ledger) == 1, ledger


@on_postgresql
def test_the_planner_knows_a_month_holds_about_thirty_days(make_user):
    """Migration 0008's statistics match reports.sast_day(): without them PostgreSQL expects one
    group per row and sorts a month of the ledger on disk instead of hashing its days."""
    alice = make_user()
    for day in range(1, 4):
        for second in range(100):
            make_cost_entry(alice, when=datetime(2026, 11, day, 8, 0, second % 60, second, tzinfo=SAST))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_costentry")
    sql, params = _month_query(CostEntry.objects.all(), "day").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    assert plan["Plan Rows"] <= 10, plan  # 3 days; 300 if the statistics did not match


@pytest.mark.parametrize("by", reports.GROUPINGS)
def test_every_column_a_report_or_the_chart_reads_is_in_the_covering_index(by):
    """Reports and the admin's chart (under any of its filters) read only columns the covering
    index holds, so PostgreSQL answers them from the index without the table. A column added to a
    report or a filter must be added to the index too (models.py, a migration)."""
    (index,) = [i for i in CostEntry._meta.indexes if i.name == "costentry_created_covering"]
    covered = {CostEntry._meta.get_field(name).column for name in [*index.fields, *index.include]}
    filtered = CostEntry.objects.filter(
        tier="JIVE", operation="generate_video", model="m", price_class="video", kind="charge", user=1
    )
    sql, _ = _month_query(filtered, by).query.sql_with_params()
    read = set(re.findall(r'"billing_costentry"\."(\w+)"', sql))
    assert read and read <= covered, read - covered


@on_postgresql
@pytest.mark.parametrize("by", reports.GROUPINGS)
def test_a_months_report_is_an_index_only_scan(make_user, by):
    """The plan with the table's other ways in (a sequential or bitmap scan) switched off: the
    planner takes the covering index alone."""
    sql, params = _month_query(CostEntry.objects.all(), by).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using costentry_created_covering" in plan, plan


def _november():
    window = parse_month("2026-11")
    return window.start, window.end


def _cost_report(*args) -> str:
    out = io.StringIO()
    call_command("cost_report", *args, stdout=out)
    return out.getvalue()


def _month_query(entries, by: str):
    return reports.spend_query(entries.in_range(*_november()), by)
