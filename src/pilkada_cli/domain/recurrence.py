"""Recurring items: ``every: month`` or ``every: week`` from a first to a last due date.

Each occurrence becomes an item of its own (its own id, due date and records): a monthly
report for February is done or late on its own, whatever happened in March.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from pilkada_cli.base.i18n import format_date

EVERY = ("month", "week")
MAX_OCCURRENCES = 120


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def occurrences(first: date, until: date, every: str) -> list[date]:
    """Due dates from ``first`` to ``until`` (inclusive), one per month or week.

    Monthly dates keep ``first``'s day of the month, moved back to the month's last day where a
    month is shorter; when ``first`` is a month's last day, every occurrence is its month's last
    day (29 Feb, 31 Mar, 30 Apr…). At most ``MAX_OCCURRENCES`` + 1 dates are returned, so a
    caller can tell a runaway series from a long one."""
    out: list[date] = []
    if every == "week":
        d = first
        while d <= until and len(out) <= MAX_OCCURRENCES:
            out.append(d)
            d += timedelta(days=7)
        return out
    last_day = first.day == _month_end(first.year, first.month)
    year, month = first.year, first.month
    while len(out) <= MAX_OCCURRENCES:
        end = _month_end(year, month)
        d = date(year, month, end if last_day else min(first.day, end))
        if d > until:
            break
        out.append(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def occurrence_id(base: str, due: date, every: str) -> str:
    """``laporan-bulanan-2024-02`` (monthly) or ``laporan-mingguan-2024-11-04`` (weekly)."""
    return f"{base}-{due:%Y-%m}" if every == "month" else f"{base}-{due:%Y-%m-%d}"


def period_start(due: date, every: str) -> date:
    """The first day of the period an occurrence reports on: the month its title names (from
    the 1st), or the seven days that end on its due date (a Monday report covers the week up
    to that Monday)."""
    if every == "month":
        return due.replace(day=1)
    return due - timedelta(days=6)


def period(due: date, every: str, lang: str) -> str:
    """What an occurrence's title adds: ``Februari 2024`` or ``4 November 2024``."""
    if every == "month":
        return format_date(due, lang).split(" ", 1)[1]
    return format_date(due, lang)
