"""The one range of dates pilkada works with, for every date typed or read.

Python's dates end at year 1 and 9999, and a date near either end overflows as soon as the tool
adds a day (the end of an as-of day), the days of ``warn_days`` or ``due --within``, or a time
zone. Rather than guard each sum, every date that comes in (``--as-of``, ``--since``,
``--until``, ``--at``, a CSV's or a sheet's date, ``pilkada.yaml``'s ``as_of``, a cycle's voting
day and stage dates, ``H-N`` offsets) is checked against one range far from both ends, and
every span added to a date is bounded (``MAX_SPAN_DAYS``): no sum leaves Python's calendar.
A date outside it is an input error naming the value and the range.

Pure: no I/O.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pilkada_cli.base.errors import InputError
from pilkada_cli.base.i18n import _

FIRST_DAY = date(1900, 1, 1)  # no election before it has records to track
LAST_DAY = date(2999, 12, 31)  # far beyond any cycle; 7,000 years from Python's last date
MAX_SPAN_DAYS = 3660  # the longest span added to a date: ``due --within`` (ten years)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
# A stored event time (POSIX microseconds) within the range in every time zone it may be
# written in (UTC-12:00 to UTC+14:00: the first moment of the first day east of everyone,
# the last moment of the last day west of everyone).
FIRST_US = (datetime.combine(FIRST_DAY, time(), timezone(timedelta(hours=14))) - _EPOCH) // _MICRO
LAST_US = (datetime.combine(LAST_DAY, time.max, timezone(timedelta(hours=-14))) - _EPOCH
           ) // _MICRO


def in_range(day: date) -> bool:
    """Whether ``day`` is a date pilkada works with."""
    return FIRST_DAY <= day <= LAST_DAY


def out_of_range(value: str) -> str:
    """The sentence for a date outside the range, naming the value as it was written."""
    return _("'{value}' is outside the dates pilkada works with ({first} to {last})").format(
        value=value, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


def check_day(day: date, text: str) -> date:
    """``day`` (written as ``text``), or an input error when it is out of range."""
    if not in_range(day):
        raise InputError(out_of_range(text))
    return day


def check_moment(moment: datetime, text: str) -> datetime:
    """``moment`` (written as ``text``), or an input error when its date is out of range
    (its date where it was written: a day from the range's ends, converting it to any time
    zone cannot overflow)."""
    check_day(moment.date(), text)
    return moment
