"""Allowance periods: calendar months and days in Africa/Johannesburg (SAST), not UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

SAST = ZoneInfo("Africa/Johannesburg")


@dataclass(frozen=True)
class Window:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware: when the allowance resets


def month_window(when: datetime | None = None) -> Window:
    local = (when or timezone.now()).astimezone(SAST)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return Window(start, end)


def day_window(when: datetime | None = None) -> Window:
    local = (when or timezone.now()).astimezone(SAST)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # SAST has no daylight saving, so a day is always 24 hours.
    return Window(start, start + timedelta(days=1))


def window_for(period: str, when: datetime | None = None) -> Window:
    if period == "day":
        return day_window(when)
    if period == "month":
        return month_window(when)
    raise ValueError(f"unknown period {period!r}")


def parse_month(text: str) -> Window:
    """'2026-11' → the whole of November 2026 in SAST. Raises ValueError on anything else."""
    try:
        first = datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise ValueError(f"month must look like 2026-11, not {text!r}") from None
    return month_window(first.replace(tzinfo=SAST))
