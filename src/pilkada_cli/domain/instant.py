"""Instants: the two times of an event (``at``, when it happened; ``recorded``, when it was
written down) as one typed value, parsed once when the event is built or read and passed on
typed to the rules, the views and the renderers, which only compare or format it.

An ``Instant`` keeps the text it is stored as, because a record must be written back byte for
byte (records are signed in bundles and hashed by the cache) and ``datetime.isoformat`` cannot
give every valid stored text back: ``recorded`` may have microseconds or none. Beside the
text it holds its moment as whole POSIX microseconds (``us``), computed once: orders, cutoffs
and the cache's columns are integer comparisons, with no parsing after the read.

Two instants are equal when their texts are (as the stored strings were). They have no order
of their own, on purpose: ``2024-08-21T10:29:00+08:00`` happened before
``2024-08-21T09:30:00+07:00``, and a tuple of instants would compare texts first. Order by
``us``, or by ``events.order_key``.

Pure: no I/O. The only module that parses an event's time text (tests/test_instant.py checks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, cast

_DateTime = datetime  # (the class has a property named ``datetime``)
_fromisoformat = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1)  # naive: ``recorded`` is read without its (UTC) offset
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
_OFFSETS: dict[str, int] = {}  # "+07:00" -> its microseconds east of UTC (a handful, ever)


class Instant:
    """A stored event time: ``text`` as stored, ``us`` its moment in POSIX microseconds.

    Build one with ``parse_at``, ``parse_recorded`` or ``of`` (never from unchecked text);
    instants are immutable."""

    __slots__ = ("text", "us")

    text: str
    us: int

    def __init__(self) -> None:
        raise TypeError("build an Instant with parse_at, parse_recorded or of")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Instant is immutable ({name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Instant is immutable ({name})")

    def __eq__(self, other: object) -> bool:
        return type(other) is Instant and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Instant({self.text!r})"

    def __reduce__(self) -> tuple[Callable[..., Instant], tuple[str, int]]:
        return (_make, (self.text, self.us))

    @property
    def seconds(self) -> int:
        """POSIX seconds (floored; ``at`` has whole seconds, so exact for it)."""
        return self.us // 1_000_000

    @property
    def datetime(self) -> _DateTime:
        """The moment as an aware datetime in the offset it was stored with."""
        return _fromisoformat(self.text)

    @property
    def day(self) -> date:
        """The calendar date in the offset it was stored with (the date its text shows)."""
        t = self.text
        return date(int(t[:4]), int(t[5:7]), int(t[8:10]))

    def local(self, zone: tzinfo) -> _DateTime:
        """The moment in ``zone`` (a region's WIB, WITA or WIT): what a renderer shows."""
        return (_EPOCH_UTC + timedelta(microseconds=self.us)).astimezone(zone)


_S_TEXT = cast(Callable[[Instant, str], None], getattr(Instant, "text").__set__)  # noqa: B009
_S_US = cast(Callable[[Instant, int], None], getattr(Instant, "us").__set__)  # noqa: B009
_new = object.__new__


def _make(text: str, us: int) -> Instant:
    """An Instant of parts known to agree (the reader's, a cache's); no check."""
    i: Instant = _new(Instant)
    _S_TEXT(i, text)
    _S_US(i, us)
    return i


def micros(moment: datetime) -> int:
    """POSIX microseconds of an aware datetime (a cutoff, ``--since``) to compare with ``us``."""
    return (moment - _EPOCH_UTC) // _MICRO


def parse_at(text: Any) -> Instant:
    """``at`` as stored: RFC 3339 with a numeric offset and whole seconds, exactly 25
    characters (``2024-08-21T09:30:00+07:00``); ValueError otherwise."""
    return _make(text, at_us(text))


def at_us(text: Any) -> int:
    """``parse_at``'s moment alone, in POSIX microseconds, by the same rule (the one rule: the
    columns' reader of lines as the writer writes them takes no Instant); ValueError."""
    if not (type(text) is str and len(text) == 25 and text[10] == "T" and text[19] in "+-"
            and text[22] == ":"):
        raise ValueError(f"not an 'at' time: {text!r}")
    # ``fromisoformat(text)`` is valid exactly when the part before the offset is a valid
    # naive time and the offset a valid one (tests/test_instant.py compares the two rules):
    # parsed apart, the offset only once per process (there are a handful).
    moment = _fromisoformat(text[:19])
    offset = _OFFSETS.get(text[19:])
    if offset is None or moment.tzinfo is not None:
        delta = _fromisoformat(text).utcoffset()  # ValueError for a bad offset (or two)
        offset = _OFFSETS[text[19:]] = (delta // _MICRO) if delta else 0
    return (moment - _EPOCH) // _MICRO - offset


def parse_recorded(text: Any) -> Instant:
    """``recorded`` as stored: RFC 3339 in UTC written ``+00:00``, with whole seconds or
    microseconds (25 or 32 characters); ValueError otherwise."""
    return _make(text, recorded_us(text))


def recorded_us(text: Any) -> int:
    """``parse_recorded``'s moment alone, in POSIX microseconds, by the same rule; ValueError."""
    if not (type(text) is str and len(text) in (25, 32) and text[10] == "T"
            and text.endswith("+00:00")):
        raise ValueError(f"not a 'recorded' time: {text!r}")
    # Valid exactly when the part before the (fixed, valid) offset is a valid naive time.
    moment = _fromisoformat(text[:-6])
    if moment.tzinfo is not None:  # a second offset inside
        raise ValueError(f"not a 'recorded' time: {text!r}")
    return (moment - _EPOCH) // _MICRO


def of(moment: datetime, *, recorded: bool = False) -> Instant:
    """The Instant of an aware datetime: as ``at`` (whole seconds, in the offset of
    ``moment``) or, with ``recorded``, as ``recorded`` (UTC, microseconds)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an event time needs a UTC offset")
    if recorded:
        return parse_recorded(moment.astimezone(timezone.utc).isoformat(
            timespec="microseconds"))
    return parse_at(moment.isoformat(timespec="seconds"))


def utc_micros(us: int) -> Instant:
    """A ``recorded``-style Instant of POSIX microseconds (the cache's columns keep those)."""
    when = _EPOCH + timedelta(microseconds=us)
    return _make(when.isoformat(timespec="microseconds") + "+00:00", us)
