"""Allowance periods follow the calendar in Johannesburg (UTC+2), not UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing import services
from billing.periods import SAST, day_window, month_window, parse_month

pytestmark = pytest.mark.both_databases


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_month_turns_at_midnight_sast():
    # 30 Nov 22:00 UTC is 1 Dec 00:00 in Johannesburg.
    assert month_window(utc(2026, 11, 30, 21, 59, 59)).start == datetime(2026, 11, 1, tzinfo=SAST)
    assert month_window(utc(2026, 11, 30, 22, 0, 0)).start == datetime(2026, 12, 1, tzinfo=SAST)
    assert month_window(utc(2026, 12, 31, 22, 0, 0)).start == datetime(2027, 1, 1, tzinfo=SAST)
    assert month_window(utc(2026, 12, 15)).end == datetime(2027, 1, 1, tzinfo=SAST)


def test_parse_month_is_strict():
    assert parse_month("2026-02").end == datetime(2026, 3, 1, tzinfo=SAST)
    for bad in ["2026-13", "26-11", "2026/11", "", "november"]:
        with pytest.raises(ValueError):
            parse_month(bad)


def test_a_jive_allowance_resets_at_sast_midnight_not_utc(make_user):
    alice = make_user(tier="JIVE")
    last_minute_of_november = utc(2026, 11, 30, 21, 59)
    services.reserve(alice, "images", 50, "nov", when=last_minute_of_november)
    with pytest.raises(services.QuotaExceeded) as refused:
        services.reserve(alice, "images", 1, "nov-2", when=last_minute_of_november)
    assert refused.value.resets_at == datetime(2026, 12, 1, tzinfo=SAST)
    # Two hours before UTC midnight it is already December in Johannesburg: a fresh allowance.
    services.reserve(alice, "images", 50, "dec", when=utc(2026, 11, 30, 22, 0))


def test_free_previews_are_one_a_day_by_the_sast_calendar(make_user):
    bob = make_user()
    evening = utc(2026, 11, 23, 21, 59, 30)  # 23:59:30 SAST on the 23rd
    services.reserve(bob, "images", 1, "p1", when=evening)
    with pytest.raises(services.QuotaExceeded) as refused:
        services.reserve(bob, "images", 1, "p2", when=utc(2026, 11, 23, 21, 59, 59))
    assert refused.value.resets_at == datetime(2026, 11, 24, tzinfo=SAST)
    assert refused.value.upgrade[0]["tier"] == "JIVE"
    services.reserve(bob, "images", 1, "p3", when=utc(2026, 11, 23, 22, 0))  # 00:00 SAST on the 24th


def test_day_window_is_the_sast_day():
    window = day_window(utc(2026, 11, 23, 23, 30))  # 01:30 SAST on the 24th
    assert (window.start, window.end) == (
        datetime(2026, 11, 24, tzinfo=SAST),
        datetime(2026, 11, 25, tzinfo=SAST),
    )
